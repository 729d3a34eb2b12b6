"""Every use case has a unit test on fakes (issue 17): a public class of `src/application` with a
coroutine to call (`__call__`, or a public `async def` such as `LiveHub.stop` or
`RiskReview.on_bet_settled`), own or inherited, must be named in some tests/unit/*_on_fakes.py
outside its imports. So a new use case without a fast test fails here, by name, rather than
being tested only on PostgreSQL or not at all.

Module-level coroutines (`record_terms_acceptance`, `outcome_tests`) are steps that use cases
run inside their own unit of work, tested through them; ports (`application.ports`) are
Protocols, each with a fake of its own (test_fakes_keep_their_ports.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import application
import application.ports

UNIT_TESTS = Path(__file__).parent


def _modules() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(application.__path__, f"{application.__name__}.")
        if not info.name.startswith(f"{application.ports.__name__}")
    )


def _is_use_case(cls: type) -> bool:
    if cls.__name__.startswith("_") or getattr(cls, "_is_protocol", False):
        return False
    return any(
        (name == "__call__" or not name.startswith("_"))
        and inspect.iscoroutinefunction(inspect.getattr_static(cls, name))
        for name in dir(cls)
    )


def use_cases() -> dict[str, str]:
    """Each use case's name and the module that defines it."""
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and _is_use_case(cls):
                found[cls_name] = name
    return found


def unmentioned(cases: dict[str, str], texts: list[str]) -> list[str]:
    """The use cases no text names as a whole word, as 'module.Name'."""
    return sorted(
        f"{module}.{name}"
        for name, module in cases.items()
        if not any(re.search(rf"\b{re.escape(name)}\b", text) for text in texts)
    )


def without_imports(source: str) -> str:
    """The source with its import statements blanked: importing a use case tests nothing."""
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import | ast.ImportFrom):
            end = node.end_lineno or node.lineno
            lines[node.lineno - 1 : end] = [""] * (end - node.lineno + 1)
    return "\n".join(lines)


def test_every_use_case_is_named_in_a_unit_test_on_fakes() -> None:
    texts = [
        without_imports(path.read_text()) for path in sorted(UNIT_TESTS.glob("test_*_on_fakes.py"))
    ]
    missing = unmentioned(use_cases(), texts)
    assert missing == [], (
        "use cases without a unit test on fakes (tests/unit/test_<area>_on_fakes.py): "
        + ", ".join(missing)
    )


def test_the_walk_finds_use_cases_own_and_inherited_and_nothing_else() -> None:
    cases = use_cases()
    # Own __call__, __call__ inherited from a private base, public coroutines without one.
    for name in ("PlaceBet", "BlockPlayer", "GgrReport", "LiveHub", "OutboxRelay", "RiskReview"):
        assert name in cases, name
    assert cases["BlockPlayer"] == "application.player_admin.status"
    # Commands, results and private bases are not use cases; nor are the ports.
    for name in ("PlaceBetCommand", "BetReceipt", "_ChangeStatus", "UnitOfWork", "Clock"):
        assert name not in cases, name


def test_a_use_case_only_imported_or_named_in_longer_words_is_reported() -> None:
    cases = {
        "PlaceBet": "application.betting",
        "SettleDiceBet": "application.betting",
        "VoidBet": "application.betting",
    }
    source = (
        "from application.betting import (\n    PlaceBet,\n    VoidBet,\n)\n"
        "async def test_it():\n"
        "    await PlaceBet(db)(command)  # PlaceBets and SettleDiceBetCommand are other words\n"
    )
    assert unmentioned(cases, [without_imports(source)]) == [
        "application.betting.SettleDiceBet",
        "application.betting.VoidBet",
    ]
