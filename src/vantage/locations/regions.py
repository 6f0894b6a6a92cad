"""Checkly's public region names. A check may name any of them, as at Checkly, so configurations
written for Checkly (Terraform, the CLI's constructs) load unchanged; it runs in a region only once
the operator has a location of that name (`vantage locations create eu-central-1`) with agents.
Until then planning gives that region no job, so no result ever claims it."""

from __future__ import annotations

CHECKLY_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-central-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "eu-south-1",
        "me-south-1",
        "ap-southeast-1",
        "ap-northeast-1",
        "ap-east-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "af-south-1",
    }
)
