"""Public status pages, their services and incidents, and email subscriptions."""
