"""A package's `__all__` is the surface it promises: it cannot grow or drift by accident.

In the spirit of httpx's tests/test_exported_members.py: `vantage.probes` and `vantage.agent`
export exactly their public names, and every module of Vantage that declares `__all__` lists
what it has and everything public it defines.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types

import pytest

import vantage
import vantage.agent
import vantage.probes


def _modules(package: types.ModuleType) -> list[str]:
    found = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        # Migrations are loaded by Alembic, __main__ runs the CLI when imported.
        if ".db.migrations" not in info.name and not info.name.endswith("__main__"):
            found.append(info.name)
    return sorted(found)


def _public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # `from __future__ import annotations`
    }


@pytest.mark.parametrize("package", [vantage.probes, vantage.agent], ids=lambda p: p.__name__)
def test_the_package_exports_every_public_name_it_has(package: types.ModuleType) -> None:
    exported = package.__all__
    assert len(exported) == len(set(exported))
    assert sorted(exported) == sorted(_public_names(package))


@pytest.mark.parametrize("name", _modules(vantage))
def test_a_modules_all_lists_what_it_has_and_all_it_defines(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert len(exported) == len(set(exported)), "a name is exported twice"
    assert [n for n in exported if not hasattr(module, n)] == []
    defined = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == name
    }
    assert sorted(defined - set(exported)) == []
