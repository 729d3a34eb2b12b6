"""What makes a fake a fake of its port: every member the Protocol declares, with the same
kind (coroutine, plain method, property) and the same parameters (names, kinds, defaults'
presence). mypy does not check tests/, so the fakes are checked by this at run time
(tests/unit/test_fakes_keep_their_ports.py); a port that grows a method fails there until its
fake has it too."""

from __future__ import annotations

import inspect
from typing import Any

# Members every class has, or that Protocol machinery adds; not part of any port's contract.
_IGNORED = {"__init__", "__class_getitem__", "__init_subclass__", "__subclasshook__"}


def _members(protocol: type) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for klass in reversed(protocol.__mro__):
        if klass is object or klass.__module__ == "typing":
            continue
        for name, value in vars(klass).items():
            if name in _IGNORED or (name.startswith("_") and not name.startswith("__")):
                continue
            if name.startswith("__") and not callable(value):
                continue  # __doc__, __module__, __protocol_attrs__, ...
            found[name] = value
    return found


def _parameters(function: Any) -> list[tuple[str, Any, bool]]:
    signature = inspect.signature(function)
    return [
        (p.name, p.kind, p.default is not inspect.Parameter.empty)
        for p in signature.parameters.values()
    ]


def mismatches(fake: object, protocol: type) -> list[str]:
    """How `fake` (a class, or an instance when it sets some members itself, like the unit of
    work's repositories) differs from `protocol`, one line each; empty when it keeps the
    shape."""
    label = fake.__name__ if isinstance(fake, type) else type(fake).__name__
    problems = []
    for name, declared in _members(protocol).items():
        if not hasattr(fake, name):
            problems.append(f"{label} lacks {name}")
            continue
        actual = inspect.getattr_static(fake, name)
        if isinstance(declared, property):
            continue  # any attribute stands for a read-only property
        if not callable(actual):
            problems.append(f"{label}.{name} is not callable")
            continue
        wanted_async = inspect.iscoroutinefunction(declared)
        if wanted_async != inspect.iscoroutinefunction(actual):
            kind = "a coroutine" if wanted_async else "a plain method"
            problems.append(f"{label}.{name} should be {kind}")
        if name.startswith("__"):
            continue  # `__aexit__(*exc)` takes what the protocol names one by one
        if _parameters(declared) != _parameters(actual):
            problems.append(
                f"{label}.{name}{inspect.signature(actual)} differs from the port's "
                f"{inspect.signature(declared)}"
            )
    return problems
