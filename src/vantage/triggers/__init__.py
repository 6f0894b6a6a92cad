"""Checkly's legacy trigger tokens: a URL that runs a check, or a group's checks, without an API
key (Terraform's `checkly_trigger_check` and `checkly_trigger_group`)."""
