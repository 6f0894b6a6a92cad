"""People who log in to the web UI: users, roles, password hashes, browser sessions."""
