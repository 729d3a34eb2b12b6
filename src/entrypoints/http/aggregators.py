"""The wallet as game aggregators call it, Hub88-style (docs/aggregators.md):
`POST /aggregators/{name}/user/info`, `/user/balance`, `/transaction/bet`, `/transaction/win`,
`/transaction/rollback`.

Every request's raw body is verified against the aggregator's RSA public key
(`X-Hub88-Signature`) before anything in it is read, and every answer is signed with
Croupier's key. The aggregator's service key (named after it, granted `seamless`) must be
active, and its caps bound every win, as a gRPC provider's do. Bets, wins and rollbacks are
`SeamlessDebit`, `SeamlessCredit` and `SeamlessRollback`, the gRPC seamless wallet's use cases:
every rule of that wallet holds here. The game session token is checked on user info, balance
and bet, never on a win or a rollback.

The dialect answers HTTP 200 with a status in the body for everything it understands (an
aggregator reads the status, not the HTTP code); an aggregator Croupier does not know is a 404."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from application.aggregators import AggregatorKey, ReadGameSession
from application.ports import AggregatorSignatures
from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from domain.access import ApiKey
from domain.errors import DomainError, InsufficientFunds, StorageUnavailable
from domain.money import CurrencyRegistry
from domain.velocity import VelocityUnavailable
from entrypoints.http.aggregator_wire import (
    SIGNATURE_HEADER,
    Answer,
    BetRequest,
    RollbackRequest,
    Status,
    UserRequest,
    WinRequest,
    answer,
    player_id_of,
    status_of,
    to_minor,
)

# One call is a few hundred bytes; a larger body is refused before it is verified.
MAX_BODY = 16 * 1024
_R = TypeVar("_R", UserRequest, BetRequest, WinRequest, RollbackRequest)


class _Refused(Exception):
    def __init__(self, status: Status) -> None:
        self.status = status


def _names(body: bytes) -> tuple[str, str]:
    """The user and request_uuid to echo in an answer to a body that could not be read."""
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return "", ""
    if not isinstance(raw, dict):
        return "", ""
    user, request_uuid = raw.get("user"), raw.get("request_uuid")
    return (
        user if isinstance(user, str) else "",
        request_uuid if isinstance(request_uuid, str) else "",
    )


class AggregatorWalletController(Controller):
    path = "/aggregators/{aggregator:str}"
    tags = ["aggregators"]  # noqa: RUF012 - Litestar reads it as a class attribute
    include_in_schema = False

    async def _call(
        self,
        aggregator: str,
        request: Request[Any, Any, Any],
        signatures: AggregatorSignatures,
        key_of: AggregatorKey,
        kind: type[_R],
        handle: Any,
    ) -> Response[bytes]:
        if not signatures.knows(aggregator):
            raise NotFoundException("no such aggregator")
        body = await request.body()
        user, request_uuid = _names(body)
        if not signatures.verify(aggregator, body, request.headers.get(SIGNATURE_HEADER, "")):
            return self._signed(signatures, answer(user, request_uuid, Status.INVALID_SIGNATURE))
        try:
            call = msgspec.json.decode(body, type=kind)
        except msgspec.DecodeError:
            return self._signed(signatures, answer(user, request_uuid, Status.UNKNOWN))
        try:
            key = await key_of(aggregator)
            result: Answer = await handle(call, key)
        except _Refused as refused:
            result = answer(call.user, call.request_uuid, refused.status)
        except (StorageUnavailable, VelocityUnavailable):
            # Not an answer: the books could not be reached. The problem handler's 503 tells
            # the aggregator to retry (a win) or to roll back (a bet), as after a timeout.
            raise
        except InsufficientFunds as error:
            result = answer(call.user, call.request_uuid, Status.NOT_ENOUGH_MONEY, error.available)
        except DomainError as error:
            result = answer(call.user, call.request_uuid, status_of(error))
        return self._signed(signatures, result)

    @staticmethod
    def _signed(signatures: AggregatorSignatures, result: Answer) -> Response[bytes]:
        body = msgspec.json.encode(result)
        return Response(
            body,
            status_code=200,
            media_type="application/json",
            headers={SIGNATURE_HEADER: signatures.sign(body)},
        )

    @post("/user/info", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def user_info(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        sessions: FromDishka[ReadGameSession],
    ) -> Response[bytes]:
        async def handle(call: UserRequest, key: ApiKey) -> Answer:
            view = await sessions(
                call.token, aggregator, player_id_of(call.user), with_standing=True
            )
            return answer(call.user, call.request_uuid, Status.OK, view.balance)

        return await self._call(aggregator, request, signatures, key_of, UserRequest, handle)

    @post("/user/balance", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def user_balance(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        sessions: FromDishka[ReadGameSession],
    ) -> Response[bytes]:
        async def handle(call: UserRequest, key: ApiKey) -> Answer:
            view = await sessions(call.token, aggregator, player_id_of(call.user))
            return answer(call.user, call.request_uuid, Status.OK, view.balance)

        return await self._call(aggregator, request, signatures, key_of, UserRequest, handle)

    @post("/transaction/bet", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def bet(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        sessions: FromDishka[ReadGameSession],
        currencies: FromDishka[CurrencyRegistry],
        debit: FromDishka[SeamlessDebit],
    ) -> Response[bytes]:
        async def handle(call: BetRequest, key: ApiKey) -> Answer:
            player_id = player_id_of(call.user)
            view = await sessions(call.token, aggregator, player_id, call.currency, call.game_code)
            amount = to_minor(call.amount, currencies.get(call.currency))
            command = SeamlessDebitCommand(
                provider=key.name,
                player_id=player_id,
                amount=amount,
                transaction_id=call.transaction_uuid,
                round_id=call.round,
                game_id=call.game_code,
            )
            try:
                result = await debit(command)
            except InsufficientFunds as error:
                # The balance the dialect wants with this status; the view's if the use case
                # did not say.
                raise InsufficientFunds(
                    error.message, available=error.available or view.balance
                ) from None
            return answer(call.user, call.request_uuid, Status.OK, result.balance)

        return await self._call(aggregator, request, signatures, key_of, BetRequest, handle)

    @post("/transaction/win", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def win(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        currencies: FromDishka[CurrencyRegistry],
        credit: FromDishka[SeamlessCredit],
    ) -> Response[bytes]:
        async def handle(call: WinRequest, key: ApiKey) -> Answer:
            command = SeamlessCreditCommand(
                provider=key.name,
                player_id=player_id_of(call.user),
                amount=to_minor(call.amount, currencies.get(call.currency)),
                transaction_id=call.transaction_uuid,
                round_id=call.round,
                game_id=call.game_code or "",
                caller=key,
            )
            result = await credit(command)
            return answer(call.user, call.request_uuid, Status.OK, result.balance)

        return await self._call(aggregator, request, signatures, key_of, WinRequest, handle)

    @post("/transaction/rollback", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def rollback(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        sessions: FromDishka[ReadGameSession],
        currencies: FromDishka[CurrencyRegistry],
        roll_back: FromDishka[SeamlessRollback],
    ) -> Response[bytes]:
        async def handle(call: RollbackRequest, key: ApiKey) -> Answer:
            if call.currency is not None:
                code = call.currency
            elif call.token is not None:
                code = sessions.currency_of(call.token, aggregator)
            else:
                raise _Refused(Status.UNKNOWN)
            command = SeamlessRollbackCommand(
                provider=key.name,
                player_id=player_id_of(call.user),
                transaction_id=call.reference_transaction_uuid,
                round_id=call.round,
                currency=currencies.get(code),
            )
            result = await roll_back(command)
            # A rollback of a bet never seen moves nothing (the bet is refused if it comes):
            # the dialect says so with its own status, and the balance.
            moved = result.ledger_transaction_id is not None
            status = Status.OK if moved else Status.TRANSACTION_DOES_NOT_EXIST
            return answer(call.user, call.request_uuid, status, result.balance)

        return await self._call(aggregator, request, signatures, key_of, RollbackRequest, handle)
