"""Fixtures shared by the integration tests live in tests/conftest.py; the ones here are for
the responsible-gambling tests (test_responsible*.py), each of which sets its own
`fake_clock` (a time of its own, far from the wall clock), and for the tests that need a
database of their own with books in it (`fresh_books`: `croupier reconcile`'s tests)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.embedded_servers import ensure_database
from adapters.ids import UuidV7Generator
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SecretsSeedSource, SeedCipher
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import PlaceBet
from application.house import HouseBook
from application.ports import UnitOfWorkFactory
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    HasDepositLimit,
    RemoveLimit,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from domain.money import XTR, Money
from entrypoints.cli import main
from tests.conftest import TEST_PERSONAL_DATA, TEST_PII_INDEX_KEY, TEST_PII_KEYS


@pytest.fixture
def rg(uow_factory, fake_clock):
    """The responsible-gambling use cases on the module's controllable clock."""

    class UseCases:
        set_limit = SetLimit(uow_factory, fake_clock)
        remove_limit = RemoveLimit(uow_factory, fake_clock)
        confirm = ConfirmLimitIncrease(uow_factory, fake_clock)
        timeout = StartTimeout(uow_factory, fake_clock)
        self_exclude = SelfExclude(uow_factory, fake_clock)
        reality_check = SetRealityCheck(uow_factory, fake_clock)
        acknowledge = AcknowledgeRealityCheck(uow_factory, fake_clock)
        status = GetResponsibleStatus(uow_factory, fake_clock)
        has_deposit_limit = HasDepositLimit(uow_factory)

    return UseCases


@dataclass(frozen=True, slots=True)
class FreshBooks:
    """A database of its own, migrated, with a funded bankroll and one player (Telegram id 7)
    holding 1,000 Stars; the use-case parts to play on it; and the settings (`env`) with which
    the CLI reaches it."""

    engine: AsyncEngine
    env: dict[str, str]
    uow: UnitOfWorkFactory
    clock: SystemClock
    ids: UuidV7Generator
    house: HouseBook
    place: PlaceBet
    player_id: int

    async def reconcile(self) -> Result:
        """`croupier reconcile` on these books."""
        return await asyncio.to_thread(CliRunner().invoke, main, ["reconcile"], env=self.env)


@pytest.fixture
async def fresh_books(servers) -> AsyncIterator[Callable[[str], Awaitable[FreshBooks]]]:
    """Makes `FreshBooks` in a database of the given name (created again if it exists)."""
    engines: list[AsyncEngine] = []

    async def make(name: str) -> FreshBooks:
        server = servers.database_url.rpartition("/")[0] + "/postgres"
        url = await asyncio.to_thread(ensure_database, server, name, recreate=True)
        await asyncio.to_thread(migrate.upgrade, url)
        key = secrets.token_bytes(32)
        engine = create_engine(url)
        engines.append(engine)
        clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(shards=4)
        uow = await start_unit_of_work_factory(
            engine, house.shards, SeedCipher(key), TEST_PERSONAL_DATA
        )
        await FundBankroll(uow, clock, ids, house)(
            FundBankrollCommand(Money(10**9, XTR), "t", "fund")
        )
        player = (
            await RegisterPlayer(uow, clock)(
                RegisterPlayerCommand(7, currencies=(XTR,), accept_terms=True)
            )
        ).player
        await CreditDeposit(uow, clock, ids, house)(
            CreditDepositCommand(player.id, Money(1000, XTR), "deposit")
        )
        env = {
            "CROUPIER_DATABASE_URL": url,
            "CROUPIER_REDIS_URL": servers.redis_url,
            "CROUPIER_SEED_KEY": key.hex(),
            "CROUPIER_PII_KEYS": TEST_PII_KEYS,
            "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
            "CROUPIER_HOUSE_SHARDS": "4",
        }
        place = PlaceBet(uow, clock, ids, house, SecretsSeedSource())
        return FreshBooks(engine, env, uow, clock, ids, house, place, player.id)

    yield make
    for engine in engines:
        await engine.dispose()
