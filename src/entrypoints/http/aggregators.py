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

A bet, a win or a rollback is answered once per `request_uuid`: the first answer is kept (with
the money it moved, in one transaction; a replay's or a refusal's just after) with a hash of
the request's canonical body, and a repeat gets those bytes; the same `request_uuid` with
another body is `RS_ERROR_DUPLICATE_TRANSACTION`, nothing done (docs/aggregators.md,
"Repeated requests"). User info and balance are read afresh every time.

The dialect answers HTTP 200 with a status in the body for everything it understands (an
aggregator reads the status, not the HTTP code); an aggregator Croupier does not know is a 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from application.aggregators import AggregatorKey, KeepAnswer, ReadGameSession, RecallAnswer
from application.ports import AggregatorSignatures
from application.seamless import (
    AnswerKeptElsewhere,
    DoorRequest,
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessResult,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from domain.access import ApiKey
from domain.errors import DomainError, InsufficientFunds, InvalidRequest, StorageUnavailable
from domain.kept_answers import RequestReused, validate_request_id
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
    body_hash,
    player_id_of,
    status_of,
    to_minor,
)

# One call is a few hundred bytes; a larger body is refused before it is verified.
MAX_BODY = 16 * 1024
_R = TypeVar("_R", UserRequest, BetRequest, WinRequest, RollbackRequest)
_M = TypeVar("_M", BetRequest, WinRequest, RollbackRequest)


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

    async def _read(
        self,
        aggregator: str,
        request: Request[Any, Any, Any],
        signatures: AggregatorSignatures,
        kind: type[_R],
    ) -> tuple[bytes, _R | Answer]:
        """The raw body and its call, or the answer to a body that is not one (unsigned,
        unreadable): such answers are never kept, since nothing in the body can be trusted."""
        if not signatures.knows(aggregator):
            raise NotFoundException("no such aggregator")
        body = await request.body()
        user, request_uuid = _names(body)
        if not signatures.verify(aggregator, body, request.headers.get(SIGNATURE_HEADER, "")):
            return body, answer(user, request_uuid, Status.INVALID_SIGNATURE)
        try:
            return body, msgspec.json.decode(body, type=kind)
        except msgspec.DecodeError:
            return body, answer(user, request_uuid, Status.UNKNOWN)

    async def _call(
        self,
        aggregator: str,
        request: Request[Any, Any, Any],
        signatures: AggregatorSignatures,
        key_of: AggregatorKey,
        kind: type[_R],
        handle: Any,
    ) -> Response[bytes]:
        """A read (user info, balance): answered afresh every time, nothing kept."""
        _, call = await self._read(aggregator, request, signatures, kind)
        if isinstance(call, Answer):
            return self._signed(signatures, msgspec.json.encode(call))
        try:
            key = await key_of(aggregator)
            result: Answer = await handle(call, key)
        except (StorageUnavailable, VelocityUnavailable):
            raise
        except DomainError as error:
            result = _refusal(call, error)
        return self._signed(signatures, msgspec.json.encode(result))

    async def _money_call(
        self,
        aggregator: str,
        request: Request[Any, Any, Any],
        signatures: AggregatorSignatures,
        key_of: AggregatorKey,
        answers: tuple[RecallAnswer, KeepAnswer],
        kind: type[_M],
        move: Callable[[_M, ApiKey, DoorRequest], Awaitable[SeamlessResult]],
        render: Callable[[_M, SeamlessResult], Answer],
    ) -> Response[bytes]:
        """A bet, win or rollback: answered once per request_uuid (the module's docstring)."""
        body, call = await self._read(aggregator, request, signatures, kind)
        if isinstance(call, Answer):
            return self._signed(signatures, msgspec.json.encode(call))
        try:
            validate_request_id(call.request_uuid)
        except InvalidRequest:
            # Echoed, as every answer echoes it, but never kept: it cannot be a key.
            refused = answer(call.user, call.request_uuid, Status.UNKNOWN)
            return self._signed(signatures, msgspec.json.encode(refused))
        try:
            content = await self._answer_once(
                aggregator, call, body_hash(body), key_of, answers, move, render
            )
        except RequestReused:
            duplicate = answer(call.user, call.request_uuid, Status.DUPLICATE_TRANSACTION)
            content = msgspec.json.encode(duplicate)
        return self._signed(signatures, content)

    @staticmethod
    async def _answer_once(
        aggregator: str,
        call: _M,
        digest: bytes,
        key_of: AggregatorKey,
        answers: tuple[RecallAnswer, KeepAnswer],
        move: Callable[[_M, ApiKey, DoorRequest], Awaitable[SeamlessResult]],
        render: Callable[[_M, SeamlessResult], Answer],
    ) -> bytes:
        recall, keep = answers
        kept = await recall(aggregator, call.request_uuid)
        if kept is not None:
            return kept.answer_to(digest)

        def rendered(result: SeamlessResult) -> bytes:
            return msgspec.json.encode(render(call, result))

        try:
            key = await key_of(aggregator)
            result = await move(
                call, key, DoorRequest(aggregator, call.request_uuid, digest, rendered)
            )
        except AnswerKeptElsewhere:
            # A twin with this request_uuid kept its answer first; ours was rolled back.
            kept = await recall(aggregator, call.request_uuid)
            if kept is None:  # pragma: no cover - a kept answer is deleted only after days
                raise StorageUnavailable("the kept answer vanished; retry") from None
            return kept.answer_to(digest)
        except (StorageUnavailable, VelocityUnavailable):
            # Not an answer: the books could not be reached. The problem handler's 503 tells
            # the aggregator to retry (a win) or to roll back (a bet), as after a timeout.
            raise
        except RequestReused:  # pragma: no cover - raised by the answers, never by a move
            raise
        except DomainError as error:
            # A refusal wrote nothing: it is kept on its own (a twin's answer, if one was
            # kept first, is the one sent).
            refusal = msgspec.json.encode(_refusal(call, error))
            return await _kept_or_as_is(keep, aggregator, call.request_uuid, digest, refusal)
        content = rendered(result)
        if result.replayed:  # nothing was written, so nothing was kept with it
            return await _kept_or_as_is(keep, aggregator, call.request_uuid, digest, content)
        return content  # kept in the unit of work that moved the money

    @staticmethod
    def _signed(signatures: AggregatorSignatures, body: bytes) -> Response[bytes]:
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
        recall: FromDishka[RecallAnswer],
        keep: FromDishka[KeepAnswer],
        sessions: FromDishka[ReadGameSession],
        currencies: FromDishka[CurrencyRegistry],
        debit: FromDishka[SeamlessDebit],
    ) -> Response[bytes]:
        async def move(call: BetRequest, key: ApiKey, door: DoorRequest) -> SeamlessResult:
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
                return await debit(command, door)
            except InsufficientFunds as error:
                # The balance the dialect wants with this status; the view's if the use case
                # did not say.
                raise InsufficientFunds(
                    error.message, available=error.available or view.balance
                ) from None

        return await self._money_call(
            aggregator, request, signatures, key_of, (recall, keep), BetRequest, move, _moved
        )

    @post("/transaction/win", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def win(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        recall: FromDishka[RecallAnswer],
        keep: FromDishka[KeepAnswer],
        currencies: FromDishka[CurrencyRegistry],
        credit: FromDishka[SeamlessCredit],
    ) -> Response[bytes]:
        async def move(call: WinRequest, key: ApiKey, door: DoorRequest) -> SeamlessResult:
            command = SeamlessCreditCommand(
                provider=key.name,
                player_id=player_id_of(call.user),
                amount=to_minor(call.amount, currencies.get(call.currency)),
                transaction_id=call.transaction_uuid,
                round_id=call.round,
                game_id=call.game_code or "",
                caller=key,
            )
            return await credit(command, door)

        return await self._money_call(
            aggregator, request, signatures, key_of, (recall, keep), WinRequest, move, _moved
        )

    @post("/transaction/rollback", status_code=200, request_max_body_size=MAX_BODY)
    @inject
    async def rollback(
        self,
        aggregator: FromPath[str],
        request: Request[Any, Any, Any],
        signatures: FromDishka[AggregatorSignatures],
        key_of: FromDishka[AggregatorKey],
        recall: FromDishka[RecallAnswer],
        keep: FromDishka[KeepAnswer],
        sessions: FromDishka[ReadGameSession],
        currencies: FromDishka[CurrencyRegistry],
        roll_back: FromDishka[SeamlessRollback],
    ) -> Response[bytes]:
        async def move(call: RollbackRequest, key: ApiKey, door: DoorRequest) -> SeamlessResult:
            if call.currency is not None:
                code = call.currency
            elif call.token is not None:
                code = sessions.currency_of(call.token, aggregator)
            else:
                raise InvalidRequest("a rollback needs its currency or its session token")
            command = SeamlessRollbackCommand(
                provider=key.name,
                player_id=player_id_of(call.user),
                transaction_id=call.reference_transaction_uuid,
                round_id=call.round,
                currency=currencies.get(code),
                rollback_id=call.transaction_uuid,
            )
            return await roll_back(command, door)

        return await self._money_call(
            aggregator,
            request,
            signatures,
            key_of,
            (recall, keep),
            RollbackRequest,
            move,
            _rolled_back,
        )


async def _kept_or_as_is(
    keep: KeepAnswer, aggregator: str, request_id: str, digest: bytes, content: bytes
) -> bytes:
    """The answer kept for this request (ours, or a twin's), or ours as it is when it cannot
    be kept: a refusal echoing a `user` of kilobytes is larger than a kept answer may be, and
    moved nothing, so a repeat answered anew is answered the same."""
    try:
        return await keep(aggregator, request_id, digest, content)
    except RequestReused:
        raise
    except InvalidRequest:
        return content


def _refusal(
    call: UserRequest | BetRequest | WinRequest | RollbackRequest, error: DomainError
) -> Answer:
    if isinstance(error, InsufficientFunds):
        return answer(call.user, call.request_uuid, Status.NOT_ENOUGH_MONEY, error.available)
    return answer(call.user, call.request_uuid, status_of(error))


def _moved(call: BetRequest | WinRequest, result: SeamlessResult) -> Answer:
    return answer(call.user, call.request_uuid, Status.OK, result.balance)


def _rolled_back(call: RollbackRequest, result: SeamlessResult) -> Answer:
    # A rollback of a bet never seen moves nothing (the bet is refused if it comes): the
    # dialect says so with its own status, and the balance.
    moved = result.ledger_transaction_id is not None
    status = Status.OK if moved else Status.TRANSACTION_DOES_NOT_EXIST
    return answer(call.user, call.request_uuid, status, result.balance)
