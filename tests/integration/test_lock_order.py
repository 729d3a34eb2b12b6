"""One lock order on both roads of a bet (revision 0050): seed pairs (player order), then the
house accounts (id order), then the players' accounts (id order). The locked road takes its
seed pair with the nonce and its accounts in `ledger_post_many`; the snapshot write
(`place_bets`) used to take the house rows before the seed pairs, and a bet of each road could
wait on the other (a deadlock, commit c0d1f40). These tests hold one row and look at which
rows the waiting write already holds."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.errors import sqlstate
from application.betting import PlaceBetCommand
from domain.events import TransactionPosted
from domain.ledger import Leg, Transaction, TransactionKind
from tests.amounts import xtr

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, tzinfo=UTC)

_WAITING = text(
    """
    SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND query ILIKE :q AND pid <> pg_backend_pid()
    """
)


async def _free(engine, sql: str, params: dict[str, object]) -> bool:
    """Whether the rows `sql` selects can be locked now (FOR UPDATE NOWAIT), by a connection
    of its own that lets them go at once."""
    async with engine.connect() as probe:
        try:
            await probe.execute(text(sql + " FOR UPDATE NOWAIT"), params)
        except DBAPIError as error:
            if sqlstate(error) != "55P03":
                raise
            return False
        finally:
            await probe.rollback()
    return True


async def _wait_for(engine, like: str) -> None:
    for _ in range(500):
        async with engine.connect() as conn:
            if (await conn.execute(_WAITING, {"q": like})).scalar_one():
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no statement like {like} waited on a lock")  # pragma: no cover


async def test_the_snapshot_write_holds_the_seed_pair_while_it_waits_for_the_house(
    funded_player, place, engine
):
    player = await funded_player(1000)
    bet = PlaceBetCommand(player.id, uuid.uuid4(), "limbo", xtr(10), {"target": "2"})
    await place(bet)  # the player has a seed pair now
    pair = "SELECT 1 FROM seed_pairs WHERE player_id = :p AND revealed_at IS NULL"
    async with engine.connect() as holder:
        await holder.execute(
            text("SELECT 1 FROM accounts WHERE player_id IS NULL AND currency = 'XTR' FOR UPDATE")
        )
        placing = asyncio.create_task(
            place(PlaceBetCommand(player.id, uuid.uuid4(), "limbo", xtr(10), {"target": "2"}))
        )
        await _wait_for(engine, "%place_bets%")
        # Waiting for the house rows, the write already holds the seed pair (it took the
        # house rows first before revision 0050, and the pair was free here).
        held = not await _free(engine, pair, {"p": player.id})
        await holder.rollback()
    receipt = await placing
    assert held
    assert receipt.bet.fairness is not None
    assert receipt.bet.fairness.nonce == 1


async def test_a_posting_takes_the_house_accounts_before_the_players(
    funded_player, uow_factory, engine
):
    """`ledger_post_many` (the locked road's postings, and every other one) locks the house
    accounts first, as `place_bets` does, whatever their ids: a house account made after the
    wallet (a greater id, which id order took second) is held while the posting waits for the
    wallet."""
    player = await funded_player(1000)
    async with engine.begin() as conn:
        house = await conn.scalar(
            text(
                "INSERT INTO accounts (kind, currency, shard, allow_negative)"
                " VALUES ('adjustments', 'XTR', :shard, true) RETURNING id"
            ),
            {"shard": 20_000 + secrets.randbelow(10_000)},
        )
        wallet = await conn.scalar(
            text("SELECT id FROM accounts WHERE player_id = :p AND kind = 'player_wallet'"),
            {"p": player.id},
        )
    assert house > wallet

    async def post() -> None:
        legs = (Leg(wallet, xtr(5)), Leg(house, xtr(-5)))
        adjustment = Transaction(
            uuid.uuid4(), TransactionKind.ADJUSTMENT, f"lock-order:{uuid.uuid4()}", legs, NOW
        )
        async with uow_factory() as uow:
            # Its event too, as every use case writes it: the outbox owes nothing after it
            # (tests/integration/test_outbox.py checks the whole database).
            uow.raise_events(TransactionPosted(await uow.ledger.post(adjustment)))
            await uow.commit()

    async with engine.connect() as holder:
        await holder.execute(text("SELECT 1 FROM accounts WHERE id = :w FOR UPDATE"), {"w": wallet})
        posting = asyncio.create_task(post())
        await _wait_for(engine, "%ledger_post_many%")
        held = not await _free(engine, "SELECT 1 FROM accounts WHERE id = :a", {"a": house})
        await holder.rollback()
    await posting
    assert held
