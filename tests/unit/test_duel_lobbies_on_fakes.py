"""The lobby use cases on in-memory fakes: opening (the opener's stake into escrow), joins,
leaves and the start with every seated player's standing and the joiner's limits, the dice,
settlement and refunds, the expiry job. The races and the database's refusals are tested on
PostgreSQL (tests/integration/test_duel_lobbies.py)."""

from __future__ import annotations

import uuid

import pytest

from application.duels import (
    DuelistUnknown,
    ExpireLobbies,
    JoinLobby,
    LeaveLobby,
    LobbyPlayers,
    OpenLobby,
    OpenLobbyCommand,
    OpponentUnavailable,
    RecordLobbyRoll,
    RecordLobbyRollCommand,
    StartLobby,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import SetLimit, StartTimeout
from application.risk.review import RiskReview
from domain.accounts import AccountKind
from domain.duel_lobbies import LobbyState
from domain.duels import DuelRules
from domain.errors import GameUnavailable, IllegalTransition, LimitExceeded
from domain.games.catalog import GameConfig, StakeLimits
from domain.money import XTR, Money
from domain.responsible import LimitKind, LimitPeriod, ResponsibleGamblingRefusal, TimeoutPeriod
from domain.risk import RiskPolicy
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

ANN, BOB, CAT, DAN = 2001, 2002, 2003, 2004  # Telegram ids
RULES = DuelRules(cut_bps=500, max_ties=1)


class Room:
    def __init__(self) -> None:
        self.db, self.clock, self.ids, self.house = (
            FakeDatabase(),
            FakeClock(),
            SequentialIds(),
            HouseBook(4),
        )
        parts = (self.db, self.clock, self.ids, self.house)
        self.open = OpenLobby(*parts, RULES)
        self.join = JoinLobby(*parts, RULES)
        self.leave = LeaveLobby(*parts)
        self.start = StartLobby(*parts, RULES)
        self.roll = RecordLobbyRoll(*parts, RiskReview(RiskPolicy()))
        self.expire = ExpireLobbies(*parts)
        self.names = LobbyPlayers(*parts)
        self.players: dict[int, int] = {}

    async def seat(self, telegram_id: int, username: str | None, cash: int = 100) -> int:
        registered = await RegisterPlayer(self.db, self.clock)(
            RegisterPlayerCommand(
                telegram_id, username=username, currencies=(XTR,), accept_terms=True
            )
        )
        player = registered.player.id
        await CreditDeposit(self.db, self.clock, self.ids, self.house)(
            CreditDepositCommand(player, Money(cash, XTR), f"cash-{telegram_id}")
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

    def escrow(self) -> int:
        kind = AccountKind.DUEL_ESCROW
        return sum(a.balance for a in self.db.state.accounts.values() if a.kind is kind)

    async def lobby(self, stake: int = 10, seats: int = 4, opener: int = ANN) -> uuid.UUID:
        lobby_id = uuid.uuid4()
        await self.open(OpenLobbyCommand(lobby_id, -100, opener, Money(stake, XTR), "🎲", seats))
        return lobby_id


@pytest.fixture
async def room() -> Room:
    r = Room()
    for telegram_id, name in ((ANN, "ann"), (BOB, "bob"), (CAT, None), (DAN, "dan")):
        await r.seat(telegram_id, name)
    return r


async def test_every_seat_escrows_its_stake_and_the_winner_takes_the_pot_less_the_cut(
    room: Room,
) -> None:
    lobby_id = await room.lobby()
    for player in (BOB, CAT):
        await room.join(lobby_id, player)
    assert room.escrow() == 30
    await room.start(lobby_id, ANN)
    for seat, value in ((1, 2), (2, 6), (3, 4)):
        lobby = await room.roll(RecordLobbyRollCommand(lobby_id, 1, seat, value, seat))
    assert lobby.state is LobbyState.SETTLED
    # Pot 30, cut 2 (1.5 rounded up), Bob receives 28.
    assert [room.wallet(p) for p in (ANN, BOB, CAT)] == [90, 118, 90]
    assert room.escrow() == 0
    names = await room.names(lobby)
    assert names == {room.players[ANN]: "ann", room.players[BOB]: "bob", room.players[CAT]: None}


async def test_a_repeated_open_opens_one_lobby(room: Room) -> None:
    command = OpenLobbyCommand(uuid.uuid4(), -100, ANN, Money(10, XTR), "🎲")
    first = await room.open(command)
    assert await room.open(command) == first
    assert room.wallet(ANN) == 90


async def test_a_leave_returns_the_stake_and_the_job_refunds_the_rest(room: Room) -> None:
    lobby_id = await room.lobby()
    await room.join(lobby_id, BOB)
    await room.join(lobby_id, CAT)
    await room.leave(lobby_id, BOB)
    assert (room.wallet(BOB), room.escrow()) == (100, 20)
    room.clock.advance(seconds=int(RULES.accept_window.total_seconds()))
    ended = await room.expire()
    assert [lob.state for lob in ended] == [LobbyState.EXPIRED]
    assert [room.wallet(p) for p in (ANN, BOB, CAT)] == [100, 100, 100]
    assert room.escrow() == 0


async def test_ties_past_the_limit_refund_every_seat(room: Room) -> None:
    lobby_id = await room.lobby(seats=3)
    await room.join(lobby_id, BOB)
    lobby = await room.join(lobby_id, CAT)  # the last seat: under way
    assert lobby.state is LobbyState.ROLLING
    for seat, value in ((1, 5), (2, 1), (3, 5)):  # tie 1 at the top: seats 1 and 3 again
        lobby = await room.roll(RecordLobbyRollCommand(lobby_id, 1, seat, value, seat))
    for seat in (1, 3):  # tie 2, past max_ties = 1
        lobby = await room.roll(RecordLobbyRollCommand(lobby_id, 2, seat, 3, 10 + seat))
    assert lobby.state is LobbyState.REFUNDED
    assert [room.wallet(p) for p in (ANN, BOB, CAT)] == [100, 100, 100]


async def test_a_newcomer_is_sent_to_the_private_chat(room: Room) -> None:
    lobby_id = await room.lobby()
    with pytest.raises(DuelistUnknown):
        await room.join(lobby_id, 9999)
    with pytest.raises(DuelistUnknown):
        await room.open(OpenLobbyCommand(uuid.uuid4(), -100, 9999, Money(10, XTR), "🎲"))


async def test_the_joiners_limits_are_a_bets(room: Room) -> None:
    await SetLimit(room.db, room.clock)(
        room.players[BOB], LimitKind.WAGER, LimitPeriod.DAY, Money(15, XTR)
    )
    first = await room.lobby()
    await room.join(first, BOB)
    second = await room.lobby(opener=DAN)
    with pytest.raises(ResponsibleGamblingRefusal, match="wagering limit"):
        await room.join(second, BOB)  # 10 + 10 > 15 a day
    assert room.wallet(BOB) == 90


async def test_a_seated_player_on_a_break_keeps_the_lobby_from_going_on(room: Room) -> None:
    lobby_id = await room.lobby()
    await room.join(lobby_id, BOB)
    await StartTimeout(room.db, room.clock)(room.players[BOB], TimeoutPeriod.DAY)
    with pytest.raises(OpponentUnavailable) as refused:
        await room.join(lobby_id, CAT)
    assert "break" not in str(refused.value)
    with pytest.raises(OpponentUnavailable):
        await room.start(lobby_id, ANN)
    assert room.wallet(CAT) == 100
    # Bob's own Leave is never refused: his stake is his.
    await room.leave(lobby_id, BOB)
    assert room.wallet(BOB) == 100


async def test_a_stake_outside_the_games_limits_opens_nothing(room: Room) -> None:
    limits = StakeLimits(5, 50, 5_000)
    room.db.state.games["tg_dice"] = GameConfig("tg_dice", limits={"XTR": limits})
    with pytest.raises(LimitExceeded):
        await room.lobby(stake=51)
    room.db.state.games["tg_dice"] = GameConfig("tg_dice", enabled=False, limits={"XTR": limits})
    with pytest.raises(GameUnavailable):
        await room.lobby(stake=10)
    assert room.db.state.lobbies == {}
    assert room.wallet(ANN) == 100


async def test_a_die_for_the_wrong_round_or_again_with_another_message_is_refused(
    room: Room,
) -> None:
    lobby_id = await room.lobby(seats=2)
    await room.join(lobby_id, BOB)
    await room.roll(RecordLobbyRollCommand(lobby_id, 1, 1, 4, 1))
    again = await room.roll(RecordLobbyRollCommand(lobby_id, 1, 1, 4, 1))  # a retry
    assert again.seat_to_roll == 2
    with pytest.raises(IllegalTransition, match="seat 1's die of round 1 already"):
        await room.roll(RecordLobbyRollCommand(lobby_id, 1, 1, 6, 2))
    with pytest.raises(IllegalTransition, match="is in round 1"):
        await room.roll(RecordLobbyRollCommand(lobby_id, 2, 2, 6, 3))
