"""A player's standing refuses their bets on both roads of a bet, inside the placement's own
transaction: alone (`PlaceBet`) and in a batch (`PlaceBets`, what `BetQueue` runs when bets
arrive together). A blocked player and one who never confirmed 18+ and the terms place
nothing (no bet, no seed pair, no ledger transaction, no event), their neighbours in a batch
are placed, and a bet placed before the block is still answered with its first receipt."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from application.betting import BetReceipt, PlaceBet, PlaceBetCommand, PlaceBets
from application.postings import AdjustBalanceCommand
from application.responsible import SetLimit
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.responsible import LimitKind, LimitPeriod
from domain.standing import PlayerBlocked, StandingRefusal, TermsNotAccepted
from tests.conftest import bet_writers

pytestmark = pytest.mark.usefixtures("books")


def xtr(amount: int) -> Money:
    return Money(amount, XTR)


def darts(player_id: int, stake: int = 10, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id, bet_id or uuid.uuid4(), "tg_darts", xtr(stake), {"bet": "hit"}
    )


def limbo(player_id: int, stake: int = 10) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "limbo", xtr(stake), {"target": "2"})


@pytest.fixture
def place_many(place: PlaceBet) -> PlaceBets:
    return PlaceBets(place)


@pytest.fixture
def blocked_player(funded_player, uow_factory):
    """A funded player, then blocked by staff."""

    async def make(amount: int = 500):
        player = await funded_player(amount)
        await _block(uow_factory, player.id)
        return player

    return make


@pytest.fixture
def player_without_terms(new_player, adjust, fund_bankroll, unique_key):
    """A player who never confirmed 18+ and the terms, with money a staff adjustment put in
    their wallet (a deposit would be refused)."""

    async def make(amount: int = 500):
        await fund_bankroll()
        player = await new_player(accept_terms=False)
        await adjust(
            AdjustBalanceCommand(player.id, xtr(amount), "tests", "staff:tests", unique_key("adj"))
        )
        return player

    return make


async def _block(uow_factory, player_id: int) -> None:
    async with uow_factory() as uow:
        await uow.players.set_status(player_id, PlayerStatus.BLOCKED, "tests")
        await uow.commit()


async def _footprint(engine, player_id: int) -> dict[str, int]:
    """Everything a bet of this player would write: bets, seed pairs, the ledger's legs on the
    player's accounts, events naming the player, and the wallet's balance."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """
                    SELECT (SELECT count(*) FROM bets WHERE player_id = :p) AS bets,
                           (SELECT count(*) FROM seed_pairs WHERE player_id = :p) AS seeds,
                           (SELECT count(*) FROM ledger_legs l JOIN accounts a
                              ON a.id = l.account_id WHERE a.player_id = :p) AS legs,
                           (SELECT count(*) FROM outbox_events
                              WHERE :p = ANY(player_ids)) AS events,
                           (SELECT sum(balance) FROM accounts WHERE player_id = :p) AS balance
                    """
                ),
                {"p": player_id},
            )
        ).one()
    return dict(row._mapping)


async def _bets_written(engine, bet_ids) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM bets WHERE id = ANY(CAST(:ids AS uuid[])))"
                    " + (SELECT count(*) FROM ledger_transactions WHERE reference = ANY(:refs))"
                    " + (SELECT count(*) FROM outbox_events WHERE aggregate_type = 'bet'"
                    "    AND aggregate_id = ANY(:names))"
                ),
                {
                    "ids": [str(i) for i in bet_ids],
                    "refs": [f"bet:{i}" for i in bet_ids],
                    "names": [str(i) for i in bet_ids],
                },
            )
        ).scalar_one()


@pytest.mark.parametrize("game", [darts, limbo], ids=["telegram-dice", "provably-fair"])
async def test_a_blocked_player_places_nothing_alone(game, blocked_player, place, engine):
    player = await blocked_player()
    before = await _footprint(engine, player.id)
    command = game(player.id)
    with pytest.raises(PlayerBlocked) as refused:
        await place(command)
    assert refused.value.code == "player_blocked"
    assert await _footprint(engine, player.id) == before
    assert await _bets_written(engine, [command.bet_id]) == 0


@pytest.mark.parametrize("game", [darts, limbo], ids=["telegram-dice", "provably-fair"])
async def test_a_player_without_the_terms_places_nothing_alone(
    game, player_without_terms, place, engine
):
    player = await player_without_terms()
    before = await _footprint(engine, player.id)
    command = game(player.id)
    with pytest.raises(TermsNotAccepted):
        await place(command)
    assert await _footprint(engine, player.id) == before
    assert await _bets_written(engine, [command.bet_id]) == 0


async def test_a_blocked_player_with_a_responsible_gambling_record_is_refused_as_blocked(
    blocked_player, place, place_many, uow_factory, clock, engine
):
    # A record sends the player's bets the guard's locked way, in a batch too.
    player = await blocked_player()
    await SetLimit(uow_factory, clock)(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(1000))
    before = await _footprint(engine, player.id)
    with pytest.raises(PlayerBlocked):
        await place(darts(player.id))
    outcomes = await place_many([darts(player.id), limbo(player.id)])
    assert all(isinstance(outcome, PlayerBlocked) for outcome in outcomes)
    assert await _footprint(engine, player.id) == before


async def test_a_batch_refuses_them_and_places_their_neighbours(
    funded_player, blocked_player, player_without_terms, place_many, balances, engine
):
    good, other = await funded_player(1000), await funded_player(1000)
    blocked, gated = await blocked_player(), await player_without_terms()
    refused_before = {p.id: await _footprint(engine, p.id) for p in (blocked, gated)}
    commands = [
        darts(good.id, 100),
        darts(blocked.id),
        limbo(gated.id),  # a first provably fair bet: no seed pair is made for it either
        limbo(good.id, 10),
        limbo(blocked.id),
        darts(gated.id),
        darts(other.id, 50),
    ]
    outcomes = await place_many(commands)

    placed = [outcomes[i] for i in (0, 3, 6)]
    assert all(isinstance(outcome, BetReceipt) and not outcome.replayed for outcome in placed)
    assert [type(outcomes[i]) for i in (1, 2, 4, 5)] == [
        PlayerBlocked,
        TermsNotAccepted,
        PlayerBlocked,
        TermsNotAccepted,
    ]
    for i in (1, 2, 4, 5):
        error = outcomes[i]
        assert isinstance(error, StandingRefusal)
        assert error.rule.value in ("blocked", "terms_not_accepted")
    for player in (blocked, gated):
        assert await _footprint(engine, player.id) == refused_before[player.id]
    assert await _bets_written(engine, [commands[i].bet_id for i in (1, 2, 4, 5)]) == 0
    # Each neighbour wrote its bet row, its placement and its bet.placed event, and the batch
    # decided them all in its one transaction (the refusals did not send it one by one).
    assert await _bets_written(engine, [commands[0].bet_id, commands[6].bet_id]) == 6
    assert await bet_writers(engine, [commands[i].bet_id for i in (0, 3, 6)]) == 1
    limbo_back = placed[1].bet.payout or 0
    assert await balances(good.id) == (xtr(1000 - 100 - 10 + limbo_back),)
    assert await balances(other.id) == (xtr(950),)


async def test_a_bet_placed_before_the_block_is_answered_with_its_first_receipt(
    funded_player, place, place_many, uow_factory, balances
):
    player, neighbour = await funded_player(1000), await funded_player(1000)
    dice, fair = darts(player.id, 100), limbo(player.id, 20)
    first_dice, first_fair = await place(dice), await place(fair)
    await _block(uow_factory, player.id)
    balance = await balances(player.id)

    again = await place(dice)
    assert again.replayed
    assert again.bet == first_dice.bet
    together = await place_many([fair, dice, darts(player.id), darts(neighbour.id)])
    assert isinstance(together[0], BetReceipt)
    assert together[0].replayed
    assert together[0].bet == first_fair.bet
    assert isinstance(together[1], BetReceipt)
    assert together[1].replayed
    assert together[1].bet == first_dice.bet
    assert isinstance(together[2], PlayerBlocked)  # a new bet is refused
    assert isinstance(together[3], BetReceipt)
    assert await balances(player.id) == balance
