"""SeamlessWalletService: Debit / Credit / Rollback as game providers call them. The provider
is the calling service's API key, so one provider can never touch another's transactions."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

import grpc
from dishka.integrations.grpcio import FromDishka, inject

from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessResult,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from croupier.v1 import seamless_pb2, seamless_pb2_grpc
from domain.money import CurrencyRegistry
from entrypoints.grpc import translate
from entrypoints.grpc.auth import current_key
from entrypoints.grpc.errors import guarded


def _response(result: SeamlessResult) -> seamless_pb2.SeamlessResponse:
    return seamless_pb2.SeamlessResponse(
        transaction_id=result.transaction_id,
        balance=translate.money_message(result.balance),
        replayed=result.replayed,
    )


C = TypeVar("C", SeamlessDebitCommand, SeamlessCreditCommand)


def _movement(
    kind: type[C], request: seamless_pb2.SeamlessRequest, currencies: CurrencyRegistry
) -> C:
    return kind(
        provider=current_key.get().name,
        player_id=translate.player_id(request.player_id),
        amount=translate.money(currencies, request.amount, "amount"),
        transaction_id=translate.external_id(request.transaction_id, "transaction_id"),
        round_id=translate.external_id(request.round_id, "round_id"),
        game_id=request.game_id,
    )


class SeamlessServicer(seamless_pb2_grpc.SeamlessWalletServiceServicer):
    @guarded
    @inject
    async def Debit(
        self,
        request: seamless_pb2.SeamlessRequest,
        context: grpc.aio.ServicerContext,
        debit: FromDishka[SeamlessDebit],
        currencies: FromDishka[CurrencyRegistry],
    ) -> seamless_pb2.SeamlessResponse:
        return _response(await debit(_movement(SeamlessDebitCommand, request, currencies)))

    @guarded
    @inject
    async def Credit(
        self,
        request: seamless_pb2.SeamlessRequest,
        context: grpc.aio.ServicerContext,
        credit: FromDishka[SeamlessCredit],
        currencies: FromDishka[CurrencyRegistry],
    ) -> seamless_pb2.SeamlessResponse:
        command = replace(
            _movement(SeamlessCreditCommand, request, currencies),
            caller=current_key.get(),
            free_round=request.free_round,
        )
        return _response(await credit(command))

    @guarded
    @inject
    async def Rollback(
        self,
        request: seamless_pb2.RollbackRequest,
        context: grpc.aio.ServicerContext,
        rollback: FromDishka[SeamlessRollback],
        currencies: FromDishka[CurrencyRegistry],
    ) -> seamless_pb2.SeamlessResponse:
        command = SeamlessRollbackCommand(
            provider=current_key.get().name,
            player_id=translate.player_id(request.player_id),
            transaction_id=translate.external_id(request.transaction_id, "transaction_id"),
            round_id=translate.external_id(request.round_id, "round_id"),
            currency=translate.currency(currencies, request.currency),
        )
        return _response(await rollback(command))
