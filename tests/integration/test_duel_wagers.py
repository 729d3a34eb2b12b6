"""A duel's stake is a wager wherever a bet's stake is one (issue 23, docs/duels.md), on the
real database: the reality check's "last played", the withdrawal's wagering requirement (the
responsible-gambling usage it reads), a bonus's wagering (at the die's Telegram dice game's
contribution), the VIP turnover and rakeback edge, and the risk review's play since a deposit.
A declined or refunded duel staked nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from application.duels import ChallengeDuelCommand, RecordDuelRollCommand
from domain.bonuses import Bonus
from domain.duels import Seat
from domain.money import XTR, Money
from domain.responsible import LimitKind
from tests.fakes import FakeClock
from tests.integration.test_duels import duels  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

STAKE = 10  # ⭐; pot 20, cut 5% = 1 ⭐ (RULES of test_duels), prize 19 ⭐


async def _settled(duels, a: int, b: int, clock) -> uuid.UUID:  # noqa: F811
    """A 🎲 duel of `STAKE` between the players of telegram ids a and b: a wins, 6 to 2."""
    challenge, accept, _, roll, _ = duels.build(clock=clock)
    duel_id = uuid.uuid4()
    await challenge(ChallengeDuelCommand(duel_id, -42, a, Money(STAKE, XTR), "🎲", b))
    await accept(duel_id, b)
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 6, 1))
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 2, 2))
    return duel_id


def _bonus(player_id: int, granted_at) -> Bonus:
    return Bonus(
        id=uuid.uuid4(),
        player_id=player_id,
        key=f"test-{uuid.uuid4()}",
        amount=Money(50, XTR),
        wagering_required=Money(500, XTR),
        max_stake=None,
        campaign="",
        budget="",
        granted_at=granted_at,
        expires_at=granted_at + timedelta(days=7),
        grant_transaction_id=uuid.uuid4(),
    )


async def test_a_settled_duels_stake_counts_for_both_players_everywhere(
    duels,  # noqa: F811
    uow_factory,
):
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    # After the players' deposits (the wall clock's): the risk review counts play from them.
    clock = FakeClock(datetime.now(UTC))
    before = clock.now() - timedelta(minutes=1)
    await _settled(duels, a, b, clock)
    after = clock.now() + timedelta(minutes=1)
    async with uow_factory() as uow:
        for player in (pa, pb):
            # The reality check's session: a duel is play.
            assert await uow.responsible.last_played_at(player) == clock.now()
            # The withdrawal's wagering requirement reads this usage: the stake is wagered.
            usage = await uow.responsible.usage(
                player, XTR, before, frozenset({LimitKind.DEPOSIT, LimitKind.WAGER})
            )
            assert usage.wagered == STAKE
            # A bonus: 10 ⭐ at tg_dice's 10% contribution (weighted in hundredths of a star).
            bonus = _bonus(player, before)
            assert await uow.bonuses.weighted_wagering(bonus, after) == STAKE * 10
            # VIP turnover and the rakeback's edge: the player's half of the 1 ⭐ cut.
            turnover = await uow.vip.turnover(player, XTR, before, after)
            assert (turnover.wagered, turnover.edge, turnover.bets) == (
                Money(STAKE, XTR),
                Fraction(1, 2),
                1,
            )
            # The risk review's "deposited, then withdrawn without play": the duel is play.
            funding = await uow.risk.funding(player, XTR, before - timedelta(hours=1))
            assert funding.wagered == STAKE


async def test_a_declined_duel_staked_nothing_but_the_challenger_played_when_challenging(
    duels,  # noqa: F811
    uow_factory,
):
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    before = duels.clock.now() - timedelta(minutes=1)
    challenge, _, decline, _, _ = duels.build()
    duel_id = uuid.uuid4()
    await challenge(ChallengeDuelCommand(duel_id, -42, a, Money(STAKE, XTR), "🎲", b))
    await decline(duel_id, b)
    after = duels.clock.now() + timedelta(minutes=1)
    async with uow_factory() as uow:
        # The challenge moved the stake (and back): the challenger was playing then.
        assert await uow.responsible.last_played_at(pa) == duels.clock.now()
        assert await uow.responsible.last_played_at(pb) is None  # never staked
        for player in (pa, pb):
            usage = await uow.responsible.usage(player, XTR, before, frozenset(LimitKind))
            assert usage.wagered == 0
            assert await uow.bonuses.weighted_wagering(_bonus(player, before), after) == 0
            turnover = await uow.vip.turnover(player, XTR, before, after)
            assert (turnover.wagered.amount, turnover.bets) == (0, 0)
            funding = await uow.risk.funding(player, XTR, before - timedelta(hours=1))
            assert funding.wagered == 0
