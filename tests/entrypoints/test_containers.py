"""Each process kind's container holds what its doors ask for, and no more than its groups.

What a door asks for is read from its code, so a new handler is checked without editing this
file: the `FromDishka[...]` parameters of its injected handlers, and the types its modules pass
to `container.get(...)` / `scope.get(...)` (the gRPC stream, the live sockets, the bot's
middleware, the CLI's commands). Each kind's container is then built (under dishka's strict
validation, as in production) and asked for every one of them on the real database."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_type_hints

import pytest
from dishka import AsyncContainer, Provider, Scope, provide
from dishka.exceptions import ImplicitOverrideDetectedError, NoFactoryError
from dishka.integrations.base import default_parse_dependency

import entrypoints.bot
import entrypoints.cli
import entrypoints.grpc
import entrypoints.http
from application.access import Authenticate
from application.ports import Clock
from application.relay import OutboxRelay
from application.risk import MonitorOutcomes
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.cli.supervisor import PARTS
from entrypoints.composition import containers
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

_GETTERS = {"container", "scope", "request"}  # the names our code gives a container


def _modules(package: ModuleType, *, leave_out: Iterable[str] = ()) -> Iterator[ModuleType]:
    yield package
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        # __main__ runs the command line when imported.
        if info.name not in leave_out and not info.name.endswith(".__main__"):
            yield importlib.import_module(info.name)


def _injected(module: ModuleType) -> Iterator[Callable[..., Any]]:
    """The module's handlers that dishka injects (module functions, controller methods). A
    controller's handler counts wherever its function was written: the staff decisions'
    handlers are made in `entrypoints.http.decisions` and sit in the controllers."""
    members: list[tuple[Any, bool]] = [(value, False) for value in vars(module).values()]
    for value, _ in list(members):
        if inspect.isclass(value) and value.__module__ == module.__name__:
            members.extend((member, True) for member in vars(value).values())
    for value, in_controller in members:
        fn = getattr(value, "fn", value)  # a Litestar route handler wraps its function
        original = getattr(fn, "__dishka_orig_func__", None)
        if original is not None and (
            in_controller or getattr(original, "__module__", None) == module.__name__
        ):
            yield original


def _asked_by_parameters(module: ModuleType) -> set[type]:
    asked: set[type] = set()
    for handler in _injected(module):
        hints = get_type_hints(handler, include_extras=True)
        for name, parameter in inspect.signature(handler).parameters.items():
            key = default_parse_dependency(parameter, hints.get(name))
            if key is not None:
                asked.add(key.type_hint)
    return asked


def _imported_inside(tree: ast.Module) -> dict[str, Any]:
    """The names a module's functions import for themselves (`from X import T` in a command's
    body: the CLI imports what a command needs when it runs)."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            source = importlib.import_module(node.module)
            for alias in node.names:
                if hasattr(source, alias.name):
                    names[alias.asname or alias.name] = getattr(source, alias.name)
    return names


def _asked_by_calls(module: ModuleType) -> set[type]:
    """`container.get(T)` and `scope.get(T)` where T names a class in the module, or one a
    function of the module imports."""
    tree = ast.parse(Path(inspect.getfile(module)).read_text())
    names = {**_imported_inside(tree), **vars(module)}

    def resolve(node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.Attribute):
            return getattr(resolve(node.value), node.attr, None)
        return None

    asked: set[type] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in _GETTERS
            and len(node.args) == 1
        ):
            target = resolve(node.args[0])
            if inspect.isclass(target):
                asked.add(target)
    return asked


def _asked(*modules: Iterable[ModuleType]) -> frozenset[type]:
    asked: set[type] = set()
    for group in modules:
        for module in group:
            asked |= _asked_by_parameters(module) | _asked_by_calls(module)
    return frozenset(asked)


