"""Rakeback claims and the daily bonus on the real database: a claim reads the settled bets
through the index, pays stake x edge x share once through the promotions books and the
budget, two claims racing pay once (and ten double taps of one claim id answer one claim), the
chain refuses a second claim after the same one even without the lock, and the daily bonus
pays once a day however many taps race (the books reconcile after every test)."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from application.betting import PlaceBetCommand
from application.vip import ClaimDailyBonus, ClaimRakeback, GetVipStatus
from domain.errors import IdempotencyConflict
from domain.money import FUN, XTR, CurrencyRegistry, Money
from domain.rakeback import (
    DailyBonusPolicy,
    NothingToClaim,
    RakebackClaim,
    RakebackPolicy,
)
from domain.vip import DEFAULT_LADDER
from tests.conftest import race
from tests.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

RAKEBACK = RakebackPolicy(DEFAULT_LADDER, {"XTR": 10**9})
DAILY = DailyBonusPolicy(Money(100_00, FUN), Money(10**12, FUN))


@pytest.fixture
def later():
    # Past the settlement grace, so the bets just placed are in a claim's period.
    return FakeClock(datetime.now(UTC) + timedelta(minutes=2))


@pytest.fixture
def claim(uow_factory, later, ids, house):
    return ClaimRakeback(uow_factory, later, ids, RAKEBACK, house)


async def _played(funded_player, place, stakes: list[int]) -> tuple[int, Fraction]:
    """A player who played coin flips of these stakes; their exact stake x edge."""
    player = await funded_player(sum(stakes))
    edge = Fraction(0)
    for stake in stakes:
        receipt = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"})
        )
        edge += stake * receipt.bet.house_edge
    return player.id, edge


async def _wallet(engine, player_id: int, currency: str = "XTR") -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT balance FROM accounts WHERE player_id = :p AND currency = :c"
                    " AND kind = 'player_wallet'"
                ),
                {"p": player_id, "c": currency},
            )
        ).scalar_one()


async def test_a_claim_pays_once_through_the_books_and_the_budget(
    funded_player, place, claim, engine, uow_factory, later
):
    player, edge = await _played(funded_player, place, [2_000, 2_000, 2_000])
    before = await _wallet(engine, player)
    paid = await claim(player, XTR, uuid.uuid4())
    # 6,000 ⭐ in the window: Silver, 10% of the edge, floored once.
    assert (paid.level, paid.wagered) == ("Silver", Money(6_000, XTR))
    assert paid.amount == Money(math.floor(edge / 10), XTR)
    assert await _wallet(engine, player) == before + paid.amount.amount
    async with uow_factory() as uow:
        assert await uow.vip.claim(paid.id) == paid
        assert (await uow.budgets.get("rakeback-xtr")).spent >= paid.amount
        posted = await uow.ledger.get(paid.transaction_id)
    assert posted.idempotency_key == f"promotion:rakeback:{paid.id}"
    status = await GetVipStatus(uow_factory, later, RAKEBACK, DAILY, CurrencyRegistry())(player)
    assert (status.progress.level.name, status.claimable) == ("Silver", (Money(0, XTR),))


async def test_concurrent_claims_pay_once(funded_player, place, claim, engine):
    player, _ = await _played(funded_player, place, [3_000, 3_000])
    before = await _wallet(engine, player)
    results = await race(10, lambda i: claim(player, XTR, uuid.uuid4()))
    paid = [r for r in results if isinstance(r, RakebackClaim)]
    refused = [r for r in results if isinstance(r, NothingToClaim)]
    assert (len(paid), len(refused)) == (1, 9), results
    assert await _wallet(engine, player) == before + paid[0].amount.amount
    # Ten double taps of one claim id: one claim, the others its answer.
    player2, _ = await _played(funded_player, place, [3_000])
    claim_id = uuid.uuid4()
    taps = await race(10, lambda i: claim(player2, XTR, claim_id))
    assert all(isinstance(t, RakebackClaim) for t in taps), taps
    assert len({(t.id, t.transaction_id, t.amount) for t in taps}) == 1


async def test_the_chain_refuses_a_second_claim_after_the_same_one(
    funded_player, place, claim, uow_factory
):
    # What the lock prevents, the table refuses too: two claims after the same previous one.
    player, _ = await _played(funded_player, place, [3_000])
    first = await claim(player, XTR, uuid.uuid4())
    async with uow_factory() as uow:
        twin = replace(first, id=uuid.uuid4(), transaction_id=first.transaction_id)
        with pytest.raises(IdempotencyConflict):
            await uow.vip.add_claim(twin)
    async with uow_factory() as uow:  # the refused insert kept nothing
        assert await uow.vip.last_claim(player, XTR) == first


async def test_the_daily_bonus_pays_once_however_many_taps_race(
    new_player, uow_factory, later, ids, house, engine
):
    player = (await new_player()).id
    daily = ClaimDailyBonus(uow_factory, later, ids, DAILY, house)
    results = await race(8, lambda i: daily(player))
    assert sorted(r.paid is not None for r in results) == [False] * 7 + [True], results
    assert await _wallet(engine, player, "FUN") == 100_00
    async with uow_factory() as uow:
        assert (await uow.budgets.get("daily-fun")).spent.currency == FUN


# The shape of a casino's `bets` a year in: 20,000 bets of 2,000 players spread over 365 days,
# one in ten still placed or voided, one in five in FUN. At most 30,000 rows, so ANALYZE reads
# every row (its sample is 300 x default_statistics_target) and the statistics, hence the
# plan, are the same on every run.
_BETS = 20_000
_A_YEAR_OF_BETS = text(
    """
    INSERT INTO bets (id, player_id, game, currency, stake, params, house_edge, max_payout,
                      state, placed_at, placed_transaction_id, outcome, multiplier_num, payout,
                      settled_at, settlement_transaction_id, void_reason)
    SELECT gen_random_uuid(), 1 + (hashint4(i) & 2147483647) % 2000, 'coin',
           CASE WHEN i % 5 = 0 THEN 'FUN' ELSE 'XTR' END, 100, '{}', 0.02, 200, state, at,
           gen_random_uuid(),
           CASE WHEN state IN ('won', 'lost') THEN 1 END,
           CASE WHEN state IN ('won', 'lost') THEN 2 END,
           CASE state WHEN 'won' THEN 200 WHEN 'lost' THEN 0 END,
           CASE WHEN state <> 'placed' THEN at + interval '1 second' END,
           CASE WHEN state <> 'placed' THEN gen_random_uuid() END,
           CASE WHEN state = 'voided' THEN 'void' END
    FROM (SELECT i, now() - (365.0 * i / :bets) * interval '1 day' AS at,
                 CASE WHEN i % 20 = 0 THEN 'placed' WHEN i % 20 = 1 THEN 'voided'
                      WHEN i % 2 = 0 THEN 'won' ELSE 'lost' END AS state
          FROM generate_series(1, :bets) AS i) AS b
    """
)


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


async def _temporary_copy(conn: AsyncConnection, table: str) -> set[str]:
    """A temporary `table` like the public one, with its indexes under their own names (the
    names of those)."""
    await conn.execute(
        text(
            f"CREATE TEMP TABLE {table}"
            f" (LIKE public.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
    )
    indexes = (
        await conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = 'public' AND tablename = :t"
            ),
            {"t": table},
        )
    ).all()
    for _, definition in indexes:
        await conn.execute(
            text(definition.replace(f" ON public.{table} ", f" ON pg_temp.{table} "))
        )
    return {name for name, _ in indexes}


async def test_the_turnover_read_is_a_range_scan_of_the_players_settled_bets(engine):
    """The level and every claim read through the index of revision 0039: on a `bets` of a
    realistic size and shape, the planner itself (nothing priced out) reads one player's
    settled bets of the window as a range of `ix_bets_player_settled`.

    It reads temporary copies of `bets` and `duels` (`pg_temp` comes first on the search
    path), with the real tables' indexes under their own names, filled and analyzed in a
    transaction that is rolled back. On the suite's shared `bets` the plan depended on what
    ran before: once autovacuum had analyzed it at a few dozen rows, nearly all one player's
    and all inside the 30-day window, neither column past player_id selected anything and
    the smallest index that serves the state predicate won (`ix_bets_settled_at`, or
    `ix_bets_player` on other such tables), even with sequential scans priced out."""
    from adapters.postgres.vip import TURNOVER

    now = datetime.now(UTC)
    async with engine.connect() as conn, conn.begin() as transaction:
        indexes = await _temporary_copy(conn, "bets")
        await _temporary_copy(conn, "duels")
        await conn.execute(_A_YEAR_OF_BETS, {"bets": _BETS})
        await conn.execute(text("ANALYZE pg_temp.bets"))
        await conn.execute(text("ANALYZE pg_temp.duels"))
        # Player 7 is like any other: about ten bets in the year, one or two in the window.
        params = {"player": 7, "currency": "XTR", "since": now - timedelta(days=30), "until": now}
        [[document]] = (
            await conn.execute(text(f"EXPLAIN (FORMAT JSON) {TURNOVER.text}"), params)
        ).all()
        await transaction.rollback()
    plan = document if isinstance(document, list) else json.loads(document)
    on_bets = [
        n
        for n in _nodes(plan[0]["Plan"])
        if n.get("Relation Name") == "bets" or n.get("Index Name") in indexes
    ]
    assert on_bets, plan
    assert not [n for n in on_bets if n["Node Type"] == "Seq Scan"], on_bets
    assert {n["Index Name"] for n in on_bets if "Index Name" in n} == {"ix_bets_player_settled"}
    # A range of one player's rows in one currency: all three columns bound the scan.
    [scan] = [n for n in on_bets if "Index Cond" in n]
    for bound in ("player_id =", "currency =", "settled_at >", "settled_at <="):
        assert bound in scan["Index Cond"], scan
