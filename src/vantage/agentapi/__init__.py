"""The agent API (`/agent/v1`): how `vantage agent` processes lease work and hand back results."""
