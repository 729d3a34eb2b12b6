"""The groups' use cases and the owner's share on fakes (docs/duels.md, "The group owner's
share"): a registered owner is paid in the settlement, an unregistered one or one on a break
is not (the house keeps the whole cut), an owner who plays gets the share of their own duel,
a group's record is found and replaced, and /groupstats' figures; the same for a lobby's
settlement (the one `_owner_wallet` both settlements call) and /groupstats with lobbies."""

from __future__ import annotations

import uuid

import pytest

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    ChallengeDuelCommand,
    FindDuelGroup,
    JoinLobby,
    OpenLobby,
    OpenLobbyCommand,
    RecordDuelGroup,
    RecordDuelRoll,
    RecordDuelRollCommand,
    RecordLobbyRoll,
    RecordLobbyRollCommand,
    ReportGroupDuels,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import StartTimeout
from application.risk.review import RiskReview
from domain.accounts import AccountKind
from domain.duel_lobbies import LobbyState
from domain.duels import DuelRules, DuelState, Seat
from domain.duels_collusion import CollusionPolicy
from domain.money import XTR, Money
from domain.responsible import TimeoutPeriod
from domain.risk import RiskPolicy
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


def stars(n: int) -> Money:
    return Money(n, XTR)


ALICE, BOB, OWNER, CAT = 2001, 2002, 2003, 2004  # Telegram ids
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
        self.open_lobby = OpenLobby(*parts, RULES)
        self.join_lobby = JoinLobby(*parts, RULES)
        self.roll_lobby = RecordLobbyRoll(*parts, RiskReview(RiskPolicy()))
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

    async def play_lobby(self, stake: int, seats: tuple[int, ...]) -> None:
        """A lobby the first of `seats` opens, the others join (the last fills and starts
        it); the first seat rolls the highest and wins."""
        lobby_id = uuid.uuid4()
        await self.open_lobby(
            OpenLobbyCommand(lobby_id, CHAT, seats[0], stars(stake), "🎲", len(seats))
        )
        for telegram_id in seats[1:]:
            await self.join_lobby(lobby_id, telegram_id)
        for number in range(1, len(seats) + 1):
            value = 6 if number == 1 else 1
            lobby = await self.roll_lobby(
                RecordLobbyRollCommand(lobby_id, 1, number, value, 100 + number)
            )
        assert lobby.state is LobbyState.SETTLED


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


async def test_a_groups_record_is_found_and_replaced_by_a_later_check(group: Group) -> None:
    find = FindDuelGroup(group.db)
    first = await find(CHAT)
    assert first is not None
    assert (first.title, first.owner_telegram_id, first.added_by_admin) == (
        "Dice night",
        OWNER,
        True,
    )
    group.clock.advance(hours=1)
    await RecordDuelGroup(group.db, group.clock)(CHAT, "Dice night 2", ALICE, None)
    again = await find(CHAT)
    assert again is not None
    assert (again.title, again.owner_telegram_id, again.added_by_admin) == (
        "Dice night 2",
        ALICE,
        None,
    )
    assert again.checked_at > first.checked_at
    assert await find(-1) is None


async def test_a_lobby_pays_a_registered_owner_their_share_as_a_duel_does(group: Group) -> None:
    await group.seat(OWNER, cash=0)
    await group.seat(CAT)
    before = group.bankroll()
    await group.play_lobby(20, (ALICE, BOB, CAT))  # pot 60, cut 3: owner 1, house 2
    assert (group.wallet(ALICE), group.wallet(BOB), group.wallet(CAT)) == (80 + 57, 80, 80)
    assert group.wallet(OWNER) == 1
    assert group.bankroll() - before == 2


async def test_a_lobbys_owner_on_a_break_or_never_started_gets_nothing(group: Group) -> None:
    await group.seat(CAT)
    before = group.bankroll()
    await group.play_lobby(20, (ALICE, BOB, CAT))  # the owner never started the bot
    assert group.bankroll() - before == 3
    await group.seat(OWNER, cash=0)
    await StartTimeout(group.db, group.clock)(group.players[OWNER], TimeoutPeriod.DAY)
    await group.play_lobby(20, (ALICE, BOB, CAT))
    assert group.wallet(OWNER) == 0
    assert group.bankroll() - before == 6


async def test_an_owner_who_plays_in_their_own_lobby_gets_its_share(group: Group) -> None:
    await RecordDuelGroup(group.db, group.clock)(CHAT, "Dice night", ALICE, True)
    await group.play_lobby(20, (ALICE, BOB))  # pot 40, cut 2: Alice wins 38 and her 1
    assert group.wallet(ALICE) == 80 + 38 + 1


async def test_groupstats_counts_the_lobbies_with_the_duels(group: Group) -> None:
    await group.seat(OWNER, cash=0)
    await group.seat(CAT)
    await group.play(30)  # pot 60, cut 3, owner 1
    await group.play_lobby(20, (ALICE, BOB, CAT))  # pot 60, cut 3, owner 1
    await group.play_lobby(10, (BOB, CAT))  # pot 20, cut 1: the owner's half rounds to 0
    seen = await ReportGroupDuels(group.db, RULES)(CHAT, OWNER)
    (stats,) = seen.stats
    assert (stats.settled, stats.lobbies, stats.staked, stats.cut, stats.owner_share) == (
        1,
        2,
        stars(140),
        stars(7),
        stars(2),
    )
    assert group.wallet(OWNER) == 2
