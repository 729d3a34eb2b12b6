"""The door x rule matrix's cases of the games with a road of their own (test_door_rule_matrix.py):
mines, opened as a bet and played in steps, and crash, a bet on a shared round cashed out while
it runs; over gRPC, the Mini App and the bot. Split from door_cases.py, which holds the other
doors and what these share (the world, a Mini App session, the bot's answers)."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import (
    EditMessageText,
    SendMessage,
)
from sqlalchemy import text

from application.mines import OpenMines, OpenMinesCommand, RevealTile, RevealTileCommand
from croupier.v1 import (
    crash_pb2,
    crash_pb2_grpc,
    mines_pb2,
    mines_pb2_grpc,
)
from domain.money import XTR, Money
from entrypoints.bot.handlers.crash import CrashBet, CrashCash
from entrypoints.bot.handlers.mines import MinesCash, MinesOpen, MinesTile
from tests.entrypoints.door_cases import _no_alert_and, mini_app_session
from tests.entrypoints.door_world import (
    Answer,
    Cell,
    bot_answer,
    grpc_answer,
    http_answer,
)
from tests.entrypoints.grpc_calls import xtr


def _mines(cell: Cell) -> mines_pb2_grpc.MinesServiceStub:
    return mines_pb2_grpc.MinesServiceStub(cell.world.channel)


def _open_mines(cell: Cell) -> mines_pb2.OpenMinesRequest:
    return mines_pb2.OpenMinesRequest(
        player_id=cell.pid, request_id=str(uuid.uuid4()), stake=xtr(10), mines=1
    )


async def grpc_mines_open(cell: Cell) -> Answer:
    return await grpc_answer(_mines(cell).Open(_open_mines(cell), metadata=cell.world.md))


async def open_mines_game(cell: Cell) -> str:
    """A mines game, open, no tile revealed."""
    game = await _mines(cell).Open(_open_mines(cell), metadata=cell.world.md)
    return str(game.id)


async def mines_game_with_a_safe_tile(cell: Cell) -> str:
    """A mines game with one mine and a safe tile revealed (a game that hit its mine on the
    first tile, 1 in 25, is left finished and another is opened)."""
    while True:
        game_id = await open_mines_game(cell)
        reveal = mines_pb2.RevealTileRequest(player_id=cell.pid, game_id=game_id, tile=0)
        game = await _mines(cell).Reveal(reveal, metadata=cell.world.md)
        if game.state == mines_pb2.MINES_STATE_OPEN:
            return game_id


async def grpc_mines_reveal(cell: Cell) -> Answer:
    request = mines_pb2.RevealTileRequest(
        player_id=cell.pid, game_id=cell.prepared, tile=0, request_id=str(uuid.uuid4())
    )
    return await grpc_answer(_mines(cell).Reveal(request, metadata=cell.world.md))


async def grpc_mines_cash_out(cell: Cell) -> Answer:
    request = mines_pb2.CashOutMinesRequest(player_id=cell.pid, game_id=cell.prepared)
    return await grpc_answer(_mines(cell).CashOut(request, metadata=cell.world.md))


async def _mines_open(cell: Cell) -> Any:
    body = {"stake": 10, "mines": 1, "request_id": str(uuid.uuid4())}
    return await cell.world.http.post("/api/v1/app/mines", json=body, headers=cell.subject.session)


async def _mines_step(cell: Cell, game_id: str, step: str, **body: Any) -> Any:
    return await cell.world.http.post(
        f"/api/v1/app/mines/{game_id}/{step}",
        json={"request_id": str(uuid.uuid4()), **body},
        headers=cell.subject.session,
    )


async def mini_app_mines_open(cell: Cell) -> Answer:
    return http_answer(await _mines_open(cell), 200)


async def mini_app_mines_game(cell: Cell) -> str:
    """A Mini App session and an open mines game, no tile revealed."""
    await mini_app_session(cell)
    opened = await _mines_open(cell)
    assert opened.status_code == 200, opened.text
    return str(opened.json()["id"])


async def mini_app_mines_with_a_safe_tile(cell: Cell) -> str:
    """A Mini App session and a one-mine game with a safe tile revealed."""
    while True:
        game_id = await mini_app_mines_game(cell)
        step = await _mines_step(cell, game_id, "reveal", tile=0)
        assert step.status_code == 200, step.text
        if step.json()["state"] == "open":
            return game_id


async def mini_app_mines_reveal(cell: Cell) -> Answer:
    return http_answer(await _mines_step(cell, cell.prepared, "reveal", tile=0), 200)


async def mini_app_mines_cash_out(cell: Cell) -> Answer:
    return http_answer(await _mines_step(cell, cell.prepared, "cashout"), 200)


async def bot_open_mines(cell: Cell) -> Answer:
    button = MinesOpen(stake=10, mines=1, press=secrets.token_hex(4))
    return await bot_answer(cell, cell.subject.user.tap(button.pack()), _no_alert_and(SendMessage))


async def bot_mines_game(cell: Cell) -> str:
    """A one-mine game opened from the bot in good standing: its id's hex."""
    game = await cell.world.use(
        OpenMines, OpenMinesCommand(cell.subject.player_id, uuid.uuid4(), Money(10, XTR), 1)
    )
    return game.id.hex


