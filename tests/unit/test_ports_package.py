"""The ports package stays a set of small rooms with one front door: each module is short, and
`application.ports` re-exports everything its modules define, so a port added in a new file is
importable like the others (`from application.ports import X`) by one import line there."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType

import application.ports

MAX_LINES = 200


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{application.ports.__name__}.{info.name}")
        for info in pkgutil.iter_modules(application.ports.__path__)
    ]


def test_every_ports_module_is_small() -> None:
    files = sorted(Path(application.ports.__path__[0]).glob("*.py"))
    assert len(files) > 1
    long = {f.name: n for f in files if (n := len(f.read_text().splitlines())) >= MAX_LINES}
    assert long == {}


def test_the_package_re_exports_what_its_modules_define() -> None:
    defined = {
        name: cls
        for module in _modules()
        for name, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and not name.startswith("_")
    }
    # Protocols and the values they pass (PlacementContext, HistoryEntry, ...) alike.
    assert any(getattr(cls, "_is_protocol", False) for cls in defined.values())
    missing = {
        name for name, cls in defined.items() if getattr(application.ports, name, None) is not cls
    }
    assert missing == set()
    # Its imports are its re-exports (implicit_reexport for this module alone, pyproject.toml):
    # they name every port and nothing else, with no alias a type checker would not see.
    imported = {
        alias.name: alias.asname
        for node in ast.parse(Path(application.ports.__file__).read_text()).body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert set(imported) == set(defined)
    assert {name for name, alias in imported.items() if alias not in (None, name)} == set()
    # An `__all__` would be all mypy exports from here: one without a name hides that port.
    assert not hasattr(application.ports, "__all__")
