"""Bets racing the end of a bonus on the real database (issue 22's "concurrent bets while a
bonus converts or expires"). A player's bets, alone and through the bet queue, run on their own
connections at the same instant as their claims, the conversion sweep and the expiry job.
Whatever the interleaving, after each round:

- the books reconcile (the ledger's and the bonus checks);
- the bonus ended at most once (its grant and at most one end posted), and only as it may: a
  conversion only once the stakes placed before it counted the requirement, and before the
  expiry; an expiry only once its time had come;
- wagering progress counts only what the rule counts (stakes after the grant, capped at the
  largest stake, weighted by the game's share; bets after the expiry nothing);
- no cash is created from the bonus: the wallet is the deposit, plus what the bets won, minus
  what they staked, plus the bonus if (and only if) it converted.

`./dev test tests/integration/test_bonus_bet_races.py` ran 30 times in a loop when written."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from application.betting import BetReceipt, PlaceBet, PlaceBetCommand
from application.betting.queue import BetQueue
from application.bonuses import ConvertBonus, ExpireBonuses, grant_bonus
from domain.bonuses import Bonus, BonusOffer, BonusState, IllegalBonusTransition, WageringIncomplete
from domain.money import XTR, Money
from tests.conftest import assert_books_balance, race
from tests.integration.test_bonus_ends import ended_postings as bonus_postings
from tests.integration.test_bonuses import budget  # noqa: F401 - fixture

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

DEPOSIT = 100_000
MAX_STAKE = 50
# (game, stake, selection): what each stake counts toward wagering, in hundredths of a star
# (`stake` capped at MAX_STAKE, times the game's share: limbo 100%, coin 10%).
BETS: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("limbo", 30, {"target": "2"}),  # 30 x 100 = 3000
    ("limbo", 90, {"target": "2"}),  # capped at 50: 5000
    ("coin", 400, {"side": "heads"}),  # capped at 50, 10%: 500
)
Call = Callable[[], Awaitable[object]]
COUNTED = {("limbo", 30): 3000, ("limbo", 90): 5000, ("coin", 400): 500}


def bet(player_id: int, i: int) -> PlaceBetCommand:
    game, stake, selection = BETS[i % len(BETS)]
    return PlaceBetCommand(player_id, uuid.uuid4(), game, Money(stake, XTR), selection)


def terms(code: str, *, amount: int, multiple: int, days: float = 7) -> BonusOffer:
    return BonusOffer(
        amount=Money(amount, XTR),
        wagering_multiple=multiple,
        wagering_base=Money(amount, XTR),
        expires_after=timedelta(days=days),
        max_stake=Money(MAX_STAKE, XTR),
        campaign="welcome",
        budget=code,
    )


@dataclass
class Bench:
    """What every race here needs: the real use cases on the test database, and one player
    with DEPOSIT stars and a bonus of `amount` x `multiple` granted at `at`."""

    funded_player: Callable[[int], Awaitable[Any]]
    place: PlaceBet
    budget: Callable[[], Awaitable[str]]
    uow_factory: Any
    clock: Any
    ids: Any
    house: Any
    engine: Any

    async def bonus(
        self, *, amount: int, multiple: int, ago: timedelta = timedelta(0), bets_before: int = 0
    ):
        """The player and their bonus, granted `ago` before now (after `bets_before` bets,
        which count nothing)."""
        player = await self.funded_player(DEPOSIT)
        for i in range(bets_before):
            await self.place(bet(player.id, i))
        offer = terms(await self.budget(), amount=amount, multiple=multiple)
        async with self.uow_factory() as uow:
            bonus = await grant_bonus(
                uow,
                self.ids,
                player_id=player.id,
                offer=offer,
                key=f"promo:race:{player.id}",
                now=self.clock.now() - ago,
                shards=self.house.shards,
            )
            await uow.commit()
        return player, bonus

    def convert(self) -> ConvertBonus:
        return ConvertBonus(self.uow_factory, self.clock, self.ids, self.house)

    def claim(self, bonus: Bonus) -> Call:
        convert = self.convert()

        async def claim() -> object:
            return await convert(bonus.id, player_id=bonus.player_id)

        return claim

    async def ended(self, bonus: Bonus) -> tuple[Bonus, int]:
        """The bonus as stored, and its progress read by the adapter's query."""
        async with self.uow_factory() as uow:
            ended = await uow.bonuses.get(bonus.id)
            weighted = await uow.bonuses.weighted_wagering(
                bonus, bonus.wagering_until(self.clock.now())
            )
        return ended, weighted