async def bot_mines_with_a_safe_tile(cell: Cell) -> str:
    """A one-mine game with a safe tile revealed (tile 0; another game when it was the mine)."""
    while True:
        game = await bot_mines_game(cell)
        step = await cell.world.use(
            RevealTile, RevealTileCommand(cell.subject.player_id, uuid.UUID(hex=game), 0)
        )
        if step.state.value == "open":
            return game


async def bot_reveal_tile(cell: Cell) -> Answer:
    button = MinesTile(game=cell.prepared, tile=0)
    return await bot_answer(
        cell, cell.subject.user.tap(button.pack()), _no_alert_and(EditMessageText)
    )


async def bot_cash_out_mines(cell: Cell) -> Answer:
    button = MinesCash(game=cell.prepared)
    return await bot_answer(
        cell, cell.subject.user.tap(button.pack()), _no_alert_and(EditMessageText)
    )


# -- crash ---------------------------------------------------------------------------------------
# The matrix's own chain, whose secret it knows: a round whose crash point is too low for a
# cash-out to find it running is finished at once, as the schema's owner, with its real hash
# and point (the trigger checks the hash), and the next one is used.

_CRASH_SECRET = secrets.token_bytes(32)
_CRASH_SALT = "door-matrix"
_CRASH_LENGTH = 10_000
_crash_chain: list[int] = []


async def _chain_id(engine: Any) -> int:
    from adapters.postgres.crash_chain import commit_chain, set_salt

    if not _crash_chain:
        async with engine.begin() as conn:
            committed = await commit_chain(
                conn, _CRASH_LENGTH, checkpoint_every=100, secret=_CRASH_SECRET
            )
            await set_salt(conn, committed.id, _CRASH_SALT)
        _crash_chain.append(committed.id)
    return _crash_chain[0]


def _crash_round_facts(number: int) -> tuple[str, int]:
    from domain.crash import crash_point, first_link, hash_forward

    round_hash = hash_forward(first_link(_CRASH_SECRET), _CRASH_LENGTH - number)
    return round_hash, crash_point(round_hash, _CRASH_SALT)


async def _betting_round(cell: Cell) -> int:
    """The newest round, taking bets for an hour more; a new one of the matrix's chain if not
    (opened as the driver opens one: with its event, so the outbox owes nothing)."""
    from application.ports import UnitOfWorkFactory
    from domain.events import CrashRoundOpened

    engine = cell.world.engine
    chain = await _chain_id(engine)
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT id FROM crash_rounds WHERE id = (SELECT max(id) FROM crash_rounds)"
                    " AND phase = 'betting' AND betting_ends_at > now() + interval '10 minutes'"
                )
            )
        ).first()
        if row is not None:
            return int(row.id)
    uow = await cell.world.container.get(UnitOfWorkFactory)
    async with uow() as work:
        opened = await work.crash.open_round(chain, datetime.now(UTC) + timedelta(hours=1))
        work.raise_events(CrashRoundOpened(opened))
        await work.commit()
    return opened.id


