"""WalletService: balances, history and processor deposits."""

from __future__ import annotations

import grpc
from dishka.integrations.grpcio import FromDishka, inject

from application.balances import GetBalances
from application.history import ListHistory
from application.postings import CreditDeposit, CreditDepositCommand
from croupier.v1 import wallet_pb2, wallet_pb2_grpc
from domain.money import CurrencyRegistry, Money
from entrypoints.grpc import translate
from entrypoints.grpc.auth import current_key
from entrypoints.grpc.errors import FieldError, guarded

DEFAULT_PAGE_SIZE = 50


class WalletServicer(wallet_pb2_grpc.WalletServiceServicer):
    @guarded
    @inject
    async def GetBalance(
        self,
        request: wallet_pb2.GetBalanceRequest,
        context: grpc.aio.ServicerContext,
        balances: FromDishka[GetBalances],
        currencies: FromDishka[CurrencyRegistry],
    ) -> wallet_pb2.GetBalanceResponse:
        player = translate.player_id(request.player_id)
        found = await balances(player)
        if request.currency:
            wanted = translate.currency(currencies, request.currency)
            found = tuple(m for m in found if m.currency == wanted) or (Money(0, wanted),)
        return wallet_pb2.GetBalanceResponse(balances=[translate.money_message(m) for m in found])

    @guarded
    @inject
    async def ListTransactions(
        self,
        request: wallet_pb2.ListTransactionsRequest,
        context: grpc.aio.ServicerContext,
        history: FromDishka[ListHistory],
    ) -> wallet_pb2.ListTransactionsResponse:
        player = translate.player_id(request.player_id)
        size = request.page_size or DEFAULT_PAGE_SIZE
        if not 1 <= size <= 100:
            raise FieldError("page_size", "page_size must be between 1 and 100")
        page = await history(player, cursor=request.page_token or None, limit=size)
        return wallet_pb2.ListTransactionsResponse(
            entries=[
                wallet_pb2.WalletEntry(
                    transaction_id=str(e.transaction_id),
                    kind=translate.TRANSACTION_KINDS[e.kind],
                    amount=translate.money_message(e.amount),
                    balance_after=e.balance_after,
                    created_at=translate.timestamp(e.created_at),
                    reference=e.reference,
                )
                for e in page.entries
            ],
            next_page_token=page.next_cursor or "",
        )

    @guarded
    @inject
    async def Deposit(
        self,
        request: wallet_pb2.DepositRequest,
        context: grpc.aio.ServicerContext,
        credit: FromDishka[CreditDeposit],
        currencies: FromDishka[CurrencyRegistry],
    ) -> wallet_pb2.DepositResponse:
        posting = await credit(
            CreditDepositCommand.from_provider(
                player_id=translate.player_id(request.player_id),
                amount=translate.money(currencies, request.amount, "amount"),
                caller=current_key.get(),
                external_reference=translate.external_id(request.external_id, "external_id"),
            )
        )
        return wallet_pb2.DepositResponse(
            transaction_id=str(posting.transaction.id),
            balance=translate.money_message(posting.balance),
            replayed=posting.replayed,
        )
