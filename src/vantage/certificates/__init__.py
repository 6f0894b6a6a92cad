"""Client certificates (`/v1/client-certificates`): a certificate and key per host pattern, for
mutual TLS. The key and its passphrase are sealed at rest and never returned."""
