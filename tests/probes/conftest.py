"""Fixtures for the HTTP probe tests: one real loopback target for the whole session."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest

from tests.targets.http_target import HttpTarget, start_target


@pytest.fixture(scope="session")
def http_target() -> Iterator[HttpTarget]:
    target = start_target()
    try:
        yield target
    finally:
        target.stop()


@pytest.fixture(scope="session")
def base_url(http_target: HttpTarget) -> str:
    return http_target.base_url


@pytest.fixture(scope="session")
def ca_context(http_target: HttpTarget) -> ssl.SSLContext:
    """Client context trusting only the target's test CA."""
    return http_target.client_context()


@pytest.fixture(scope="session")
def ipv6_url(http_target: HttpTarget) -> str:
    if http_target.ipv6_url is None:
        pytest.skip("this machine has no usable ::1 loopback address")
    return http_target.ipv6_url
