from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.support import Cluster, CountingTarget, cluster_on, counting_target
from tests.support.databases import fresh_postgres, sqlite_url


@pytest.fixture(scope="session")
def target() -> Iterator[CountingTarget]:
    with counting_target() as running:
        yield running


@pytest.fixture
async def cluster(database_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    """Processes on this test's database: SQLite or PostgreSQL (`database_url` is parametrized)."""
    async with cluster_on(database_url, tmp_path) as running:
        yield running


@pytest.fixture
async def pg_cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    """Processes on PostgreSQL only: what several server replicas need."""
    async with cluster_on(await fresh_postgres(), tmp_path) as running:
        yield running


@pytest.fixture
async def sqlite_cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    """Processes on the embedded default's SQLite."""
    async with cluster_on(sqlite_url(tmp_path), tmp_path) as running:
        yield running
