"""MinesService: a mines game in steps for game servers (the "betting" scope)."""

from __future__ import annotations

import uuid

import grpc
from dishka.integrations.grpcio import FromDishka, inject

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
from croupier.v1 import mines_pb2, mines_pb2_grpc
from domain.games.base import format_multiplier
from domain.mines import MinesState
from domain.money import CurrencyRegistry
from entrypoints.grpc import translate
from entrypoints.grpc.errors import guarded

_STATES = {
    MinesState.OPEN: mines_pb2.MINES_STATE_OPEN,
    MinesState.BUSTED: mines_pb2.MINES_STATE_BUSTED,
    MinesState.CASHED_OUT: mines_pb2.MINES_STATE_CASHED_OUT,
    MinesState.VOIDED: mines_pb2.MINES_STATE_VOIDED,
}


def game_message(view: MinesView) -> mines_pb2.MinesGame:
    message = mines_pb2.MinesGame(
        id=str(view.id),
        state=_STATES[view.state],
        stake=translate.money_message(view.stake),
        mines=view.mines,
        revealed=list(view.revealed),
        multiplier=format_multiplier(view.multiplier),
        next_multiplier=(
            "" if view.next_multiplier is None else format_multiplier(view.next_multiplier)
        ),
        mine_positions=list(view.mine_positions or ()),
        balance=translate.money_message(view.balance),
        replayed=view.replayed,
        max_payout=translate.money_message(view.max_payout),
    )
    if view.payout is not None:
        message.payout = view.payout
    return message


def _request_id(text: str) -> uuid.UUID | None:
    return translate.bet_id(text, "request_id") if text else None


class MinesServicer(mines_pb2_grpc.MinesServiceServicer):
    @guarded
    @inject
    async def Open(
        self,
        request: mines_pb2.OpenMinesRequest,
        context: grpc.aio.ServicerContext,
        open_mines: FromDishka[OpenMines],
        currencies: FromDishka[CurrencyRegistry],
    ) -> mines_pb2.MinesGame:
        command = OpenMinesCommand(
            player_id=translate.player_id(request.player_id),
            request_id=translate.bet_id(request.request_id, "request_id"),
            stake=translate.money(currencies, request.stake, "stake"),
            mines=request.mines,
        )
        return game_message(await open_mines(command))

    @guarded
    @inject
    async def Reveal(
        self,
        request: mines_pb2.RevealTileRequest,
        context: grpc.aio.ServicerContext,
        reveal: FromDishka[RevealTile],
    ) -> mines_pb2.MinesGame:
        command = RevealTileCommand(
            player_id=translate.player_id(request.player_id),
            game_id=translate.bet_id(request.game_id, "game_id"),
            tile=request.tile,
            request_id=_request_id(request.request_id),
        )
        return game_message(await reveal(command))

    @guarded
    @inject
    async def CashOut(
        self,
        request: mines_pb2.CashOutMinesRequest,
        context: grpc.aio.ServicerContext,
        cash_out: FromDishka[CashOutMines],
    ) -> mines_pb2.MinesGame:
        command = CashOutMinesCommand(
            player_id=translate.player_id(request.player_id),
            game_id=translate.bet_id(request.game_id, "game_id"),
            request_id=_request_id(request.request_id),
        )
        return game_message(await cash_out(command))

    @guarded
    @inject
    async def Void(
        self,
        request: mines_pb2.VoidMinesRequest,
        context: grpc.aio.ServicerContext,
        void: FromDishka[VoidMines],
    ) -> mines_pb2.MinesGame:
        command = VoidMinesCommand(
            player_id=translate.player_id(request.player_id),
            game_id=translate.bet_id(request.game_id, "game_id"),
            request_id=_request_id(request.request_id),
        )
        return game_message(await void(command))

    @guarded
    @inject
    async def Get(
        self,
        request: mines_pb2.GetMinesRequest,
        context: grpc.aio.ServicerContext,
        get: FromDishka[GetMines],
        currencies: FromDishka[CurrencyRegistry],
    ) -> mines_pb2.MinesGame:
        player = translate.player_id(request.player_id)
        if request.game_id:
            view = await get(player, game_id=translate.bet_id(request.game_id, "game_id"))
        else:
            currency = translate.currency(currencies, request.currency or "")
            view = await get(player, currency=currency.code)
        return game_message(view)
