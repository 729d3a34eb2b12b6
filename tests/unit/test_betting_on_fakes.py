"""The bet use cases on in-memory fakes (tests/fake_betting.py): placing alone and in a batch,
the queue, settling on a dice and voiding, the rules without a database. The statements, the
locks and the races are tested on PostgreSQL (tests/integration/test_betting*.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import (
    PlaceBet,
    PlaceBetCommand,
    PlaceBets,
    SettleDiceBet,
    SettleDiceBetCommand,
    VoidBet,
    VoidBetCommand,
)
from application.betting.queue import BetQueue
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.accounts import AccountKind, house_shard_for
from domain.bets import BetState
from domain.errors import (
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidField,
    NotFound,
)
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.posting_keys import bet_settlement_key
from domain.standing import PlayerBlocked
from tests.casino_on_fakes import FixedSeeds
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


@pytest.fixture
def world():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    return db, clock, ids, house, PlaceBet(db, clock, ids, house, FixedSeeds())


async def _funded(world, tg: int, amount: int = 1000) -> int:
    db, clock, ids, house, _ = world
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(tg, currencies=(XTR,), accept_terms=True)
        )
    ).player
    await CreditDeposit(db, clock, ids, house)(
        CreditDepositCommand(player.id, Money(amount, XTR), f"dep-{tg}")
    )
    await FundBankroll(db, clock, ids, house)(
        FundBankrollCommand(Money(10**6, XTR), "tests", f"bankroll-{tg}")
    )
    return player.id


def _coin(player_id: int, stake: int = 10, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id, bet_id or uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"}
    )


def _dice(player_id: int, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id, bet_id or uuid.uuid4(), "tg_dice", Money(10, XTR), {"bet": "high"}
    )


async def test_a_provably_fair_bet_is_settled_at_once_and_moves_the_wallet(world):
    *_, place = world
    player = await _funded(world, 1)
    receipt = await place(_coin(player))
    bet = receipt.bet
    assert bet.fairness is not None
    # The fixed seeds' nonce 0 is a win for heads: 10 at 1.98x pays 19.
    assert (bet.state, bet.fairness.nonce, bet.payout) == (BetState.WON, 0, 19)
    assert receipt.balance == Money(1000 - 10 + 19, XTR)
    second = await place(_coin(player))
    assert second.bet.fairness is not None
    assert second.bet.fairness.nonce == 1  # the pair's next nonce
    assert (second.bet.state, second.balance) == (BetState.LOST, Money(999, XTR))


async def test_a_repeat_answers_with_the_first_bet_and_a_changed_one_conflicts(world):
    *_, place = world
    player = await _funded(world, 2)
    command = _coin(player)
    first = await place(command)
    again = await place(command)
    assert again.replayed
    assert again.bet == first.bet
    with pytest.raises(IdempotencyConflict):
        await place(_coin(player, stake=11, bet_id=command.bet_id))


async def test_refusals_write_nothing(world):
    db, *_, place = world
    player = await _funded(world, 3, amount=5)
    before = (dict(db.state.bets), dict(db.state.transactions))
    with pytest.raises(InsufficientFunds):
        await place(_coin(player, stake=10))
    with pytest.raises(NotFound, match="no player"):
        await place(_coin(999_999))
    instant_only = PlaceBetCommand(player, uuid.uuid4(), "tg_dice", Money(1, XTR), {}, True)
    with pytest.raises(InvalidField) as refused:
        await place(instant_only)
    assert refused.value.field == "game"
    assert (db.state.bets, db.state.transactions) == before


async def test_a_blocked_player_is_refused_and_a_bet_placed_before_still_replays(world):
    db, *_, place = world
    player = await _funded(world, 4)
    placed = await place(_coin(player))
    db.state.players[player].status = PlayerStatus.BLOCKED
    with pytest.raises(PlayerBlocked):
        await place(_coin(player))
    assert (await place(_coin(player, bet_id=placed.bet.id))).replayed


async def test_a_batch_decides_each_bet_as_alone_and_its_neighbours_go_on(world):
    db, _, _, _, place = world
    rich, poor = await _funded(world, 5), await _funded(world, 6, amount=15)
    # A batch decides in (player, bet id) order; with the fixed seeds a coin wins on nonce 0
    # (10 -> 19) and loses on nonce 1.
    ids = [uuid.UUID(int=n) for n in range(1, 6)]
    commands = [
        _coin(rich, bet_id=ids[0]),
        _coin(poor, bet_id=ids[1]),  # nonce 0, wins: 15 - 10 + 19 = 24
        _coin(poor, stake=30, bet_id=ids[2]),  # 24 < 30: refused, takes no nonce
        _coin(poor, bet_id=ids[3]),  # nonce 1 (not 2), loses: 14
        _coin(rich, bet_id=ids[4]),
    ]
    outcomes = await PlaceBets(place)(commands)
    assert isinstance(outcomes[2], InsufficientFunds)
    first, third = outcomes[1], outcomes[3]
    assert (first.bet.state, first.bet.fairness.nonce, first.balance) == (
        BetState.WON,
        0,
        Money(24, XTR),
    )
    assert (third.bet.state, third.bet.fairness.nonce, third.balance) == (
        BetState.LOST,
        1,
        Money(14, XTR),
    )
    assert [outcomes[i].bet.fairness.nonce for i in (0, 4)] == [0, 1]
    assert set(db.state.bets) == {ids[0], ids[1], ids[3], ids[4]}


async def test_a_batch_posts_each_bet_against_its_own_players_house_shard(world):
    """A batch looks each house shard's accounts up once and shares them between its bets:
    every bet's bankroll leg is still the bankroll of its own player's shard, whichever bet
    of the batch looked it up first."""
    db, *_, place = world
    players = [await _funded(world, 20 + n) for n in range(6)]  # HouseBook(4): shards repeat
    commands = [_coin(p) for p in players for _ in range(2)]
    outcomes = await PlaceBets(place)(commands)
    assert all(not isinstance(o, Exception) for o in outcomes)
    bankrolls = {
        (a.currency, a.shard): a.id
        for a in db.state.accounts.values()
        if a.kind is AccountKind.HOUSE_BANKROLL
    }
    for command, outcome in zip(commands, outcomes, strict=True):
        key = bet_settlement_key(str(outcome.bet.id))
        _, posted = db.state.transactions[key]
        expected = bankrolls[(XTR, house_shard_for(command.player_id, 4))]
        house_legs = [leg.account_id for leg in posted.legs if leg.player_id is None]
        assert house_legs == [expected], key


async def test_the_queue_answers_each_caller_with_its_own_bet(world):
    *_, place = world
    player = await _funded(world, 7)
    queue = BetQueue(place, batch_size=8)
    commands = [_coin(player) for _ in range(5)]
    receipts = await asyncio.gather(*(queue(c) for c in commands))
    assert [r.bet.id for r in receipts] == [c.bet_id for c in commands]
    assert sorted(r.bet.fairness.nonce for r in receipts) == [0, 1, 2, 3, 4]


async def test_a_dice_bet_settles_once_on_the_bots_dice_and_a_void_returns_the_stake(world):
    db, clock, ids, house, place = world
    player = await _funded(world, 8)
    settle, void = SettleDiceBet(db, clock, ids, house), VoidBet(db, clock, ids, house)
    placed = await place(_dice(player))
    assert placed.bet.state is BetState.PLACED
    assert placed.balance == Money(990, XTR)
    settled = await settle(SettleDiceBetCommand(placed.bet.id, 1, 2, 6))
    assert settled.bet.state in (BetState.WON, BetState.LOST)
    assert (await settle(SettleDiceBetCommand(placed.bet.id, 1, 2, 6))).replayed
    with pytest.raises(IllegalTransition):
        await settle(SettleDiceBetCommand(placed.bet.id, 1, 3, 1))

    other = await place(_dice(player))
    voided = await void(VoidBetCommand(other.bet.id, "the dice never came"))
    assert voided.bet.state is BetState.VOIDED
    assert voided.balance == settled.balance
    assert (await void(VoidBetCommand(other.bet.id, "the dice never came"))).replayed
