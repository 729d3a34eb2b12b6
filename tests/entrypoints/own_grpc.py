"""A gRPC server on a database of the module's own, for the gRPC fuzz modules
(test_grpc_fuzz.py, test_grpc_undecodable.py).

Those modules check around each of about 4,000 calls that a refused call moved no money (the
whole ledger counted before and after) and reconcile the books after each of about 500 tests.
On the suite's database both read every row every other test wrote before them, so their cost
grew with the suite (a reconcile took 0.1 to 0.3 s there, a count a few milliseconds); on a
database that holds only what the module's own calls wrote, they read a few rows. The checks
are the same: every row a call could write lands in the database they read.

A module imports the fixture `own_grpc` and overrides `books` (reconcile `own_grpc.engine`),
`channel` (to `own_grpc.server`) and `md` (`own_key`) with fixtures of its own."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.clock import SystemClock
from adapters.ids import UuidV7Generator
from adapters.postgres.api_keys import SqlApiKeyStore
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import SqlUnitOfWorkFactory, start_unit_of_work_factory
from application.access import Authenticate, IssueApiKey
from application.bankroll import FundBankroll, FundBankrollCommand
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.access import SERVICES as SCOPES
from domain.money import XTR, Money
from entrypoints.composition.containers import make_grpc_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.grpc.server import GrpcServer
from tests.conftest import TEST_HOUSE_SHARDS, template_copy
from tests.entrypoints.conftest import GENEROUS_CAPS


@dataclass(frozen=True)
class OwnGrpc:
    """The module's database (`engine`, `uow`) and the gRPC server that serves it."""

    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    server: GrpcServer


@pytest.fixture(scope="module")
async def own_grpc(
    servers, engine, migrated_template, grpc_settings, cipher, personal
) -> AsyncIterator[OwnGrpc]:
    async with template_copy(servers, engine, migrated_template) as url:
        own_engine = create_engine(url, pool_size=5, max_overflow=10)
        uow = await start_unit_of_work_factory(own_engine, TEST_HOUSE_SHARDS, cipher, personal)
        await _seed(uow)
        container = make_grpc_container(
            grpc_settings, Endpoints(url, servers.redis_url, False, False)
        )
        server = GrpcServer(container, grpc_settings, await container.get(Authenticate))
        await server.start()
        try:
            yield OwnGrpc(own_engine, uow, server)
        finally:
            await server.stop()
            await container.close()
            await own_engine.dispose()


async def _seed(uow: SqlUnitOfWorkFactory) -> None:
    """A funded bankroll and players 1, 2 and 3 (Telegram ids 1, 2, 3) holding 1,000 Stars each,
    as the suite's database has players of small ids: a fuzzed id of "1" reaches a real, funded
    player there too, and a refusal further down the road."""
    clock, ids, house = SystemClock(), UuidV7Generator(), HouseBook(TEST_HOUSE_SHARDS)
    await FundBankroll(uow, clock, ids, house)(
        FundBankrollCommand(Money(10**9, XTR), "tests", "own-grpc-fund")
    )
    for telegram_id in (1, 2, 3):
        registered = await RegisterPlayer(uow, clock)(
            RegisterPlayerCommand(telegram_id, currencies=(XTR,), accept_terms=True)
        )
        assert registered.player.id == telegram_id  # the first players of a new database
        await CreditDeposit(uow, clock, ids, house)(
            CreditDepositCommand(registered.player.id, Money(1000, XTR), f"own-{telegram_id}")
        )


async def own_key(own: OwnGrpc) -> tuple[tuple[str, str], ...]:
    """Call metadata with a key for every service of the module's server."""
    issued = await IssueApiKey(SqlApiKeyStore(own.engine), SystemClock())(
        f"fuzz-{secrets.token_hex(4)}", frozenset(SCOPES), caps=GENEROUS_CAPS
    )
    return (("x-api-key", issued.plaintext),)
