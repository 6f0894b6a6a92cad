"""Public dashboards (`/v1/dashboards`) and status badges (`/v1/badges`)."""
