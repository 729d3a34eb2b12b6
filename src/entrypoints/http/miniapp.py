"""The player API behind the Telegram Mini App: the same use cases the bot calls, reached with
a session opened from Telegram-signed `initData`.

Longer than most modules: one controller is the player's whole API (session, wallet, play,
history, fairness, limits and breaks) with its wire structs, so the routes a Mini App screen
calls read side by side; its doors are in the door x rule matrix like every other."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeVar

import msgspec
from dishka import AsyncContainer
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, delete, get, post, put
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from application.balances import GetBalances
from application.betting import BetReceipt, PlaceBetCommand
from application.betting.queue import BetQueue
from application.history import ListHistory, RecentBets
from application.miniapp import GetMe, OpenMiniAppSession, ReadPlayerSession
from application.onboarding import AcceptTerms
from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    LimitChange,
    RemoveLimit,
    ResponsibleStatus,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from application.seeds import GetSeedPair, RotateSeedPair
from domain.bets import Bet
from domain.errors import DomainError, InvalidField, Unauthenticated
from domain.games.base import format_multiplier
from domain.money import Currency, CurrencyRegistry, Money
from domain.responsible import LimitKind, LimitPeriod, SelfExclusionPeriod, TimeoutPeriod
from domain.seeds import SeedCommitment
from entrypoints.observability.bets import placing

PLAYER_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


async def player_session(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: a valid player session token in `Authorization: Bearer`."""
    await player_of(connection)


