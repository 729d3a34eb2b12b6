"""The group owner's share of a duel's cut (docs/duels.md, "The group owner's share"): the
split in numbers (rounded down for the owner, so in the house's favour; 0 and 10000 basis
points), the settlement's legs, the share fixed on the duel, the settings' bounds, and on
fakes: a registered owner is paid in the settlement, an unregistered or self-excluded one is
not (the house keeps the whole cut), and /groupstats' figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    ChallengeDuelCommand,
    RecordDuelGroup,
    RecordDuelRoll,
    RecordDuelRollCommand,
    ReportGroupDuels,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import StartTimeout
from application.risk.review import RiskReview
from domain.accounts import AccountKind
from domain.duel_groups import DuelGroup
from domain.duels import Duel, DuelRules, DuelState, Seat, split_cut
from domain.duels_collusion import CollusionPolicy
from domain.duels_postings import duel_settlement
from domain.errors import InvalidRequest
from domain.money import XTR, Money
from domain.responsible import TimeoutPeriod
from domain.risk import RiskPolicy
from entrypoints.settings.duels import Duels
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def stars(n: int) -> Money:
    return Money(n, XTR)


@pytest.mark.parametrize(
    ("cut", "bps", "owner", "house"),
    [
        (1, 2500, 0, 1),  # 0.25 ⭐ rounds down to 0: the house keeps the star
        (3, 5000, 1, 2),  # 1.5 ⭐ rounds down to 1
        (4, 5000, 2, 2),
        (19, 3333, 6, 13),  # 6.3327 → 6
        (7, 0, 0, 7),  # off
        (7, 10_000, 7, 0),  # the whole cut
        (0, 5000, 0, 0),  # no cut, nothing to split
    ],
)
def test_the_cut_splits_with_the_owners_part_rounded_down(
    cut: int, bps: int, owner: int, house: int
) -> None:
    split = split_cut(stars(cut), bps)
    assert (split.owner, split.house) == (stars(owner), stars(house))
    assert split.owner + split.house == stars(cut)


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_a_share_outside_0_to_10000_is_refused(bps: int) -> None:
    with pytest.raises(InvalidRequest):
        split_cut(stars(10), bps)
    with pytest.raises(InvalidRequest):
        DuelRules(owner_share_bps=bps)


def _settled(stake: int, cut_bps: int, owner_bps: int) -> Duel:
    duel = Duel.challenge(
        uuid.uuid4(),
        chat_id=-5,
        challenger_id=1,
        challenged_id=2,
        stake=stars(stake),
        game="🎲",
        rules=DuelRules(cut_bps=cut_bps, owner_share_bps=owner_bps),
        now=NOW,
    )
    duel = duel.accept(2, NOW, timedelta(minutes=5))
    duel = duel.record_roll(Seat.CHALLENGER, 6, 1, NOW)
    return duel.record_roll(Seat.CHALLENGED, 2, 2, NOW)


def _legs(transaction) -> dict[int, int]:
    return {leg.account_id: leg.amount.amount for leg in transaction.legs}


def test_the_share_is_fixed_on_the_duel_when_it_is_made() -> None:
    duel = _settled(30, 500, 5000)
    assert duel.owner_share_bps == 5000
    # Pot 60, cut 3 (5%), owner 1 (half of 3, rounded down), house 2.
    assert (duel.cut, duel.cut_split.owner, duel.cut_split.house) == (stars(3), stars(1), stars(2))


def test_the_settlement_pays_the_house_and_the_owner_in_one_balanced_transaction() -> None:
    duel = _settled(30, 500, 5000)
    posted = duel_settlement(
        duel,
        uuid.uuid4(),
        escrow=10,
        winner_wallet=11,
        bankroll=12,
        at=NOW,
        owner_wallet=13,
        owner_id=77,
    )
    assert _legs(posted) == {10: -60, 11: 57, 12: 2, 13: 1}
    assert (posted.metadata["owner_share"], posted.metadata["owner_id"]) == (1, 77)
    # Without an owner who may receive it, the house keeps the whole cut.
    kept = duel_settlement(duel, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW)
    assert _legs(kept) == {10: -60, 11: 57, 12: 3}
    assert "owner_share" not in kept.metadata


def test_an_owner_who_won_gets_one_leg_prize_and_share_together() -> None:
    duel = _settled(30, 500, 10_000)
    posted = duel_settlement(
        duel, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW, owner_wallet=11
    )
    assert _legs(posted) == {10: -60, 11: 60}


def test_a_share_that_rounds_to_nothing_adds_no_leg() -> None:
    duel = _settled(10, 500, 2500)  # cut 1, a quarter of it rounds to 0
    posted = duel_settlement(
        duel, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW, owner_wallet=13
    )
    assert _legs(posted) == {10: -20, 11: 19, 12: 1}


def test_the_settings_bound_the_share_and_set_the_collusion_policy() -> None:
    assert Duels().duel_rules().owner_share_bps == 0  # off unless set
    assert Duels(duel_owner_share_bps=10_000).duel_rules().owner_share_bps == 10_000
    for bad in (-1, 10_001):
        with pytest.raises(ValidationError):
            Duels(duel_owner_share_bps=bad)
    policy = Duels(
        duel_collusion_min_duels=6,
        duel_collusion_p_value_ppm=10_000,
        duel_collusion_pair_share_bps=7500,
        duel_collusion_window_days=7,
    ).duel_collusion_policy()
    assert (policy.min_duels, policy.window) == (6, timedelta(days=7))
    assert (float(policy.p_value), float(policy.pair_share)) == (0.01, 0.75)
    assert Duels().duel_collusion_policy() == CollusionPolicy()


# -- on fakes ---------------------------------------------------------------------------

ALICE, BOB, OWNER = 2001, 2002, 2003  # Telegram ids
CHAT = -300
RULES = DuelRules(cut_bps=500, max_ties=1, owner_share_bps=5000)


class Group:
    def __init__(self) -> None:
        self.db, self.clock, self.ids, self.house = (
            FakeDatabase(),
            FakeClock(),
            SequentialIds(),
            HouseBook(4),
        )
        parts = (self.db, self.clock, self.ids, self.house)
        self.challenge = ChallengeDuel(*parts, RULES)
        self.accept = AcceptDuel(*parts, RULES)
        self.roll = RecordDuelRoll(*parts, RiskReview(RiskPolicy()), CollusionPolicy())
        self.players: dict[int, int] = {}

    async def seat(self, telegram_id: int, cash: int = 100) -> int:
        registered = await RegisterPlayer(self.db, self.clock)(
            RegisterPlayerCommand(telegram_id, currencies=(XTR,), accept_terms=True)
        )
        player = registered.player.id
        if cash:
            await CreditDeposit(self.db, self.clock, self.ids, self.house)(
                CreditDepositCommand(player, stars(cash), f"cash-{telegram_id}")
            )
        self.players[telegram_id] = player
        return player

    def wallet(self, telegram_id: int) -> int:
        player = self.players[telegram_id]
        return next(
            a.balance
            for a in self.db.state.accounts.values()
            if a.player_id == player and a.kind is AccountKind.PLAYER_WALLET
        )

    def bankroll(self) -> int:
        return sum(
            a.balance
            for a in self.db.state.accounts.values()
            if a.kind is AccountKind.HOUSE_BANKROLL
        )

    async def play(self, stake: int, winner: int = ALICE) -> None:
        duel_id = uuid.uuid4()
        await self.challenge(ChallengeDuelCommand(duel_id, CHAT, ALICE, stars(stake), "🎲", BOB))
        await self.accept(duel_id, BOB)
        a, b = (6, 1) if winner == ALICE else (1, 6)
        await self.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, a, 1))
        duel = await self.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, b, 2))
        assert duel.state is DuelState.SETTLED


@pytest.fixture
async def group() -> Group:
    g = Group()
    await g.seat(ALICE)
    await g.seat(BOB)
    await RecordDuelGroup(g.db, g.clock)(CHAT, "Dice night", OWNER, True)
    return g


async def test_a_registered_owner_is_paid_their_share_in_the_settlement(group: Group) -> None:
    await group.seat(OWNER, cash=0)
    before = group.bankroll()
    await group.play(30)  # pot 60, cut 3: owner 1, house 2
    assert (group.wallet(ALICE), group.wallet(BOB), group.wallet(OWNER)) == (127, 70, 1)
    assert group.bankroll() - before == 2


async def test_an_owner_who_never_started_the_bot_gets_nothing_the_house_keeps_it(
    group: Group,
) -> None:
    before = group.bankroll()
    await group.play(30)
    assert group.bankroll() - before == 3


async def test_an_owner_on_a_break_gets_nothing_the_house_keeps_it(group: Group) -> None:
    await group.seat(OWNER, cash=0)
    await StartTimeout(group.db, group.clock)(group.players[OWNER], TimeoutPeriod.DAY)
    before = group.bankroll()
    await group.play(30)
    assert group.wallet(OWNER) == 0
    assert group.bankroll() - before == 3


async def test_an_owner_who_plays_in_their_group_gets_the_share_of_their_own_duel(
    group: Group,
) -> None:
    await RecordDuelGroup(group.db, group.clock)(CHAT, "Dice night", ALICE, True)
    await group.play(30, winner=ALICE)
    assert group.wallet(ALICE) == 70 + 57 + 1


async def test_groupstats_counts_the_settled_duels_and_the_share_for_the_owner_alone(
    group: Group,
) -> None:
    await group.seat(OWNER, cash=0)
    await group.play(30)
    await group.play(10, winner=BOB)  # pot 20, cut 1: the owner's half rounds to 0
    report = ReportGroupDuels(group.db, RULES)
    seen = await report(CHAT, OWNER)
    assert seen.for_owner
    assert seen.owner_share_bps == 5000
    (stats,) = seen.stats
    assert (stats.settled, stats.staked, stats.cut, stats.owner_share) == (
        2,
        stars(80),
        stars(4),
        stars(1),
    )
    assert stats.house_part == stars(3)
    assert not (await report(CHAT, ALICE)).for_owner
    assert (await report(-999, OWNER)).stats == ()


def test_a_group_serves_duels_only_with_a_known_owner_and_no_non_admin_choice() -> None:
    def group(owner: int | None, by_admin: bool | None) -> DuelGroup:
        return DuelGroup(-1, "g", owner, by_admin, NOW)

    assert group(5, True).serves_duels
    assert group(5, None).serves_duels  # an old group, verified on its first duel
    assert not group(5, False).serves_duels
    assert not group(None, True).serves_duels
