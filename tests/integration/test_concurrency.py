"""Races on real connections to a real PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from application.postings import CreditDepositCommand, DebitWalletCommand
from application.registration import RegisterPlayerCommand
from domain.errors import IdempotencyConflict, InsufficientFunds
from domain.money import XTR, Money

pytestmark = pytest.mark.usefixtures("books")


async def _connections_in_use(engine) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'croupier'")
            )
        ).scalar_one()


async def test_200_concurrent_debits_of_1_against_100_leave_exactly_100(
    new_player, credit, debit, balances, engine, unique_key
):
    player = await new_player()
    await credit(CreditDepositCommand(player.id, Money(100, XTR), unique_key("seed")))

    start = asyncio.Event()
    peak = 0

    async def one(i: int) -> bool:
        await start.wait()
        try:
            await debit(DebitWalletCommand(player.id, Money(1, XTR), unique_key(f"d{i}")))
        except InsufficientFunds:
            return False
        return True

    tasks = [asyncio.create_task(one(i)) for i in range(200)]
    start.set()
    # Sample while they run, to show the race really happens on many connections.
    while not all(t.done() for t in tasks):
        peak = max(peak, await _connections_in_use(engine))
        await asyncio.sleep(0)
    results = [t.result() for t in tasks]

    assert results.count(True) == 100
    assert results.count(False) == 100
    assert await balances(player.id) == (Money(0, XTR),)
    assert peak > 20, f"only {peak} connections were open at once; the race did not happen"


async def test_same_key_posted_50_times_at_once_moves_money_once(
    new_player, credit, balances, engine, unique_key
):
    player = await new_player()
    key = unique_key("deposit")
    command = CreditDepositCommand(player.id, Money(7, XTR), key, external_reference="pay-1")

    results = await asyncio.gather(*(credit(command) for _ in range(50)))

    assert sum(not r.replayed for r in results) == 1
    assert len({r.transaction.id for r in results}) == 1
    assert {r.balance for r in results} == {Money(7, XTR)}
    assert await balances(player.id) == (Money(7, XTR),)
    async with engine.connect() as conn:
        count = (
            await conn.execute(
                text("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = :k"),
                {"k": key},
            )
        ).scalar_one()
    assert count == 1


async def test_conflicting_reuse_of_a_key_is_rejected_and_moves_nothing(
    new_player, credit, balances, unique_key
):
    player = await new_player()
    key = unique_key("deposit")
    await credit(CreditDepositCommand(player.id, Money(5, XTR), key))

    with pytest.raises(IdempotencyConflict, match="different operation"):
        await credit(CreditDepositCommand(player.id, Money(6, XTR), key))
    # The same key for another player is a different operation too.
    other = await new_player()
    with pytest.raises(IdempotencyConflict):
        await credit(CreditDepositCommand(other.id, Money(5, XTR), key))

    assert await balances(player.id) == (Money(5, XTR),)
    assert await balances(other.id) == (Money(0, XTR),)


async def test_concurrent_conflicting_requests_apply_exactly_one(
    new_player, credit, balances, unique_key
):
    player = await new_player()
    key = unique_key("deposit")
    commands = [CreditDepositCommand(player.id, Money(n, XTR), key) for n in range(1, 21)]

    results = await asyncio.gather(*(credit(c) for c in commands), return_exceptions=True)

    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, IdempotencyConflict) for r in results if r not in winners)
    assert await balances(player.id) == (winners[0].balance,)


async def test_registering_one_user_concurrently_makes_one_player(register, new_telegram_id):
    telegram_id = new_telegram_id()
    results = await asyncio.gather(
        *(register(RegisterPlayerCommand(telegram_id, currencies=(XTR,))) for _ in range(20))
    )
    assert len({r.player.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len({r.wallets[0].id for r in results}) == 1