# The supervisor asks for each part's objects: it is read as `croupier run`, not as a command.
_SUPERVISOR = "entrypoints.cli.supervisor"
SUPERVISOR = _asked([importlib.import_module(_SUPERVISOR)])
HTTP = _asked(_modules(entrypoints.http))
GRPC = _asked(_modules(entrypoints.grpc)) | {Authenticate}  # GrpcServer's interceptor
BOT = _asked(_modules(entrypoints.bot)) | {TelegramRuntime}
RELAY = frozenset({OutboxRelay, MonitorOutcomes})
CLI = _asked(_modules(entrypoints.cli, leave_out=[_SUPERVISOR])) | RELAY

KINDS: dict[str, tuple[Callable[..., AsyncContainer], frozenset[type]]] = {
    # The Telegram webhook runs the bot's handlers in the HTTP process.
    "http": (containers.make_http_container, HTTP | BOT),
    "grpc": (containers.make_grpc_container, GRPC),
    "bot": (containers.make_bot_container, BOT),
    "cli": (containers.make_cli_container, CLI),
}
PART_NEEDS = {"http": HTTP | BOT, "grpc": GRPC, "bot": BOT, "relay": RELAY}


def test_the_doors_are_read_from_their_code():
    """A scan that found nothing would prove nothing: each door's known needs are in it."""
    from application.betting.queue import BetQueue
    from application.miniapp import ReadPlayerSession
    from application.onboarding import StartPlayer
    from application.reconciliation import Reconcile
    from application.staff import AuthenticateStaff, CreateStaff
    from application.withdrawals import ApproveWithdrawal

    assert {AuthenticateStaff, ReadPlayerSession, ApproveWithdrawal} <= HTTP  # calls, params
    assert BetQueue in GRPC
    assert {StartPlayer, Clock} <= BOT
    assert {CreateStaff, Reconcile} <= CLI
    assert {OutboxRelay, MonitorOutcomes, TelegramRuntime} <= SUPERVISOR
    assert set(PART_NEEDS) == set(PARTS) == set(containers.RUN_PARTS)


_NOWHERE = Endpoints("postgresql+asyncpg://nowhere/none", "redis://nowhere", False, False)


@pytest.mark.parametrize(
    ("kind", "absent"),
    [
        # The gRPC server serves no staff and no Telegram; the bot has no staff login, reports,
        # live feed or Mini App; the CLI serves no player and runs no bot.
        ("grpc", "Login ApproveWithdrawal GgrReport LiveHub GetMe TelegramRuntime"),
        ("bot", "Login GgrReport LiveHub GetMe"),
        ("cli", "LiveHub GetMe TelegramRuntime RequestWithdrawal"),
    ],
)
async def test_a_kind_holds_only_its_groups(kind, absent):
    from application.live import LiveHub
    from application.miniapp import GetMe
    from application.reports import GgrReport
    from application.staff import Login
    from application.withdrawals import ApproveWithdrawal, RequestWithdrawal

    known = {
        t.__name__: t
        for t in (Login, ApproveWithdrawal, RequestWithdrawal, GgrReport, LiveHub, GetMe)
    }
    known["TelegramRuntime"] = TelegramRuntime
    make, needs = KINDS[kind]
    container = make(Settings(), _NOWHERE)  # nothing is built: each lookup fails first
    try:
        async with container() as scope:
            for name in absent.split():
                assert known[name] not in needs
                with pytest.raises(NoFactoryError):
                    await scope.get(known[name])
    finally:
        await container.close()


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_no_container_offers_a_posting_that_skips_four_eyes(kind):
    # A staff adjustment must be counted in the four-eyes window: only RequestAdjustment
    # does that, so the bare postings are reachable from no door of any process.
    from application.postings import AdjustBalance, DebitWallet, Transfer

    make, needs = KINDS[kind]
    container = make(Settings(), _NOWHERE)
    try:
        async with container() as scope:
            for bare in (AdjustBalance, DebitWallet, Transfer):
                assert bare not in needs
                with pytest.raises(NoFactoryError):
                    await scope.get(bare)
    finally:
        await container.close()


