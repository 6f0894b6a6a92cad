from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.databases import DIALECTS, database_url_for, drop_own_database
from tests.support.harness import Harness, Persona, running_vantage, settings_for
from tests.targets.http_target import HttpTarget, start_target
from vantage.statuspages.public_cache import forget_pages


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The developer's environment must not leak into the tests (proxies, Vantage settings)."""
    for name in list(os.environ):
        upper = name.upper()
        if upper.endswith("_PROXY") or (
            upper.startswith("VANTAGE_") and not upper.startswith("VANTAGE_TEST_")
        ):
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(autouse=True)
def fresh_public_pages() -> None:
    """The rendered public pages are kept per process, as one server keeps them; a test's
    server must not answer from the pages of the test before it (another database)."""
    forget_pages()


@pytest.fixture(scope="session", autouse=True)
def drop_test_database() -> Iterator[None]:
    yield
    asyncio.run(drop_own_database())


@pytest.fixture(params=DIALECTS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return await database_url_for(str(request.param), tmp_path)


@pytest.fixture
async def vantage(database_url: str) -> AsyncIterator[Harness]:
    async with running_vantage(settings_for(database_url)) as harness:
        yield harness


@pytest.fixture
async def alice(vantage: Harness) -> Persona:
    return await vantage.persona("alice")


@pytest.fixture
async def charlie(vantage: Harness) -> Persona:
    return await vantage.persona("charlie")


@pytest.fixture(scope="session")
def http_target() -> Iterator[HttpTarget]:
    """A real HTTP(S) server on loopback for checks to probe (see tests/targets/http_target.py)."""
    target = start_target()
    yield target
    target.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a test marked `long` first, then the files with the most tests, each file's
    tests together and in their order. `make test` runs `--dist loadfile --no-loadscope-reorder`,
    which hands files to workers in this order: xdist's own reorder (most tests first) started the
    API contract file, four tests but seven minutes, last, and the run waited on it alone."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def weight(tests: list[pytest.Item]) -> tuple[bool, int]:
        return all(t.get_closest_marker("long") is None for t in tests), -len(tests)

    items[:] = [item for tests in sorted(files.values(), key=weight) for item in tests]
