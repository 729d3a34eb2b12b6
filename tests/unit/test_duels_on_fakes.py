"""The duel use cases on in-memory fakes: challenge (the challenger's stake into escrow),
accept, decline, dice, settlement, refunds, expiry, and the standing and limits of both
players. The races and the database's refusals are tested on PostgreSQL
(tests/integration/test_duels.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    ChallengeDuelCommand,
    DeclineDuel,
    DuelistUnknown,
    DuelSettlement,
    ExpireDuels,
    OpponentUnavailable,
    RecordDuelRoll,
    RecordDuelRollCommand,
)
from application.duels.collusion import CollusionWatch
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import SetLimit, StartTimeout
from application.risk.review import RiskReview
from domain.accounts import AccountKind
from domain.duels import DuelRules, DuelState, Seat
from domain.duels_collusion import CollusionPolicy
from domain.errors import GameUnavailable, IllegalTransition, InsufficientFunds, LimitExceeded
from domain.games.catalog import GameConfig, StakeLimits
from domain.money import XTR, Money
from domain.responsible import LimitKind, LimitPeriod, ResponsibleGamblingRefusal, TimeoutPeriod
from domain.risk import RiskFlagKind, RiskPolicy
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

ALICE, BOB, CAROL = 1001, 1002, 1003  # Telegram ids
RULES = DuelRules(cut_bps=500, max_ties=1)


class Table:
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
        self.decline = DeclineDuel(*parts)
        self.roll = RecordDuelRoll(*parts, RiskReview(RiskPolicy()), CollusionPolicy())
        self.expire = ExpireDuels(*parts)
        self.players: dict[int, int] = {}

    async def seat(self, telegram_id: int, username: str, cash: int = 100) -> int:
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

    def house_kind(self, kind: AccountKind) -> int:
        return sum(a.balance for a in self.db.state.accounts.values() if a.kind is kind)

    async def duel(self, stake: int = 10, **named: object) -> uuid.UUID:
        duel_id = uuid.uuid4()
        target = named or {"challenged_telegram_id": BOB}
        await self.challenge(
            ChallengeDuelCommand(
                duel_id,
                -100,
                ALICE,
                Money(stake, XTR),
                "🎲",
                **target,  # type: ignore[arg-type]
            )
        )
        return duel_id

    async def dice(self, duel_id: uuid.UUID, round_: int, a: int, b: int) -> DuelState:
        await self.roll(RecordDuelRollCommand(duel_id, round_, Seat.CHALLENGER, a, round_ * 10))
        duel = await self.roll(
            RecordDuelRollCommand(duel_id, round_, Seat.CHALLENGED, b, round_ * 10 + 1)
        )
        return duel.state


@pytest.fixture
async def table() -> Table:
    t = Table()
    await t.seat(ALICE, "alice")
    await t.seat(BOB, "Bob")
    return t


async def test_a_duel_escrows_both_stakes_and_pays_the_winner_less_the_cut(table: Table) -> None:
    duel_id = await table.duel(10)
    assert (table.wallet(ALICE), table.house_kind(AccountKind.DUEL_ESCROW)) == (90, 10)
    await table.accept(duel_id, BOB)
    assert (table.wallet(BOB), table.house_kind(AccountKind.DUEL_ESCROW)) == (90, 20)
    assert await table.dice(duel_id, 1, 2, 5) is DuelState.SETTLED
    # Pot 20, cut 5% = 1, Bob receives 19.
    assert (table.wallet(ALICE), table.wallet(BOB)) == (90, 109)
    assert table.house_kind(AccountKind.DUEL_ESCROW) == 0
    assert table.db.state.duels[duel_id].winner_id == table.players[BOB]


async def test_the_challenged_can_be_named_by_username_in_any_case(table: Table) -> None:
    duel_id = await table.duel(10, challenged_username="@bob")
    assert table.db.state.duels[duel_id].challenged_id == table.players[BOB]


async def test_a_player_who_never_started_the_bot_is_sent_there(table: Table) -> None:
    with pytest.raises(DuelistUnknown) as unknown:
        await table.duel(10, challenged_telegram_id=CAROL)
    assert unknown.value.telegram_user_id == CAROL
    with pytest.raises(DuelistUnknown):
        await table.duel(10, challenged_username="carol")
    assert table.wallet(ALICE) == 100


async def test_a_player_without_the_terms_is_sent_to_the_private_chat(table: Table) -> None:
    await RegisterPlayer(table.db, table.clock)(
        RegisterPlayerCommand(CAROL, username="carol", currencies=(XTR,))
    )
    with pytest.raises(DuelistUnknown):
        await table.duel(10, challenged_telegram_id=CAROL)
    assert table.wallet(ALICE) == 100


async def test_a_repeated_challenge_makes_one_duel(table: Table) -> None:
    command = ChallengeDuelCommand(uuid.uuid4(), -100, ALICE, Money(10, XTR), "🎲", BOB)
    first = await table.challenge(command)
    assert await table.challenge(command) == first
    assert table.wallet(ALICE) == 90


async def test_ties_roll_again_then_refund_both(table: Table) -> None:
    duel_id = await table.duel(10)
    await table.accept(duel_id, BOB)
    assert await table.dice(duel_id, 1, 3, 3) is DuelState.ROLLING
    assert await table.dice(duel_id, 2, 6, 6) is DuelState.REFUNDED  # max_ties = 1
    assert (table.wallet(ALICE), table.wallet(BOB)) == (100, 100)
    assert table.house_kind(AccountKind.DUEL_ESCROW) == 0


async def test_a_decline_returns_the_challenger_stake(table: Table) -> None:
    duel_id = await table.duel(10)
    with pytest.raises(IllegalTransition, match="only the challenged"):
        await table.decline(duel_id, ALICE)
    declined = await table.decline(duel_id, BOB)
    assert declined.state is DuelState.DECLINED
    assert (table.wallet(ALICE), table.wallet(BOB)) == (100, 100)
    with pytest.raises(IllegalTransition):
        await table.accept(duel_id, BOB)


async def test_a_second_accept_is_refused_and_moves_nothing(table: Table) -> None:
    duel_id = await table.duel(10)
    await table.accept(duel_id, BOB)
    with pytest.raises(IllegalTransition):
        await table.accept(duel_id, BOB)
    assert table.wallet(BOB) == 90


async def test_a_repeated_roll_is_a_replay_and_another_die_is_refused(table: Table) -> None:
    duel_id = await table.duel(10)
    await table.accept(duel_id, BOB)
    first = await table.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 4, 77))
    assert await table.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 4, 77)) == first
    with pytest.raises(IllegalTransition, match="already"):
        await table.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 6, 78))
    with pytest.raises(IllegalTransition, match="is in round 1"):
        await table.roll(RecordDuelRollCommand(duel_id, 2, Seat.CHALLENGED, 6, 80))
    settled = await table.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 1, 79))
    assert settled.state is DuelState.SETTLED
    again = await table.roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 1, 79))
    assert again == settled
    assert table.wallet(ALICE) == 109


async def test_unaccepted_and_unrolled_duels_are_refunded_by_the_job(table: Table) -> None:
    waiting = await table.duel(10)
    rolling = await table.duel(10)
    await table.accept(rolling, BOB)
    await table.roll(RecordDuelRollCommand(rolling, 1, Seat.CHALLENGER, 4, 1))
    assert await table.expire() == []
    table.clock.advance(minutes=6)
    ended = {d.id: d.state for d in await table.expire()}
    assert ended == {waiting: DuelState.EXPIRED, rolling: DuelState.REFUNDED}
    assert (table.wallet(ALICE), table.wallet(BOB)) == (100, 100)
    assert await table.expire() == []
    with pytest.raises(IllegalTransition):
        await table.roll(RecordDuelRollCommand(rolling, 1, Seat.CHALLENGED, 2, 2))


async def test_an_accept_after_the_window_is_refused(table: Table) -> None:
    duel_id = await table.duel(10)
    table.clock.advance(minutes=5)
    with pytest.raises(IllegalTransition, match="in time"):
        await table.accept(duel_id, BOB)
    assert table.wallet(BOB) == 100


async def test_a_stake_beyond_the_wallet_is_refused_whole(table: Table) -> None:
    with pytest.raises(InsufficientFunds):
        await table.duel(500)
    assert table.db.state.duels == {}
    duel_id = await table.duel(60)
    await table.challenge(
        ChallengeDuelCommand(uuid.uuid4(), -100, BOB, Money(60, XTR), "🎲", ALICE)
    )
    with pytest.raises(InsufficientFunds):
        await table.accept(duel_id, BOB)  # Bob's 60 is in escrow for his own challenge
    assert table.db.state.duels[duel_id].state is DuelState.CHALLENGED


async def test_a_stake_keeps_within_the_dice_game_limits_and_its_switch(table: Table) -> None:
    """The operator bounds duels where they bound the die's bets (tg_dice for 🎲): a stake
    out of its range, or the game switched off, makes no duel and moves nothing."""
    limits = StakeLimits(5, 50, 5_000)
    table.db.state.games["tg_dice"] = GameConfig("tg_dice", limits={"XTR": limits})
    for stake, rule in ((4, "min_stake"), (51, "max_stake")):
        with pytest.raises(LimitExceeded) as refused:
            await table.duel(stake)
        assert refused.value.rule == rule
    table.db.state.games["tg_dice"] = GameConfig("tg_dice", enabled=False, limits={"XTR": limits})
    with pytest.raises(GameUnavailable):
        await table.duel(10)
    assert table.db.state.duels == {}
    assert table.wallet(ALICE) == 100


async def test_a_player_on_a_break_cannot_duel_and_the_group_is_not_told_why(
    table: Table,
) -> None:
    await StartTimeout(table.db, table.clock)(table.players[BOB], TimeoutPeriod.DAY)
    with pytest.raises(OpponentUnavailable) as refused:
        await table.duel(10)
    assert "break" not in str(refused.value)
    assert "excluded" not in str(refused.value)
    assert table.wallet(ALICE) == 100


async def test_a_break_taken_after_the_challenge_refuses_the_accept(table: Table) -> None:
    duel_id = await table.duel(10)
    await StartTimeout(table.db, table.clock)(table.players[BOB], TimeoutPeriod.DAY)
    with pytest.raises(ResponsibleGamblingRefusal, match="break"):
        await table.accept(duel_id, BOB)  # his own refusal: he reads why
    assert table.wallet(BOB) == 100


async def test_the_stake_counts_in_the_wager_limit(table: Table) -> None:
    await SetLimit(table.db, table.clock)(
        table.players[ALICE], LimitKind.WAGER, LimitPeriod.DAY, Money(15, XTR)
    )
    await table.duel(10)
    with pytest.raises(ResponsibleGamblingRefusal, match="wagering limit"):
        await table.duel(10)  # 10 + 10 > 15 a day
    assert table.wallet(ALICE) == 90


async def test_the_challenger_limit_refuses_the_challenge_not_the_accept(table: Table) -> None:
    duel_id = await table.duel(10)
    await SetLimit(table.db, table.clock)(
        table.players[ALICE], LimitKind.WAGER, LimitPeriod.DAY, Money(10, XTR)
    )
    # Alice's stake is already held and counted once: Bob's accept is his own bet.
    await table.accept(duel_id, BOB)
    table.clock.advance(seconds=1)
    assert table.db.state.duels[duel_id].escrowed.amount == 20


def test_the_windows_the_rules_give() -> None:
    assert DuelRules().accept_window == timedelta(minutes=5)


async def test_the_settlement_road_is_the_only_way_out_of_escrow(table: Table) -> None:
    duel_id = await table.duel(10)
    settlement = DuelSettlement(table.db, table.clock, table.ids, table.house)
    async with table.db() as uow:
        held = table.db.state.duels[duel_id]
        declined = held.decline(table.players[BOB], table.clock.now())
        posted = await settlement.close(uow, declined, held.state, table.clock.now())
        await uow.commit()
    assert posted.idempotency_key == f"duel:{duel_id}:refund"
    assert table.wallet(ALICE) == 100


async def _played(table: Table, winners: str) -> None:
    """Duels Alice challenges Bob to, won as `winners` says ("a": Alice, "b": Bob)."""
    for n, who in enumerate(winners):
        duel_id = await table.duel(2)
        await table.accept(duel_id, BOB)
        await table.dice(duel_id, 1, 6 if who == "a" else 1, 1 if who == "a" else 6)
        table.clock.advance(seconds=n + 1)


async def test_one_player_always_losing_to_the_same_opponent_raises_a_flag(table: Table) -> None:
    await _played(table, "bbbbbbbbb")
    assert table.db.state.flags == {}
    await _played(table, "b")  # 10 of 10: a fair game does that once in 1024
    (flag,) = table.db.state.flags.values()
    assert (flag.kind, flag.player_id) == (RiskFlagKind.DUEL_COLLUSION, table.players[BOB])
    assert flag.evidence["pattern"] == "one_sided"
    assert flag.evidence["opponent_id"] == table.players[ALICE]
    await _played(table, "b")  # one open flag per player and kind
    assert len(table.db.state.flags) == 1


async def test_two_players_who_duel_only_each_other_are_flagged(table: Table) -> None:
    await _played(table, "abbabbba")  # 5 of 8 to Bob: chance, and too few duels
    assert table.db.state.flags == {}
    await _played(table, "bb")  # 7 of 10 is 17% by chance, but they duel no one else
    (flag,) = table.db.state.flags.values()
    assert (flag.evidence["pattern"], flag.player_id) == ("exclusive_pair", table.players[BOB])


async def test_the_collusion_watch_counts_the_pair_and_flags_once(table: Table) -> None:
    await _played(table, "bbb")  # too few for the default policy
    assert table.db.state.flags == {}
    watch = CollusionWatch(RiskReview(RiskPolicy()), CollusionPolicy(min_duels=3))
    settled = next(iter(table.db.state.duels.values()))
    async with table.db() as uow:
        flag = await watch.after_settled(uow, settled, table.clock.now())
        assert await watch.after_settled(uow, settled, table.clock.now()) is None  # one open
        await uow.commit()
    assert flag is not None
    assert (flag.player_id, flag.evidence["pattern"]) == (table.players[BOB], "exclusive_pair")
    assert flag.evidence["duel_id"] == str(settled.id)
    table.clock.advance(days=31)  # outside the window: nothing counted
    async with table.db() as uow:
        record = await uow.duels.pair_record(
            table.players[ALICE], table.players[BOB], table.clock.now() - timedelta(days=30)
        )
    assert record.between == 0
