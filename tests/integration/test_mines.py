"""Mines on the real PostgreSQL: a game opened, stepped and settled, the database's own rules
(one open game per player and currency, a field that only grows), and races on real
connections: many opens at once, many steps on one game at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    GetMines,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
)
from domain.bets import BetState
from domain.errors import IllegalTransition
from domain.mines import MinesState
from domain.money import XTR, Money
from tests.conftest import race

pytestmark = pytest.mark.usefixtures("books")


@pytest.fixture
def mines(uow_factory, clock, ids, house, place):
    args = (uow_factory, clock, ids, house)
    return (
        OpenMines(place, clock),
        RevealTile(*args),
        CashOutMines(*args),
        GetMines(*args),
    )


async def _field(engine, game_id: uuid.UUID):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT positions, revealed, state FROM mines_games WHERE id = :id"),
                {"id": game_id},
            )
        ).one()


async def _postings(engine, bet_id: uuid.UUID) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind FROM ledger_transactions WHERE reference = :ref ORDER BY kind"),
            {"ref": f"bet:{bet_id}"},
        )
        return [r.kind for r in rows]


async def test_a_game_opens_steps_and_settles_in_the_database(
    funded_player, mines, balances, engine, uow_factory, clock, ids, house
):
    opened, reveal, cash_out, get = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(100, XTR), 3))
    assert view.state is MinesState.OPEN
    assert await balances(player.id) == (Money(900, XTR),)
    row = await _field(engine, view.id)
    assert len(row.positions) == 3
    assert row.revealed == []
    safe = [t for t in range(25) if t not in row.positions]
    await reveal(RevealTileCommand(player.id, view.id, safe[0]))
    await reveal(RevealTileCommand(player.id, view.id, safe[1]))
    # A new reader (a restarted service) finds the game as it stands.
    again = await GetMines(uow_factory, clock, ids, house)(player.id, currency="XTR")
    assert again.revealed == (safe[0], safe[1])
    done = await cash_out(CashOutMinesCommand(player.id, view.id))
    assert done.state is MinesState.CASHED_OUT
    assert done.payout == 128  # 100 * 1.2857 (0.99 * 25*24 / (22*21), cut)
    assert await balances(player.id) == (Money(1028, XTR),)
    assert (await _field(engine, view.id)).state == "cashed_out"
    assert len(await _postings(engine, view.id)) == 2  # the stake, then the win
    assert (await get(player.id, game_id=view.id)).mine_positions == tuple(sorted(row.positions))


async def test_30_concurrent_opens_leave_one_game(funded_player, mines, balances, engine):
    opened, *_ = mines
    player = await funded_player(1000)
    results = await race(
        30, lambda i: opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 5))
    )
    games = [r for r in results if not isinstance(r, BaseException)]
    refusals = [r for r in results if isinstance(r, BaseException)]
    assert len(games) == 1
    assert all(isinstance(r, IllegalTransition) for r in refusals), refusals
    assert await balances(player.id) == (Money(990, XTR),)
    async with engine.connect() as conn:
        count = await conn.execute(
            text("SELECT count(*) FROM bets WHERE player_id = :p"), {"p": player.id}
        )
        assert count.scalar_one() == 1


async def test_20_concurrent_repeats_of_one_open_place_one_bet(funded_player, mines, balances):
    opened, *_ = mines
    player = await funded_player(1000)
    command = OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 5)
    results = await race(20, lambda i: opened(command))
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert {r.id for r in results} == {command.request_id}
    assert sum(1 for r in results if not r.replayed) == 1
    assert await balances(player.id) == (Money(990, XTR),)


async def test_concurrent_reveals_and_cash_outs_settle_once(
    funded_player, mines, balances, engine, uow_factory
):
    opened, reveal, cash_out, _ = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(100, XTR), 3))
    row = await _field(engine, view.id)
    safe = [t for t in range(25) if t not in row.positions]
    await reveal(RevealTileCommand(player.id, view.id, safe[0]))

    def step(i: int):
        if i % 3 == 0:
            return cash_out(CashOutMinesCommand(player.id, view.id))
        # Safe tiles and, among them, the mines: whatever lands first decides.
        tile = row.positions[i % 3] if i % 5 == 0 else safe[1 + i % 4]
        return reveal(RevealTileCommand(player.id, view.id, tile))

    results = await race(30, step)
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, IllegalTransition)
    ]
    assert unexpected == []
    kinds = await _postings(engine, view.id)
    assert len(kinds) == 2  # the stake and exactly one settlement
    async with uow_factory() as uow:
        bet = await uow.bets.find(view.id)
    assert bet is not None
    assert bet.state in (BetState.WON, BetState.LOST)
    final = await _field(engine, view.id)
    assert final.state in ("cashed_out", "busted")
    assert bet.outcome == (0 if final.state == "busted" else len(final.revealed))
    assert await balances(player.id) == (Money(900 + (bet.payout or 0), XTR),)


async def test_the_database_keeps_the_field_as_it_was_dealt(funded_player, mines, engine):
    opened, reveal, *_ = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    row = await _field(engine, view.id)
    safe = [t for t in range(25) if t not in row.positions]
    await reveal(RevealTileCommand(player.id, view.id, safe[0]))
    for change in (
        "UPDATE mines_games SET positions = '{0,1,2}' WHERE id = :id",
        "UPDATE mines_games SET revealed = '{}' WHERE id = :id",
        "DELETE FROM mines_games WHERE id = :id",
    ):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(change), {"id": view.id})
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="uq_mines_games_open"):
            await conn.execute(
                text(
                    "INSERT INTO mines_games (id, player_id, currency, mines, positions, state,"
                    " opened_at) SELECT gen_random_uuid(), player_id, currency, mines, positions,"
                    " 'open', now() FROM mines_games WHERE id = :id"
                ),
                {"id": view.id},
            )


async def test_concurrent_reveals_of_different_tiles_all_land(funded_player, mines, engine):
    """Steps on one game queue on its bet's row lock: ten players' fingers on ten safe tiles
    at once all reveal (none is lost, none refused), in some order."""
    opened, reveal, *_ = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    row = await _field(engine, view.id)
    safe = [t for t in range(25) if t not in row.positions][:10]
    results = await race(10, lambda i: reveal(RevealTileCommand(player.id, view.id, safe[i])))
    assert [r for r in results if isinstance(r, BaseException)] == []
    final = await _field(engine, view.id)
    assert sorted(final.revealed) == sorted(safe)
    assert final.state == "open"


async def test_the_outcome_counts_read_every_mine_of_a_field(funded_player, mines, engine, clock):
    from adapters.postgres.reports import SqlReports
    from domain.outcome_tests import outcome_counting
    from domain.reports import ReportPeriod, ReportScope

    opened, reveal, *_ = mines
    today = clock.now().date()
    period = ReportPeriod(today, today + timedelta(days=1))
    edges = {"mines": list(outcome_counting("mines").edges)}
    before = await SqlReports(engine).outcome_counts(period, ReportScope(None, "mines"), edges)
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 24))
    row = await _field(engine, view.id)
    await reveal(RevealTileCommand(player.id, view.id, row.positions[-1]))  # busted
    after = await SqlReports(engine).outcome_counts(period, ReportScope(None, "mines"), edges)
    added = [a - b for a, b in zip(after["mines"], before["mines"], strict=True)]
    # One per mine, in the 24-mine ranges 23 * 25 + tile.
    assert added == [int(r >= 23 * 25 and r - 23 * 25 in row.positions) for r in range(600)]


async def test_the_risk_scan_reads_the_tiles_a_game_pressed(
    funded_player, mines, engine, clock, uow_factory
):
    """The risk scan's cells hold a mines game's pressed tiles (issue 21), so it is priced by
    what the player did: two safe tiles then a cash-out is a cell of 2 steps, a bust on the
    first tile a cell of 1."""
    opened, reveal, cash_out, _ = mines
    player = await funded_player(1000)
    view = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    row = await _field(engine, view.id)
    safe = [t for t in range(25) if t not in row.positions]
    await reveal(RevealTileCommand(player.id, view.id, safe[0]))
    await reveal(RevealTileCommand(player.id, view.id, safe[1]))
    await cash_out(CashOutMinesCommand(player.id, view.id))
    busted = await opened(OpenMinesCommand(player.id, uuid.uuid4(), Money(10, XTR), 3))
    await reveal(
        RevealTileCommand(player.id, busted.id, (await _field(engine, busted.id)).positions[1])
    )
    now = clock.now()
    async with uow_factory() as uow:
        cells = await uow.risk.bet_cells(
            now - timedelta(hours=1), now + timedelta(hours=1), player.id
        )
    assert sorted((c.game, c.steps, c.bets) for c in cells) == [("mines", 1, 1), ("mines", 2, 1)]
