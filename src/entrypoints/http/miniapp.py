"""The player API behind the Telegram Mini App: the same use cases the bot calls, reached with
a session opened from Telegram-signed `initData`.

One controller is the player's whole API (session, wallet, play, history, fairness, limits and
breaks), so the routes a Mini App screen calls read side by side; its wire structs are in
`miniapp_wire`. Its doors are in the door x rule matrix like every other."""

from __future__ import annotations

from typing import Annotated, Any

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
from application.game_admin import ListGames
from application.history import ListHistory, RecentBets
from application.miniapp import GetMe, OpenMiniAppSession, ReadPlayerSession
from application.onboarding import AcceptTerms
from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    RemoveLimit,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from application.seeds import GetSeedPair, RotateSeedPair
from domain.errors import Unauthenticated
from domain.money import CurrencyRegistry
from domain.responsible import LimitKind, LimitPeriod, SelfExclusionPeriod, TimeoutPeriod
from entrypoints.http.miniapp_games import GamesView, games_view
from entrypoints.http.miniapp_wire import (
    BalancesView,
    BetsView,
    CareView,
    ExclusionView,
    HistoryView,
    LimitBody,
    LimitChangeView,
    MeView,
    MovementView,
    PeriodBody,
    PlayBody,
    PlayView,
    RealityCheckBody,
    RealityCheckView,
    RotationBody,
    RotationView,
    SeedView,
    SessionBody,
    SessionView,
    TermsView,
    amount_view,
    bet_view,
    care_view,
    change_view,
    parse_choice,
    parse_currency,
    parse_money,
    seed_view,
)
from entrypoints.observability.bets import placing

PLAYER_SECURITY: list[dict[str, list[str]]] = [{"bearer": []}]


async def player_session(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: a valid player session token in `Authorization: Bearer`."""
    await player_of(connection)


async def player_of(
    connection: ASGIConnection[Any, Any, Any, Any], *, settling: bool = False
) -> int:
    key = "settling_player_id" if settling else "player_id"
    cached = connection.state.get(key)
    if isinstance(cached, int):
        return cached
    header = connection.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthenticated("open a session with POST /api/v1/app/session first")
    container: AsyncContainer = connection.app.state.dishka_container
    read = await container.get(ReadPlayerSession)
    player_id = await read(header[7:].strip(), settling=settling)
    connection.state[key] = player_id
    return player_id


async def provide_player_id(request: Request[Any, Any, Any]) -> int:
    return await player_of(request)


async def settling_player_of(request: Request[Any, Any, Any]) -> int:
    """The session's player, blocked or not, for the routes that finish what a bet already
    placed started: a crash or mines cash-out (which a block does not stop: domain.standing,
    SETTLE), and a mines game's reads and reveals, whose use case asks the standing itself (a
    reveal refuses a blocked player with its own reason, so the screen can still offer the
    cash-out). Every other Mini App route refuses a blocked player."""
    return await player_of(request, settling=True)


# -- wire formats ----------------------------------------------------------------------------


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
            balances=[amount_view(b) for b in me.balances],
        )

    @get("/balances", summary="The player's balances")
    @inject
    async def balances(
        self, player_id: NamedDependency[int], balances: FromDishka[GetBalances]
    ) -> BalancesView:
        return BalancesView([amount_view(b) for b in await balances(player_id)])

    @post(
        "/terms",
        status_code=200,
        summary="Confirm 18+ and accept the terms",
        description="Idempotent: a repeat keeps the first acceptance's time and answers "
        "`replayed: true`.",
    )
    @inject
    async def accept_terms(
        self, player_id: NamedDependency[int], accept: FromDishka[AcceptTerms]
    ) -> TermsView:
        accepted = await accept(player_id)
        return TermsView(True, accepted.at, accepted.replayed)

    @get(
        "/games",
        summary="The games on offer here, their limits per currency and their parameters",
        description="Enabled provably fair games only, in the lobby's order; `kind` says how "
        "each is played (`instant`: `POST /play`; `steps`: its own routes).",
    )
    @inject
    async def games(self, games: FromDishka[ListGames]) -> GamesView:
        return games_view(await games())

    @post("/play", status_code=200, summary="Play a provably fair game; settled at once")
    @inject
    async def play(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[PlayBody],
        place: FromDishka[BetQueue],
        currencies: FromDishka[CurrencyRegistry],
    ) -> PlayView:
        stake = parse_money(currencies, data.stake, data.currency, "stake")
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
        return PlayView(bet_view(receipt.bet), amount_view(receipt.balance), receipt.replayed)

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
                e.transaction_id, e.kind.value, amount_view(e.amount), e.balance_after, e.created_at
            )
            for e in found.entries
        ]
        return HistoryView(movements, found.next_cursor)

    @get("/fairness", summary="The active seed commitment")
    @inject
    async def fairness(
        self, player_id: NamedDependency[int], seeds: FromDishka[GetSeedPair]
    ) -> SeedView:
        return seed_view(await seeds(player_id))

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
            seed_view(rotation.active),
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
        amount = parse_money(currencies, data.amount, data.currency, "amount")
        return change_view(
            await set_limit(
                player_id,
                parse_choice(LimitKind, kind, "kind"),
                parse_choice(LimitPeriod, period, "period"),
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
        return change_view(
            await remove(
                player_id,
                parse_choice(LimitKind, kind, "kind"),
                parse_choice(LimitPeriod, period, "period"),
                parse_currency(currencies, currency, "currency"),
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
            parse_choice(LimitKind, kind, "kind"),
            parse_choice(LimitPeriod, period, "period"),
            parse_currency(currencies, currency, "currency"),
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
        exclusion = await start(player_id, parse_choice(TimeoutPeriod, data.period, "period"))
        return ExclusionView(exclusion.kind.value, exclusion.until)

    @post("/self-exclusion", status_code=200, summary="Exclude yourself at once (cannot be undone)")
    @inject
    async def self_exclusion(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[PeriodBody],
        exclude: FromDishka[SelfExclude],
    ) -> ExclusionView:
        exclusion = await exclude(
            player_id, parse_choice(SelfExclusionPeriod, data.period, "period")
        )
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