@pytest.fixture
def bench(
    funded_player,
    place,
    budget,  # noqa: F811 - the fixture imported above
    uow_factory,
    clock,
    ids,
    house,
    engine,
) -> Bench:
    return Bench(funded_player, place, budget, uow_factory, clock, ids, house, engine)


async def counted_before(engine, bonus: Bonus, until: datetime) -> int:
    """Hundredths of a star counted by the rule, from the rows of `bets`: settled bets placed
    from the grant to `until`, capped and weighted (computed here in Python, not by the
    adapter's query, so the two are compared)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT game, stake FROM bets WHERE player_id = :p AND placed_at >= :since"
                " AND placed_at <= :until AND state IN ('won', 'lost')"
            ),
            {"p": bonus.player_id, "since": bonus.granted_at, "until": until},
        )
        return sum(COUNTED[(row.game, row.stake)] for row in rows)


async def assert_whole(engine, bonus: Bonus, ended: Bonus) -> None:
    """No cash from the bonus: the wallet holds the deposit and the bets' results, plus the
    bonus only if converted; the bonus account holds nothing once the bonus ended. And the
    books reconcile (the ledger's and the bonus checks)."""
    async with engine.connect() as conn:
        results = (
            await conn.execute(
                text(
                    "SELECT coalesce(sum(payout - stake), 0) FROM bets WHERE currency = 'XTR'"
                    " AND player_id = :p AND state IN ('won', 'lost')"
                ),
                {"p": bonus.player_id},
            )
        ).scalar_one()
        balances = dict(
            (
                await conn.execute(
                    text(
                        "SELECT kind, balance FROM accounts"
                        " WHERE player_id = :p AND currency = 'XTR'"
                    ),
                    {"p": bonus.player_id},
                )
            ).all()
        )
    converted = bonus.amount.amount if ended.state is BonusState.CONVERTED else 0
    assert balances["player_wallet"] == DEPOSIT + results + converted
    assert balances["player_bonus"] == (bonus.amount.amount if ended.active else 0)
    await assert_books_balance(engine)


async def _race(bets: Call, doors: list[Call], n_bets: int) -> tuple[list, list]:
    """Run n_bets bets and the doors at the same instant; their results, bets first."""
    calls = [bets] * n_bets + doors
    results = await race(len(calls), lambda i: calls[i]())
    return results[:n_bets], results[n_bets:]


def betting(player_id: int, place: PlaceBet) -> Call:
    queue = BetQueue(place, batch_size=8)
    made = iter(range(10**6))

    async def one() -> BetReceipt:
        i = next(made)
        command = bet(player_id, i)
        # Half alone (the snapshot road), half through the queue (batches).
        return await (place(command) if i % 2 else queue(command))

    return one


async def test_bets_racing_claims_and_the_sweep_convert_the_bonus_once(bench: Bench):
    # 20 stars x 5 = 100 required; 24 bets count 8 x (30 + 50 + 5) = 680 stars, so the
    # requirement is met somewhere in the middle of the race.
    player, bonus = await bench.bonus(amount=20, multiple=5, bets_before=1)
    convert = bench.convert()
    claims = [bench.claim(bonus)] * 6 + [convert.sweep] * 4
    bets, doors = await _race(betting(player.id, bench.place), claims, n_bets=24)
    assert all(isinstance(r, BetReceipt) for r in bets), bets
    for r in doors:
        assert isinstance(r, (Bonus, int, WageringIncomplete)), doors
    await convert.sweep()  # every bet is in now: the requirement is met
    ended, weighted = await bench.ended(bonus)
    assert ended.state is BonusState.CONVERTED
    assert ended.ended_at is not None
    assert await bonus_postings(bench.engine, bonus) == ["conversion", "grant"]
    # Converted only on stakes placed before it that met the requirement.
    assert await counted_before(bench.engine, bonus, ended.ended_at) >= 100 * 100
    assert weighted == await counted_before(bench.engine, bonus, bench.clock.now()) == 8 * 8500
    await assert_whole(bench.engine, bonus, ended)


async def test_bets_that_never_meet_the_requirement_convert_nothing(bench: Bench):
    """Stakes the rule caps and weights: 18 bets stake 3,120 stars but count 510; a rule that
    counted whole stakes, uncapped, would convert a 600 star requirement."""
    player, bonus = await bench.bonus(amount=100, multiple=6, bets_before=6)
    convert = bench.convert()
    claims = [bench.claim(bonus)] * 5 + [convert.sweep] * 3
    bets, doors = await _race(betting(player.id, bench.place), claims, n_bets=18)
    assert all(isinstance(r, BetReceipt) for r in bets), bets
    assert all(isinstance(r, (WageringIncomplete, int)) for r in doors), doors
    assert await convert.sweep() == 0
    ended, weighted = await bench.ended(bonus)
    assert ended.state is BonusState.ACTIVE
    assert weighted == await counted_before(bench.engine, bonus, bench.clock.now()) == 6 * 8500
    assert await bonus_postings(bench.engine, bonus) == ["grant"]
    await assert_whole(bench.engine, bonus, ended)


async def test_bets_racing_the_expiry_job_and_claims_end_the_bonus_once(bench: Bench):
    """A bonus whose expiry comes while the player bets, claims and the jobs run: it ends
    exactly once, converted before its expiry on stakes that met the requirement, or expired
    at or after it; bets after the expiry count nothing."""
    # Granted seven days ago, less a moment: it expires during the race. The requirement
    # (20 x 5 = 100 stars) is met after a couple of bets, so which end wins is the race's.
    ago = timedelta(days=7) - timedelta(milliseconds=150)
    player, bonus = await bench.bonus(amount=20, multiple=5, ago=ago)
    expire = ExpireBonuses(bench.uow_factory, bench.clock, bench.ids, bench.house)

    async def expiry_job() -> int:
        # The job's periodic runs, until it finds the bonus ended (by itself or a claim).
        expired = 0
        while True:
            expired += await expire()
            if not (await bench.ended(bonus))[0].active:
                return expired
            await asyncio.sleep(0.02)

    claims = [bench.claim(bonus)] * 4 + [bench.convert().sweep] * 2 + [expiry_job] * 2
    bets, doors = await _race(betting(player.id, bench.place), claims, 24)
    assert all(isinstance(r, BetReceipt) for r in bets), bets
    for r in doors:
        assert isinstance(r, (Bonus, int, WageringIncomplete, IllegalBonusTransition)), doors
    assert sum(r for r in doors[-2:] if isinstance(r, int)) <= 1
    ended, weighted = await bench.ended(bonus)
    assert ended.ended_at is not None
    if ended.state is BonusState.CONVERTED:
        assert ended.ended_at < bonus.expires_at
        assert await counted_before(bench.engine, bonus, ended.ended_at) >= 100 * 100
        assert await bonus_postings(bench.engine, bonus) == ["conversion", "grant"]
    else:
        assert ended.state is BonusState.EXPIRED
        assert ended.ended_at >= bonus.expires_at
        assert await bonus_postings(bench.engine, bonus) == ["forfeit", "grant"]
    # Only bets placed up to the expiry count (the adapter's query reads up to `until`).
    assert weighted == await counted_before(bench.engine, bonus, bonus.expires_at)
    await assert_whole(bench.engine, bonus, ended)


async def test_bets_after_the_expiry_convert_nothing_while_the_job_expires_it(bench: Bench):
    """A bonus already past its expiry: the player's bets would meet its requirement many
    times over, but they come after the expiry. The claims, the sweep and the job race with
    them: it is expired exactly once and nothing converts."""
    player, bonus = await bench.bonus(amount=20, multiple=5, ago=timedelta(days=8))
    expire = ExpireBonuses(bench.uow_factory, bench.clock, bench.ids, bench.house)
    claims = [bench.claim(bonus)] * 4 + [bench.convert().sweep] * 2 + [expire] * 3
    bets, doors = await _race(betting(player.id, bench.place), claims, 24)
    assert all(isinstance(r, BetReceipt) for r in bets), bets
    assert all(r.state is BonusState.EXPIRED for r in doors[:4] if isinstance(r, Bonus)), doors
    assert all(isinstance(r, (Bonus, IllegalBonusTransition)) for r in doors[:4]), doors
    assert all(isinstance(r, int) for r in doors[4:]), doors
    assert sum(doors[6:]) <= 1
    ended, weighted = await bench.ended(bonus)
    assert ended.state is BonusState.EXPIRED
    assert weighted == 0
    assert await bonus_postings(bench.engine, bonus) == ["forfeit", "grant"]
    await assert_whole(bench.engine, bonus, ended)
