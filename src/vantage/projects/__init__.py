"""Checkly CLI projects: `checkly deploy` and `checkly destroy`, mapped to Vantage's objects by
each construct's logicalId."""