async def player_of(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    cached = connection.state.get("player_id")
    if isinstance(cached, int):
        return cached
    header = connection.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthenticated("open a session with POST /api/v1/app/session first")
    container: AsyncContainer = connection.app.state.dishka_container
    read = await container.get(ReadPlayerSession)
    player_id = await read(header[7:].strip())
    connection.state["player_id"] = player_id
    return player_id


async def provide_player_id(request: Request[Any, Any, Any]) -> int:
    return await player_of(request)


# -- wire formats ----------------------------------------------------------------------------


class SessionBody(msgspec.Struct, forbid_unknown_fields=True):
    init_data: str


class Amount(msgspec.Struct):
    amount: int
    currency: str


class SessionView(msgspec.Struct):
    token: str
    expires_at: datetime
    player_id: int
    language: str
    terms_accepted: bool
    new_player: bool


class MeView(msgspec.Struct):
    player_id: int
    telegram_user_id: int
    username: str | None
    language: str
    terms_accepted: bool
    balances: list[Amount]


class BalancesView(msgspec.Struct):
    balances: list[Amount]


class PlayBody(msgspec.Struct, forbid_unknown_fields=True):
    game: str
    stake: int  # minor units
    request_id: uuid.UUID  # one per press: a retried request places nothing new
    currency: str = "XTR"
    params: dict[str, str] = msgspec.field(default_factory=dict)


class BetView(msgspec.Struct):
    id: uuid.UUID
    game: str
    params: dict[str, str]
    stake: Amount
    state: str
    outcome: int | None
    multiplier: str | None
    payout: int | None
    placed_at: datetime
    settled_at: datetime | None
    seed_pair_id: int | None
    nonce: int | None
    server_seed_hash: str | None
    client_seed: str | None


class PlayView(msgspec.Struct):
    bet: BetView
    balance: Amount
    replayed: bool


class BetsView(msgspec.Struct):
    bets: list[BetView]
    has_more: bool


class MovementView(msgspec.Struct):
    transaction_id: uuid.UUID
    kind: str
    amount: Amount
    balance_after: int
    created_at: datetime


class HistoryView(msgspec.Struct):
    movements: list[MovementView]
    next_cursor: str | None


class SeedView(msgspec.Struct):
    seed_pair_id: int
    server_seed_hash: str
    client_seed: str
    next_nonce: int


class RotationBody(msgspec.Struct, forbid_unknown_fields=True):
    client_seed: str | None = None


class RotationView(msgspec.Struct):
    revealed_server_seed: str | None
    revealed_seed_pair_id: int | None
    active: SeedView


class LimitBody(msgspec.Struct, forbid_unknown_fields=True):
    amount: int
    currency: str = "XTR"


class LimitView(msgspec.Struct):
    kind: str
    period: str
    limit: Amount
    used: int
    remaining: int
    pending_amount: int | None
    pending_removal: bool
    confirmable_at: datetime | None


class ExclusionView(msgspec.Struct):
    kind: str
    until: datetime | None


class RealityCheckView(msgspec.Struct):
    minutes: int
    next_due: datetime


class CareView(msgspec.Struct):
    limits: list[LimitView]
    exclusion: ExclusionView | None
    reality_check: RealityCheckView | None
    reality_check_due: bool


class LimitChangeView(msgspec.Struct):
    applied: bool
    confirmable_at: datetime | None


class PeriodBody(msgspec.Struct, forbid_unknown_fields=True):
    period: str


class RealityCheckBody(msgspec.Struct, forbid_unknown_fields=True):
    minutes: int | None


def _amount(money: Money) -> Amount:
    return Amount(money.amount, money.currency.code)


def bet_view(bet: Bet) -> BetView:
    proof = bet.fairness
    return BetView(
        id=bet.id,
        game=bet.game,
        params=dict(bet.params),
        stake=_amount(bet.stake),
        state=bet.state.value,
        outcome=bet.outcome,
        multiplier=None if bet.multiplier is None else format_multiplier(bet.multiplier),
        payout=bet.payout,
        placed_at=bet.placed_at,
        settled_at=bet.settled_at,
        seed_pair_id=proof.seed_pair_id if proof else None,
        nonce=proof.nonce if proof else None,
        server_seed_hash=proof.server_seed_hash if proof else None,
        client_seed=proof.client_seed if proof else None,
    )


def _seed(commitment: SeedCommitment) -> SeedView:
    return SeedView(
        commitment.seed_pair_id,
        commitment.server_seed_hash,
        commitment.client_seed,
        commitment.next_nonce,
    )


def care_view(status: ResponsibleStatus) -> CareView:
    limits = [
        LimitView(
            kind=s.limit.kind.value,
            period=s.limit.period.value,
            limit=_amount(s.limit.amount),
            used=s.used.amount,
            remaining=s.remaining.amount,
            pending_amount=s.pending_amount.amount if s.pending_amount else None,
            pending_removal=s.pending_removal,
            confirmable_at=s.confirmable_at,
        )
        for s in status.limits
    ]
    exclusion = (
        ExclusionView(status.exclusion.kind.value, status.exclusion.until)
        if status.exclusion
        else None
    )
    check = status.reality_check
    return CareView(
        limits,
        exclusion,
        RealityCheckView(check.minutes, check.next_due) if check else None,
        status.reality_check_due,
    )


Choice = TypeVar("Choice", LimitKind, LimitPeriod, TimeoutPeriod, SelfExclusionPeriod)


def _choice(kind: type[Choice], value: str, field: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidField(field, f"{field} is one of {allowed}") from None


def _currency(currencies: CurrencyRegistry, code: str, field: str) -> Currency:
    try:
        return currencies.get(code.upper())
    except DomainError as error:
        raise InvalidField(field, error.message) from None


def _money(currencies: CurrencyRegistry, amount: int, currency: str, field: str) -> Money:
    unit = _currency(currencies, currency, field)
    try:
        return Money(amount, unit)
    except DomainError as error:
        raise InvalidField(field, error.message) from None


def _change(change: LimitChange) -> LimitChangeView:
    return LimitChangeView(change.applied, change.confirmable_at)


# -- routes ----------------------------------------------------------------------------------


class MiniAppSessionController(Controller):
    path = "/api/v1/app/session"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/", status_code=201, summary="Open a player session from Telegram's initData")
    @inject
    async def open_session(
        self, data: JSONBody[SessionBody], open_session: FromDishka[OpenMiniAppSession]
    ) -> SessionView:
        session = await open_session(data.init_data)
        onboarded = session.onboarded
        return SessionView(
            token=session.token,
            expires_at=session.expires_at,
            player_id=onboarded.player.id,
            language=onboarded.preferences.language,
            terms_accepted=onboarded.preferences.terms_accepted,
            new_player=onboarded.created,
        )


class MiniAppController(Controller):
    path = "/api/v1/app"
    tags = ["mini app"]  # noqa: RUF012
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get("/me", summary="The player and their balances")
    @inject
    async def me(self, player_id: NamedDependency[int], get_me: FromDishka[GetMe]) -> MeView:
        me = await get_me(player_id)
        return MeView(
            player_id=me.player.id,
            telegram_user_id=me.player.telegram_user_id,
            username=me.player.username,
            language=me.preferences.language,
            terms_accepted=me.preferences.terms_accepted,
            balances=[_amount(b) for b in me.balances],
        )

    @get("/balances", summary="The player's balances")
    @inject
    async def balances(
        self, player_id: NamedDependency[int], balances: FromDishka[GetBalances]
    ) -> BalancesView:
        return BalancesView([_amount(b) for b in await balances(player_id)])

    @post("/terms", status_code=200, summary="Confirm 18+ and accept the terms")
    @inject
    async def accept_terms(
        self, player_id: NamedDependency[int], accept: FromDishka[AcceptTerms]
    ) -> None:
        await accept(player_id)

    @post("/play", status_code=200, summary="Play a provably fair game; settled at once")
    @inject
    async def play(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[PlayBody],
        place: FromDishka[BetQueue],
        currencies: FromDishka[CurrencyRegistry],
    ) -> PlayView:
        stake = _money(currencies, data.stake, data.currency, "stake")
        # This page plays provably fair games only: Telegram's dice are thrown by the bot in
        # the player's chat. The use case refuses the others, and whatever the player's
        # standing refuses (blocked, the 18+ and terms not confirmed, an exclusion, a limit).
        command = PlaceBetCommand(
            player_id,
            data.request_id,
            data.game.strip().lower(),
            stake,
            data.params,
            instant_only=True,
        )
        with placing(data.request_id, "http", "play"):
            receipt: BetReceipt = await place(command)
        return PlayView(bet_view(receipt.bet), _amount(receipt.balance), receipt.replayed)

    @get("/bets", summary="The player's latest bets, newest first")
    @inject
    async def bets(
        self,
        player_id: NamedDependency[int],
        recent: FromDishka[RecentBets],
        page: Annotated[int, QueryParameter(ge=1, le=100)] = 1,
        size: Annotated[int, QueryParameter(ge=1, le=100)] = 10,
    ) -> BetsView:
        found = await recent(player_id, page=page, size=size)
        return BetsView([bet_view(b) for b in found.bets], found.has_more)

    @get("/history", summary="The player's wallet movements, newest first")
    @inject
    async def history(
        self,
        player_id: NamedDependency[int],
        history: FromDishka[ListHistory],
        cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> HistoryView:
        found = await history(player_id, cursor=cursor, limit=limit)
        movements = [
            MovementView(
                e.transaction_id, e.kind.value, _amount(e.amount), e.balance_after, e.created_at
            )
            for e in found.entries
        ]
        return HistoryView(movements, found.next_cursor)

    @get("/fairness", summary="The active seed commitment")
    @inject
    async def fairness(
        self, player_id: NamedDependency[int], seeds: FromDishka[GetSeedPair]
    ) -> SeedView:
        return _seed(await seeds(player_id))

    @post(
        "/fairness/rotate",
        status_code=200,
        summary="Reveal the server seed and commit a new one (optionally with a client seed)",
    )
    @inject
    async def rotate(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[RotationBody],
        rotate: FromDishka[RotateSeedPair],
    ) -> RotationView:
        rotation = await rotate(player_id, data.client_seed)
        revealed = rotation.revealed
        return RotationView(
            revealed.revealed_seed() if revealed else None,
            revealed.id if revealed else None,
            _seed(rotation.active),
        )

    @get("/limits", summary="Limits, exclusion and reality check")
    @inject
    async def care(
        self, player_id: NamedDependency[int], status: FromDishka[GetResponsibleStatus]
    ) -> CareView:
        return care_view(await status(player_id))

    @put("/limits/{kind:str}/{period:str}", summary="Set a limit (raises wait 24 h)")
    @inject
    async def set_limit(
        self,
        player_id: NamedDependency[int],
        kind: FromPath[str],
        period: FromPath[str],
        data: JSONBody[LimitBody],
        set_limit: FromDishka[SetLimit],
        currencies: FromDishka[CurrencyRegistry],
    ) -> LimitChangeView:
        amount = _money(currencies, data.amount, data.currency, "amount")
        return _change(
            await set_limit(
                player_id,
                _choice(LimitKind, kind, "kind"),
                _choice(LimitPeriod, period, "period"),
                amount,
            )
        )

    @delete(
        "/limits/{kind:str}/{period:str}",
        status_code=200,
        summary="Remove a limit (after the 24 h cooling-off and a confirmation)",
    )
    @inject
    async def remove_limit(
        self,
        player_id: NamedDependency[int],
        kind: FromPath[str],
        period: FromPath[str],
        remove: FromDishka[RemoveLimit],
        currencies: FromDishka[CurrencyRegistry],
        currency: Annotated[str, QueryParameter(max_length=10)] = "XTR",
    ) -> LimitChangeView:
        return _change(
            await remove(
                player_id,
                _choice(LimitKind, kind, "kind"),
                _choice(LimitPeriod, period, "period"),
                _currency(currencies, currency, "currency"),
            )
        )

    @post(
        "/limits/{kind:str}/{period:str}/confirm",
        status_code=200,
        summary="Confirm a raise or removal once its cooling-off is over",
    )
    @inject
    async def confirm_limit(
        self,
        player_id: NamedDependency[int],
        kind: FromPath[str],
        period: FromPath[str],
        confirm: FromDishka[ConfirmLimitIncrease],
        currencies: FromDishka[CurrencyRegistry],
        currency: Annotated[str, QueryParameter(max_length=10)] = "XTR",
    ) -> LimitChangeView:
        await confirm(
            player_id,
            _choice(LimitKind, kind, "kind"),
            _choice(LimitPeriod, period, "period"),
            _currency(currencies, currency, "currency"),
        )
        return LimitChangeView(applied=True, confirmable_at=None)

    @post("/timeout", status_code=200, summary="Take a time-out at once (cannot be undone)")
    @inject
    async def timeout(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[PeriodBody],
        start: FromDishka[StartTimeout],
    ) -> ExclusionView:
        exclusion = await start(player_id, _choice(TimeoutPeriod, data.period, "period"))
        return ExclusionView(exclusion.kind.value, exclusion.until)

    @post("/self-exclusion", status_code=200, summary="Exclude yourself at once (cannot be undone)")
    @inject
    async def self_exclusion(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[PeriodBody],
        exclude: FromDishka[SelfExclude],
    ) -> ExclusionView:
        exclusion = await exclude(player_id, _choice(SelfExclusionPeriod, data.period, "period"))
        return ExclusionView(exclusion.kind.value, exclusion.until)

    @put("/reality-check", summary="Set the reality check interval (minutes) or null for off")
    @inject
    async def set_reality_check(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[RealityCheckBody],
        set_check: FromDishka[SetRealityCheck],
    ) -> RealityCheckView | None:
        check = await set_check(player_id, data.minutes)
        return RealityCheckView(check.minutes, check.next_due) if check else None

    @post("/reality-check/ack", status_code=200, summary="Acknowledge a due reality check")
    @inject
    async def acknowledge(
        self, player_id: NamedDependency[int], ack: FromDishka[AcknowledgeRealityCheck]
    ) -> RealityCheckView:
        check = await ack(player_id)
        return RealityCheckView(check.minutes, check.next_due)
