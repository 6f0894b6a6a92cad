"""Checkly's static IP lists (`/v1/static-ips…`)."""
