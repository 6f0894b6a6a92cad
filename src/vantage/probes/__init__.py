"""Probes: one per check type. No database, no web framework: a probe takes a check's
configuration (its Checkly JSON) and returns a `ProbeResult`.

`runner.run_check` is the entry point; it picks `http/` (API and URL checks), `tcp/` or `dns.py`.
What the probes share sits beside it: the Node error vocabulary (`node_errors.py`), each type's
response-time defaults (`defaults.py`), comparisons, assertion records, masking and the policy on
which targets a probe may reach. Below are the names the agent and the server use.
"""

from vantage.probes.defaults import RESPONSE_TIMES, response_limits
from vantage.probes.masking import SensitiveNames, mask_result, sensitive_names
from vantage.probes.result import ProbeResult
from vantage.probes.runner import GRACE_SECONDS, MAX_RUN_SECONDS, run_check, run_timeout_seconds
from vantage.probes.serialize import from_json, storable_result, to_json
from vantage.probes.target_policy import PolicyError, TargetPolicy

__all__ = [
    "GRACE_SECONDS",
    "MAX_RUN_SECONDS",
    "PolicyError",
    "ProbeResult",
    "RESPONSE_TIMES",
    "SensitiveNames",
    "TargetPolicy",
    "from_json",
    "mask_result",
    "response_limits",
    "run_check",
    "run_timeout_seconds",
    "sensitive_names",
    "storable_result",
    "to_json",
]