async def _start(cell: Cell, round_id: int) -> int:
    """Start the round now, as the driver starts one (with its event); its number."""
    from application.ports import UnitOfWorkFactory
    from domain.events import CrashRoundStarted

    uow = await cell.world.container.get(UnitOfWorkFactory)
    async with uow() as work:
        started, _ = await work.crash.start_round(round_id)
        work.raise_events(CrashRoundStarted(started))
        await work.commit()
    return started.number


async def _finish_at_once(cell: Cell, round_id: int) -> None:
    """Settle a started round now, as a recovery would (its bets refunded or paid their
    target, its real hash and crash point recorded), so the books stay reconcilable."""
    from application.crash import GetRound, SettleCrashedRound

    container = cell.world.container
    round_ = (await (await container.get(GetRound))(round_id)).round
    round_hash, point = _crash_round_facts(round_.number)
    await (await container.get(SettleCrashedRound))(round_, round_hash, point, interrupted=True)


def _crash(cell: Cell) -> crash_pb2_grpc.CrashServiceStub:
    return crash_pb2_grpc.CrashServiceStub(cell.world.channel)


def _crash_bet(cell: Cell) -> crash_pb2.CrashBetRequest:
    return crash_pb2.CrashBetRequest(
        player_id=cell.pid, bet_id=str(uuid.uuid4()), stake=xtr(10), auto_cash_out="2"
    )


async def crash_betting_round(cell: Cell) -> int:
    return await _betting_round(cell)


async def grpc_crash_bet(cell: Cell) -> Answer:
    return await grpc_answer(_crash(cell).PlaceBet(_crash_bet(cell), metadata=cell.world.md))


async def crash_bet_riding(cell: Cell) -> str:
    """A crash bet in a round that has started and crashes at 5x or more (a minute away)."""
    while True:
        round_id = await _betting_round(cell)
        request = crash_pb2.CrashBetRequest(
            player_id=cell.pid, bet_id=str(uuid.uuid4()), stake=xtr(10)
        )
        await _crash(cell).PlaceBet(request, metadata=cell.world.md)
        number = await _start(cell, round_id)
        if _crash_round_facts(number)[1] >= 500:
            return request.bet_id
        await _finish_at_once(cell, round_id)  # it would crash too soon: use the next


async def grpc_crash_cash_out(cell: Cell) -> Answer:
    request = crash_pb2.CashOutRequest(player_id=cell.pid, bet_id=cell.prepared)
    return await grpc_answer(_crash(cell).CashOut(request, metadata=cell.world.md))


async def mini_app_crash_session(cell: Cell) -> None:
    """A Mini App session and a crash round taking bets."""
    await mini_app_session(cell)
    await _betting_round(cell)


async def mini_app_crash_bet(cell: Cell) -> Answer:
    body = {"stake": 10, "currency": "XTR", "auto_cash_out": "2", "request_id": str(uuid.uuid4())}
    response = await cell.world.http.post(
        "/api/v1/app/crash/bets", json=body, headers=cell.subject.session
    )
    return http_answer(response, 200)


async def mini_app_crash_riding(cell: Cell) -> str:
    await mini_app_session(cell)
    return await crash_bet_riding(cell)


async def mini_app_crash_cash_out(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        "/api/v1/app/crash/cashout", json={"bet_id": cell.prepared}, headers=cell.subject.session
    )
    return http_answer(response, 200)


async def bot_crash_bet(cell: Cell) -> Answer:
    button = CrashBet(stake=10, target=200, press=secrets.token_hex(4))
    return await bot_answer(cell, cell.subject.user.tap(button.pack()), _no_alert_and(SendMessage))


async def bot_crash_cash_out(cell: Cell) -> Answer:
    button = CrashCash(bet=uuid.UUID(cell.prepared).hex)
    return await bot_answer(
        cell, cell.subject.user.tap(button.pack()), _no_alert_and(EditMessageText)
    )
