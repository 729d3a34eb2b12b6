"""A player's own reads of bets on in-memory fakes: one bet with the balance it left, the
recent bets a page at a time (the game recall), and the verification of a settled bet once
its seed is revealed. The doors that show them are tested on PostgreSQL
(tests/entrypoints/test_grpc.py, test_bot_bets.py, test_http_miniapp.py)."""

from __future__ import annotations

import uuid

import pytest

from application.betting import GetBet
from application.history import RecentBets
from application.seeds import RotateSeedPair
from application.verification import VerifyBet
from domain.errors import InvalidRequest, NotFound, NotRevealed
from domain.money import XTR, Money
from tests.casino_on_fakes import Casino


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


async def test_a_bet_is_read_with_the_players_balance_now(casino):
    ann = await casino.player(1, deposit=100)
    placed = await casino.coin(ann)
    await casino.deposit(ann, 50)
    read = await GetBet(casino.db)(placed.bet.id)
    assert read.bet == placed.bet
    assert read.balance == placed.balance + Money(50, XTR)
    with pytest.raises(NotFound):
        await GetBet(casino.db)(uuid.uuid4())


async def test_recent_bets_page_newest_first_within_the_last_hundred(casino):
    ann = await casino.player(1, deposit=1000)
    bob = await casino.player(2, deposit=1000)
    placed = []
    for _ in range(5):
        casino.clock.advance(seconds=1)
        placed.append((await casino.coin(ann, stake=1)).bet.id)
    await casino.coin(bob)
    recent = RecentBets(casino.db)
    first = await recent(ann, size=2)
    assert ([b.id for b in first.bets], first.has_more) == ([placed[4], placed[3]], True)
    last = await recent(ann, page=3, size=2)
    assert ([b.id for b in last.bets], last.has_more) == ([placed[0]], False)
    assert (await recent(bob)).bets[0].player_id == bob
    for page, size in ((0, 10), (11, 10), (1, 0), (1, 101)):
        with pytest.raises(InvalidRequest):
            await recent(ann, page=page, size=size)
    with pytest.raises(NotFound):
        await recent(999)


async def test_a_bet_verifies_once_revealed_and_only_for_its_own_player(casino):
    ann = await casino.player(1, deposit=100)
    bob = await casino.player(2)
    bet = (await casino.coin(ann)).bet
    verify = VerifyBet(casino.db)
    with pytest.raises(NotRevealed):
        await verify(bet.id, player_id=ann)
    await RotateSeedPair(casino.db, casino.clock, casino.seeds)(ann)
    verified = await verify(bet.id, player_id=ann)
    assert verified.matches
    assert verified.server_seed == casino.seeds.server_seed()
    assert (verified.check.outcome, verified.check.multiplier) == (bet.outcome, bet.multiplier)
    assert (await verify(bet.id)).matches  # staff name no player
    with pytest.raises(NotFound):
        await verify(bet.id, player_id=bob)
    with pytest.raises(NotFound):
        await verify(uuid.uuid4())
