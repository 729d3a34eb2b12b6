"""The door x rule matrix's cases of a mines game's stake taken back before its first tile
(issue 25), over gRPC, the Mini App and the bot: each is a settlement (`Operation.SETTLE`),
allowed whatever the player's standing, on a game opened in good standing with no tile."""

from __future__ import annotations

import uuid

from aiogram.methods import EditMessageText

from croupier.v1 import mines_pb2, mines_pb2_grpc
from entrypoints.bot.handlers.mines import MinesVoid
from tests.entrypoints import door_cases_games as games
from tests.entrypoints.door_cases import _no_alert_and
from tests.entrypoints.door_world import Answer, Cell, bot_answer, grpc_answer, http_answer


async def grpc_mines_void(cell: Cell) -> Answer:
    stub = mines_pb2_grpc.MinesServiceStub(cell.world.channel)
    request = mines_pb2.VoidMinesRequest(player_id=cell.pid, game_id=cell.prepared)
    return await grpc_answer(stub.Void(request, metadata=cell.world.md))


async def mini_app_mines_void(cell: Cell) -> Answer:
    answer = await cell.world.http.post(
        f"/api/v1/app/mines/{cell.prepared}/void",
        json={"request_id": str(uuid.uuid4())},
        headers=cell.subject.session,
    )
    return http_answer(answer, 200)


async def bot_void_mines(cell: Cell) -> Answer:
    button = MinesVoid(game=cell.prepared)
    return await bot_answer(
        cell, cell.subject.user.tap(button.pack()), _no_alert_and(EditMessageText)
    )


# The games each case voids: opened in good standing, no tile revealed.
open_mines_game = games.open_mines_game
mini_app_mines_game = games.mini_app_mines_game
bot_mines_game = games.bot_mines_game