def _staff_withdrawal_decisions() -> tuple[type, ...]:
    from application.kyc import SetKycStatus
    from application.withdrawals import (
        ApproveWithdrawal,
        MarkWithdrawalFailed,
        MarkWithdrawalPaid,
        RejectWithdrawal,
    )
    from application.withdrawals.chain import StaffChain
    from application.withdrawals.queries import GetWithdrawal, ListWithdrawals

    return (
        ApproveWithdrawal,
        RejectWithdrawal,
        MarkWithdrawalPaid,
        MarkWithdrawalFailed,
        StaffChain,
        ListWithdrawals,
        GetWithdrawal,
        SetKycStatus,
    )


@pytest.mark.parametrize(
    "make",
    [
        containers.make_bot_container,
        lambda settings, endpoints: containers.make_run_container(settings, endpoints, ["bot"]),
    ],
    ids=["croupier bot", "croupier run --only bot"],
)
async def test_the_bot_holds_no_staff_withdrawal_decision(make):
    # The bot is a player's door: it requests withdrawals. Staff review, approve, reject, pay
    # and set KYC through the admin HTTP door, whose container alone holds those use cases.
    from application.withdrawals import RequestWithdrawal

    container = make(Settings(), _NOWHERE)  # nothing is built: each lookup fails first
    try:
        async with container() as scope:
            for decision in _staff_withdrawal_decisions():
                assert decision not in BOT
                with pytest.raises(NoFactoryError):
                    await scope.get(decision)
    finally:
        await container.close()
    assert RequestWithdrawal in BOT
    assert set(_staff_withdrawal_decisions()) & HTTP


def _settings(data_dir: Path) -> Settings:
    return Settings(
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=data_dir,
    )


async def _resolves_all(container: AsyncContainer, needs: frozenset[type]) -> None:
    try:
        async with container() as scope:
            for need in sorted(needs, key=lambda t: t.__qualname__):
                assert await scope.get(need) is not None, need
    finally:
        await container.close()


@pytest.mark.parametrize("kind", sorted(KINDS))
async def test_each_kind_resolves_what_its_doors_ask_for(servers, tmp_path, kind):
    make, needs = KINDS[kind]
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    await _resolves_all(make(_settings(tmp_path), endpoints), needs)


@pytest.mark.parametrize("part", PARTS)
async def test_croupier_run_with_one_part_resolves_that_parts_needs(servers, tmp_path, part):
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = containers.make_run_container(_settings(tmp_path), endpoints, [part])
    await _resolves_all(container, PART_NEEDS[part])


async def test_croupier_run_serves_every_door_from_one_bet_queue(servers, tmp_path):
    import uuid

    from prometheus_client import REGISTRY

    from application.betting import PlaceBetCommand
    from application.betting.queue import BetQueue
    from domain.errors import DomainError
    from domain.money import XTR, Money

    def waits() -> float:
        counted = "croupier_bet_queue_wait_seconds_count"
        return REGISTRY.get_sample_value(counted, {"lane": "bets"}) or 0.0

    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = containers.make_run_container(_settings(tmp_path), endpoints, PARTS)
    try:
        async with container() as one, container() as other:
            queue = await one.get(BetQueue)
            assert queue is await other.get(BetQueue)
            # The queue tells the metrics how long each batch waited: a bet of no player is
            # refused, and its batch (of one) still started.
            before = waits()
            with pytest.raises(DomainError):
                await queue(PlaceBetCommand(-1, uuid.uuid4(), "coin", Money(10, XTR)))
            assert waits() == before + 1
    finally:
        await container.close()
    await _resolves_all(
        containers.make_run_container(_settings(tmp_path), endpoints, PARTS),
        frozenset().union(SUPERVISOR, *PART_NEEDS.values()),
    )


def test_a_replacement_must_say_it_overrides():
    """Strict validation: a test's provider that silently replaced a real one would hide
    which one runs."""

    class Silent(Provider):
        @provide(scope=Scope.APP)
        def clock(self) -> Clock:
            raise AssertionError("never built")

    with pytest.raises(ImplicitOverrideDetectedError):
        containers.make_grpc_container(Settings(), _NOWHERE, Silent())
