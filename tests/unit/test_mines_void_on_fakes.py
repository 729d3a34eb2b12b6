"""VoidMines on fakes: a mines game with no tile revealed gives its stake back, once, whatever
the player's standing; a game under way or over is never voided."""

from __future__ import annotations

import uuid

import pytest

from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    GetMines,
    MinesView,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
    VoidMines,
    VoidMinesCommand,
)
from application.mines.steps import VOID_REASON
from domain.bets import BetState
from domain.errors import IllegalTransition, NotFound
from domain.events import BetSettled, BetVoided, TransactionPosted
from domain.fairness import uint32_stream
from domain.games.mines import mine_positions
from domain.ledger import TransactionKind
from domain.mines import MinesState
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.standing import PlayerBlocked
from tests.casino_on_fakes import Casino
from tests.fakes import FakeUnitOfWork

pytestmark = pytest.mark.asyncio

POSITIONS = tuple(mine_positions(uint32_stream("ab" * 32, "fakes", 0), 3))
SAFE = [t for t in range(25) if t not in POSITIONS]


async def _game(casino: Casino) -> tuple[int, MinesView]:
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    opened = OpenMines(casino.place_bet(), casino.clock)
    view = await opened(OpenMinesCommand(player, uuid.uuid4(), Money(10, XTR), 3))
    return player, view


def _void(casino: Casino) -> VoidMines:
    return VoidMines(casino.db, casino.clock, casino.ids, casino.house)


def _reveal(casino: Casino) -> RevealTile:
    return RevealTile(casino.db, casino.clock, casino.ids, casino.house)


async def test_voiding_a_game_without_tiles_returns_the_stake_once() -> None:
    casino = Casino()
    player, view = await _game(casino)
    assert view.voidable
    voided = await _void(casino)(VoidMinesCommand(player, view.id))
    assert voided.state is MinesState.VOIDED
    assert voided.voided
    assert not voided.voidable
    assert voided.payout == 10  # the stake, back
    assert voided.multiplier == 1
    assert voided.balance == Money(100, XTR)
    assert voided.mine_positions == tuple(sorted(POSITIONS))  # over: the field to verify
    bet = casino.db.state.bets[view.id]
    assert bet.state is BetState.VOIDED
    assert bet.void_reason == VOID_REASON
    # One refund transaction, balanced: bets in play back to the wallet.
    refunds = [
        e.transaction
        for e in casino.db.state.events
        if isinstance(e, TransactionPosted) and e.transaction.kind is TransactionKind.REFUND
    ]
    assert len(refunds) == 1
    assert sum(leg.amount.amount for leg in refunds[0].legs) == 0
    repeat = await _void(casino)(VoidMinesCommand(player, view.id))
    assert repeat.replayed
    assert repeat.balance == Money(100, XTR)
    events = casino.db.state.events
    assert [type(e) for e in events if isinstance(e, BetVoided | BetSettled)] == [BetVoided]
    get = GetMines(casino.db, casino.clock, casino.ids, casino.house)
    assert (await get(player, game_id=view.id)).state is MinesState.VOIDED
    with pytest.raises(NotFound):
        await get(player, currency="XTR")  # no open game left: another may open


async def test_a_voided_game_takes_no_tile_and_no_cash_out() -> None:
    casino = Casino()
    player, view = await _game(casino)
    await _void(casino)(VoidMinesCommand(player, view.id))
    with pytest.raises(IllegalTransition, match="over"):
        await _reveal(casino)(RevealTileCommand(player, view.id, SAFE[0]))
    cash_out = CashOutMines(casino.db, casino.clock, casino.ids, casino.house)
    with pytest.raises(IllegalTransition, match="already returned"):
        await cash_out(CashOutMinesCommand(player, view.id))


async def test_a_game_under_way_is_not_voided_and_nothing_is_written() -> None:
    casino = Casino()
    player, view = await _game(casino)
    await _reveal(casino)(RevealTileCommand(player, view.id, SAFE[0]))
    before = (dict(casino.db.state.bets), list(casino.db.state.events))
    with pytest.raises(IllegalTransition, match="a tile is revealed"):
        await _void(casino)(VoidMinesCommand(player, view.id))
    assert (dict(casino.db.state.bets), list(casino.db.state.events)) == before


async def test_a_busted_game_is_not_voided() -> None:
    casino = Casino()
    player, view = await _game(casino)
    await _reveal(casino)(RevealTileCommand(player, view.id, POSITIONS[0]))
    with pytest.raises(IllegalTransition, match="busted"):
        await _void(casino)(VoidMinesCommand(player, view.id))
    assert casino.db.state.bets[view.id].state is BetState.LOST


async def test_another_players_game_is_not_found() -> None:
    casino = Casino()
    _, view = await _game(casino)
    other = await casino.player(2, deposit=100)
    with pytest.raises(NotFound):
        await _void(casino)(VoidMinesCommand(other, view.id))
    assert casino.db.state.bets[view.id].state is BetState.PLACED


@pytest.mark.parametrize("standing", ["blocked", "timeout", "self_exclusion"])
async def test_a_player_who_may_not_play_on_takes_the_stake_back(standing: str) -> None:
    """The stake was taken, then play stopped: no tile may be revealed and nothing can be
    cashed out, so the void is the way out, whatever stopped play."""
    from application.responsible import SelfExclude, StartTimeout
    from domain.responsible import ResponsibleGamblingRefusal, SelfExclusionPeriod, TimeoutPeriod

    casino = Casino()
    player, view = await _game(casino)
    if standing == "blocked":
        async with casino.db() as uow:
            assert isinstance(uow, FakeUnitOfWork)
            await uow.players.set_status(player, PlayerStatus.BLOCKED, "tests")
            await uow.commit()
    elif standing == "timeout":
        await StartTimeout(casino.db, casino.clock)(player, next(iter(TimeoutPeriod)))
    else:
        await SelfExclude(casino.db, casino.clock)(player, next(iter(SelfExclusionPeriod)))
    with pytest.raises((PlayerBlocked, ResponsibleGamblingRefusal)):
        await _reveal(casino)(RevealTileCommand(player, view.id, SAFE[0]))
    voided = await _void(casino)(VoidMinesCommand(player, view.id))
    assert voided.state is MinesState.VOIDED
    assert voided.balance == Money(100, XTR)
