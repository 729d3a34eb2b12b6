"""The Mini App's crash routes: the round now (with the player's seat), a bet on the round
taking bets, a cash-out. Live changes come over the live WebSocket (`entrypoints/http/live.py`,
`{"type": "crash.*"}` messages); the contract for the screen is docs/miniapp.md, "Crash"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.betting import BetReceipt
from application.crash import (
    CashOutCommand,
    CashOutRoundBet,
    GetRound,
    PlaceRoundBet,
    PlaceRoundBetCommand,
    RoundEvent,
)
from domain.crash import GROWTH_PER_MS, MAX_MULTIPLIER
from domain.crash_rounds import CrashChain, CrashRound, CrashSeat
from domain.games.base import format_hundredths
from domain.money import CurrencyRegistry
from entrypoints.http.miniapp import (
    PLAYER_SECURITY,
    player_session,
    provide_player_id,
    settling_player_of,
)
from entrypoints.http.miniapp_wire import Amount, BetView, amount_view, bet_view, parse_money
from entrypoints.observability.bets import placing


class CrashRoundView(msgspec.Struct):
    round_id: int
    number: int  # the round's place in its chain
    phase: str  # betting | running | crashed
    betting_ends_at: datetime
    started_at: datetime | None
    crashed_at: datetime | None
    crash_point: str | None  # "2.37", once crashed
    round_hash: str | None  # once crashed
    chain_end: str
    salt: str | None
    # The curve, so the screen draws the multiplier itself: floor(100·e^(growth·ms))/100.
    growth_per_ms: float = GROWTH_PER_MS
    max_multiplier: str = format_hundredths(MAX_MULTIPLIER)
    # The server's time as this view is written: the screen draws the countdown and the
    # multiplier on the server's clock (its offset from the phone's), not on the phone's,
    # which may be seconds off. `started_at` is PostgreSQL's clock, which the servers share.
    server_time: datetime = msgspec.field(default_factory=lambda: datetime.now(UTC))


class SeatView(msgspec.Struct):
    bet_id: uuid.UUID
    currency: str
    auto_cash_out: str | None
    cashed_out_at: str | None


class CrashView(msgspec.Struct):
    round: CrashRoundView
    my_bets: list[SeatView]


class CrashBetBody(msgspec.Struct, forbid_unknown_fields=True):
    stake: int  # minor units
    request_id: uuid.UUID  # one per press: the bet's id
    currency: str = "XTR"
    auto_cash_out: str | None = None  # "2.00"; none: cash out by hand


class CashOutBody(msgspec.Struct, forbid_unknown_fields=True):
    bet_id: uuid.UUID


class CrashBetView(msgspec.Struct):
    bet: BetView
    balance: Amount
    replayed: bool
    round: CrashRoundView
    cashed_out_at: str | None = None


def round_view(round_: CrashRound, chain: CrashChain) -> CrashRoundView:
    return CrashRoundView(
        round_id=round_.id,
        number=round_.number,
        phase=round_.phase.value,
        betting_ends_at=round_.betting_ends_at,
        started_at=round_.started_at,
        crashed_at=round_.crashed_at,
        crash_point=None if round_.crash_point is None else format_hundredths(round_.crash_point),
        round_hash=round_.round_hash,
        chain_end=chain.end_hash,
        salt=chain.salt,
    )


async def bet_answer(
    receipt: BetReceipt, round_: CrashRound, get: GetRound, cashed_out_at: str | None = None
) -> CrashBetView:
    """A bet's answer (placed or cashed out) with its round and the round's chain."""
    chain = (await get(round_.id)).chain
    return CrashBetView(
        bet_view(receipt.bet),
        amount_view(receipt.balance),
        receipt.replayed,
        round_view(round_, chain),
        cashed_out_at,
    )


def seat_view(seat: CrashSeat) -> SeatView:
    return SeatView(
        bet_id=seat.bet_id,
        currency=seat.currency,
        auto_cash_out=None if seat.target is None else format_hundredths(seat.target),
        cashed_out_at=None
        if seat.cash_out is None
        else format_hundredths(seat.cash_out.multiplier),
    )


def live_message(event: RoundEvent, *, viewer: int) -> str:
    """A round event as the live WebSocket sends it: `{"type": "crash.<kind>", "round": …}`,
    with `bet_id`, `multiplier` and `mine` (whether the viewer's) on a cash-out. Other players'
    ids are not sent."""
    body: dict[str, object] = {
        "type": f"crash.{event.kind.value}",
        "round": round_view(event.round, event.chain),
    }
    seat = event.seat
    if seat is not None and seat.cash_out is not None:
        body |= {
            "bet_id": str(seat.bet_id),
            "multiplier": format_hundredths(seat.cash_out.multiplier),
            "mine": seat.player_id == viewer,
        }
    return msgspec.json.encode(body).decode()


class MiniAppCrashController(Controller):
    path = "/api/v1/app/crash"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get("/", summary="The crash round now, and the player's bets on it")
    @inject
    async def current(
        self, player_id: NamedDependency[int], get: FromDishka[GetRound]
    ) -> CrashView:
        view = await get(None, player_id=player_id)
        return CrashView(round_view(view.round, view.chain), [seat_view(s) for s in view.seats])

    @post("/bets", status_code=200, summary="Bet on the crash round taking bets")
    @inject
    async def bet(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[CrashBetBody],
        place: FromDishka[PlaceRoundBet],
        get: FromDishka[GetRound],
        currencies: FromDishka[CurrencyRegistry],
    ) -> CrashBetView:
        stake = parse_money(currencies, data.stake, data.currency, "stake")
        target = (data.auto_cash_out or "").strip()
        command = PlaceRoundBetCommand(
            player_id, data.request_id, stake, {"target": target} if target else {}
        )
        with placing(data.request_id, "http", "crash bet"):
            placed = await place(command)
        return await bet_answer(placed.receipt, placed.round, get)


class MiniAppCrashCashOutController(Controller):
    path = "/api/v1/app/crash/cashout"
    tags = ["mini app"]  # noqa: RUF012
    security = PLAYER_SECURITY
    dependencies = {"player_id": Provide(settling_player_of)}  # noqa: RUF012

    @post("/", status_code=200, summary="Cash a crash bet out now; paid at once")
    @inject
    async def cash_out(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[CashOutBody],
        cash_out: FromDishka[CashOutRoundBet],
        get: FromDishka[GetRound],
    ) -> CrashBetView:
        done = await cash_out(CashOutCommand(player_id, data.bet_id))
        return await bet_answer(done.receipt, done.round, get, format_hundredths(done.multiplier))
