"""MQTT topic names and filters (pure), and the topics of the ad-hoc result channel."""

from __future__ import annotations


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT 3.1.1 §4.7: `+` is one level, a trailing `#` this level and every one below."""
    wanted = topic_filter.split("/")
    levels = topic.split("/")
    for i, part in enumerate(wanted):
        if part == "#":
            return i == len(wanted) - 1
        if i >= len(levels):
            return False
        if part != "+" and part != levels[i]:
            return False
    return len(wanted) == len(levels)


def valid_filter(topic_filter: str) -> bool:
    if not topic_filter or "\x00" in topic_filter:
        return False
    parts = topic_filter.split("/")
    for i, part in enumerate(parts):
        if "#" in part and (part != "#" or i != len(parts) - 1):
            return False
        if "+" in part and part != "+":
            return False
    return True


def account_prefix(account_id: str) -> str:
    return f"account/{account_id}/"


def may_subscribe(account_id: str, topic_filter: str) -> bool:
    """A client reads only its own account's topics: the filter's first two levels are literal
    and name its account (so neither `#` nor `account/+/…` can reach another's)."""
    return valid_filter(topic_filter) and topic_filter.startswith(account_prefix(account_id))


def ad_hoc_result_topic(
    account_id: str, suite_id: str, sequence_id: str, check_run_id: str, subtopic: str
) -> str:
    """Where the CLI listens: `account/{a}/ad-hoc-check-results/{suite}/{sequence}/{run}/{sub}`."""
    return (
        f"account/{account_id}/ad-hoc-check-results/{suite_id}/{sequence_id}/"
        f"{check_run_id}/{subtopic}"
    )
