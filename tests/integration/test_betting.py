"""The bet lifecycle on the real PostgreSQL: place, settle, void, limits and idempotency."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from application.betting import (
    PlaceBet,
    PlaceBetCommand,
    SettleDiceBet,
    SettleDiceBetCommand,
    VoidBet,
    VoidBetCommand,
)
from application.seeds import GetSeedPair, RotateSeedPair
from application.verification import VerifyBet
from domain.bets import BetState
from domain.errors import (
    GameUnavailable,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    NotRevealed,
)
from domain.fairness import commitment
from domain.money import XTR, Money
from tests.fakes import RecordingBetMetrics

pytestmark = pytest.mark.usefixtures("books")


def _dice_bet(player_id: int, stake: int = 100, **params: str) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id, uuid.uuid4(), "tg_dice", Money(stake, XTR), params or {"bet": "even"}
    )


async def test_a_dice_bet_is_placed_then_won(funded_player, place, settle, balances):
    player = await funded_player(1000)
    placed = await place(_dice_bet(player.id, 100))
    assert placed.bet.state is BetState.PLACED
    assert placed.balance == Money(900, XTR)
    won = await settle(SettleDiceBetCommand(placed.bet.id, chat_id=5, message_id=77, value=4))
    assert won.bet.state is BetState.WON
    assert won.bet.payout == 194  # 1.94x at the default 3% edge
    assert won.balance == Money(1094, XTR)
    assert await balances(player.id) == (Money(1094, XTR),)


async def test_a_lost_bet_pays_nothing(funded_player, place, settle):
    player = await funded_player(1000)
    placed = await place(_dice_bet(player.id, 100))
    lost = await settle(SettleDiceBetCommand(placed.bet.id, chat_id=5, message_id=78, value=3))
    assert lost.bet.state is BetState.LOST
    assert lost.bet.payout == 0
    assert lost.balance == Money(900, XTR)


async def test_a_repeated_settlement_replays_and_a_different_one_is_refused(
    funded_player, place, settle
):
    player = await funded_player()
    placed = await place(_dice_bet(player.id))
    first = await settle(SettleDiceBetCommand(placed.bet.id, 1, 500, 2))
    again = await settle(SettleDiceBetCommand(placed.bet.id, 1, 500, 2))
    assert again.replayed
    assert again.bet == first.bet
    with pytest.raises(IllegalTransition, match="already won"):
        await settle(SettleDiceBetCommand(placed.bet.id, 1, 501, 3))


async def test_one_dice_message_cannot_settle_two_bets(funded_player, place, settle):
    player = await funded_player()
    a = await place(_dice_bet(player.id))
    b = await place(_dice_bet(player.id))
    await settle(SettleDiceBetCommand(a.bet.id, 9, 600, 2))
    with pytest.raises(IdempotencyConflict, match="dice message 600"):
        await settle(SettleDiceBetCommand(b.bet.id, 9, 600, 2))


async def test_void_returns_the_stake_once(funded_player, place, void, settle, balances):
    player = await funded_player(1000)
    placed = await place(_dice_bet(player.id, 250))
    voided = await void(VoidBetCommand(placed.bet.id, "the dice never arrived"))
    assert voided.bet.state is BetState.VOIDED
    assert voided.balance == Money(1000, XTR)
    assert (await void(VoidBetCommand(placed.bet.id, "the dice never arrived"))).replayed
    with pytest.raises(IllegalTransition):
        await settle(SettleDiceBetCommand(placed.bet.id, 1, 700, 2))
    settled = await place(_dice_bet(player.id, 10))
    await settle(SettleDiceBetCommand(settled.bet.id, 1, 701, 2))
    with pytest.raises(IllegalTransition, match="only a placed bet is voided"):
        await void(VoidBetCommand(settled.bet.id, "too late"))
    assert await balances(player.id) == (Money(1000 - 10 + 19, XTR),)


async def test_place_is_idempotent_on_the_bet_id(funded_player, place, balances):
    player = await funded_player(1000)
    command = _dice_bet(player.id, 100)
    first = await place(command)
    again = await place(command)
    assert again.replayed
    assert again.bet.id == first.bet.id
    assert await balances(player.id) == (Money(900, XTR),)
    with pytest.raises(IdempotencyConflict, match="different content"):
        await place(
            PlaceBetCommand(player.id, command.bet_id, "tg_dice", Money(101, XTR), {"bet": "even"})
        )


async def test_refusals_write_nothing(funded_player, place, balances, engine):
    player = await funded_player(100)
    refusals = [
        (_dice_bet(player.id, 101), InsufficientFunds),
        (_dice_bet(player.id, 20_000), LimitExceeded),
        (PlaceBetCommand(player.id, uuid.uuid4(), "poker", Money(1, XTR)), GameUnavailable),
        (_dice_bet(player.id, 10, bet="face", face="9"), InvalidRequest),
        (PlaceBetCommand(10**12, uuid.uuid4(), "tg_dice", Money(1, XTR), {"bet": "odd"}), NotFound),
    ]
    for command, error in refusals:
        with pytest.raises(error):
            await place(command)
        async with engine.connect() as conn:
            count = (
                await conn.execute(
                    text("SELECT count(*) FROM bets WHERE id = :id"), {"id": command.bet_id}
                )
            ).scalar_one()
        assert count == 0
    assert await balances(player.id) == (Money(100, XTR),)


async def test_an_unfunded_bankroll_refuses_bets_it_could_not_pay(
    new_player, credit, place, unique_key, engine
):
    from application.postings import CreditDepositCommand
    from domain.money import FUN

    player = await new_player((FUN,))
    await credit(CreditDepositCommand(player.id, Money(10**6, FUN), unique_key("d")))
    async with engine.connect() as conn:
        bankroll = (
            await conn.execute(
                text(
                    "SELECT sum(balance) FROM accounts"
                    " WHERE kind = 'house_bankroll' AND currency = 'FUN'"
                )
            )
        ).scalar_one()
    # A stake the bankroll can cover plus one minor unit too much for its best outcome.
    stake = max(100, 2 * (int(bankroll) + 1))
    with pytest.raises(LimitExceeded, match="cannot cover"):
        await place(PlaceBetCommand(player.id, uuid.uuid4(), "tg_slot", Money(stake, FUN)))


async def test_provably_fair_bets_settle_at_once_and_verify_after_rotation(
    funded_player, place, uow_factory, clock, seed_source, engine
):
    player = await funded_player(1000)
    commitment_before = await GetSeedPair(uow_factory, clock, seed_source)(player.id)
    assert commitment_before.next_nonce == 0
    receipts = [
        await place(
            PlaceBetCommand(
                player.id,
                uuid.uuid4(),
                "dice",
                Money(10, XTR),
                {"direction": "over", "target": "49.5"},
            )
        )
        for _ in range(3)
    ]
    assert [r.bet.fairness.nonce for r in receipts] == [0, 1, 2]
    assert all(r.bet.state in (BetState.WON, BetState.LOST) for r in receipts)
    assert all(
        r.bet.fairness.server_seed_hash == commitment_before.server_seed_hash for r in receipts
    )

    verify = VerifyBet(uow_factory)
    with pytest.raises(NotRevealed):
        await verify(receipts[0].bet.id)

    rotation = await RotateSeedPair(uow_factory, clock, seed_source)(player.id, "my-own-seed")
    assert rotation.revealed is not None
    assert commitment(rotation.revealed.server_seed) == commitment_before.server_seed_hash
    assert rotation.active.client_seed == "my-own-seed"
    assert rotation.active.next_nonce == 0
    assert rotation.active.server_seed_hash != commitment_before.server_seed_hash
    # Rotating the server seed alone keeps the client seed the player chose.
    again = await RotateSeedPair(uow_factory, clock, seed_source)(player.id)
    assert again.active.client_seed == "my-own-seed"
    assert again.active.server_seed_hash != rotation.active.server_seed_hash

    for receipt in receipts:
        verification = await verify(receipt.bet.id)
        assert verification.matches
        assert verification.server_seed == rotation.revealed.server_seed

    nxt = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    )
    assert nxt.bet.fairness.nonce == 0
    assert nxt.bet.fairness.client_seed == "my-own-seed"

    # At rest the server seed is ciphertext, never the hex text.
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT server_seed_encrypted FROM seed_pairs WHERE id = :id"),
                {"id": rotation.revealed.id},
            )
        ).scalar_one()
    assert rotation.revealed.server_seed.encode() not in bytes(stored)
    assert bytes.fromhex(rotation.revealed.server_seed) not in bytes(stored)


async def test_a_settled_bet_cannot_be_rewritten_even_in_sql(funded_player, place, engine):
    player = await funded_player()
    receipt = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "tails"})
    )
    async with engine.connect() as conn:
        with pytest.raises(Exception, match="already"):
            await conn.execute(
                text("UPDATE bets SET payout = 0 WHERE id = :id"), {"id": receipt.bet.id}
            )


async def test_bets_are_counted_once_per_outcome_after_their_commit(
    funded_player, uow_factory, clock, ids, house, seed_source
):
    metrics = RecordingBetMetrics()
    place = PlaceBet(uow_factory, clock, ids, house, seed_source, metrics=metrics)
    settle = SettleDiceBet(uow_factory, clock, ids, house, metrics=metrics)
    void = VoidBet(uow_factory, clock, ids, house, metrics=metrics)
    player = await funded_player(1000)

    dice = _dice_bet(player.id, 100)
    placed = await place(dice)
    assert (await place(dice)).replayed
    won = await settle(SettleDiceBetCommand(placed.bet.id, 1, 900, 4))
    assert (await settle(SettleDiceBetCommand(placed.bet.id, 1, 900, 4))).replayed
    other = await place(_dice_bet(player.id, 100))
    await void(VoidBetCommand(other.bet.id, "the dice never arrived"))
    with pytest.raises(InsufficientFunds):
        await place(_dice_bet(player.id, 5000))
    with pytest.raises(GameUnavailable):
        await place(PlaceBetCommand(player.id, uuid.uuid4(), "no-such-game", Money(1, XTR)))

    assert [(bet_id, state) for bet_id, state, _ in metrics.placed_bets] == [
        (placed.bet.id, "placed"),
        (other.bet.id, "placed"),
    ]
    assert metrics.settlements == [(won.bet.id, "won"), (other.bet.id, "voided")]
    assert [(game, reason) for game, _, reason, _ in metrics.refusals] == [
        ("tg_dice", "insufficient_funds"),
        ("no-such-game", "game_unavailable"),
    ]
