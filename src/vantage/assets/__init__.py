"""Assets of script runs (screenshots, traces, videos): taken out of a result at intake
(extract.py), stored per account beside it (repository.py), listed and downloaded through
Checkly's asset manifest (endpoints.py), pruned with the results."""
