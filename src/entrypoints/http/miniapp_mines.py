"""The Mini App's mines routes (issue 21): the contract the mines screen is built against.

    POST /api/v1/app/mines                      {stake, currency="XTR", mines, request_id}
    GET  /api/v1/app/mines?currency=XTR         the open game (404 problem when none)
    POST /api/v1/app/mines/{game_id}/reveal     {tile: 0-24, request_id}
    POST /api/v1/app/mines/{game_id}/cashout    {request_id}
    POST /api/v1/app/mines/{game_id}/void       {request_id}   the stake back, before any tile

Each answers a `MinesView`. Opening places the game's bet through `PlaceBet` (every rule of a
bet); a repeated request answers the game as it stands (the same `request_id` opens nothing
new, a revealed tile pressed again changes nothing, a second cash-out or void answers the
first).

A player blocked while a game is open keeps these routes but the opening (whose session
guard refuses them): reading the game, cashing out and voiding are always allowed, and a
reveal is refused by its use case with the standing's reason (403 `player_blocked`, or 409
`responsible_gambling` for a timeout or self-exclusion), so the screen shows why and
offers the cash-out, or, before the first tile, the stake back."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

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
from domain.games.base import format_multiplier
from domain.money import CurrencyRegistry
from entrypoints.http.miniapp import (
    PLAYER_SECURITY,
    player_session,
    provide_player_id,
    settling_player_of,
)
from entrypoints.http.miniapp_wire import Amount, amount_view, parse_currency, parse_money


class OpenMinesBody(msgspec.Struct, forbid_unknown_fields=True):
    stake: int  # minor units
    mines: int  # 1-24
    request_id: uuid.UUID  # the game's id: a retried request opens nothing new
    currency: str = "XTR"


class RevealBody(msgspec.Struct, forbid_unknown_fields=True):
    tile: int  # 0-24, row * 5 + column
    request_id: uuid.UUID


class CashOutBody(msgspec.Struct, forbid_unknown_fields=True):
    """A cash-out's or a void's body: each is idempotent by itself, the id is for the logs."""

    request_id: uuid.UUID


class MinesGameView(msgspec.Struct):
    id: uuid.UUID
    state: str  # "open" | "busted" | "cashed_out" | "voided" (the stake returned)
    stake: Amount
    mines: int
    revealed: list[int]  # in the order pressed; when busted, the last is the mine
    multiplier: str  # exact decimal; "1" before any tile, "0" busted, the one paid once out
    # After one more safe tile; null once over, and null in an open game when that tile
    # would pay over max_payout: a reveal is then refused (409), cashing out is the move.
    next_multiplier: str | None
    payout: int | None  # once over (voided: the stake returned)
    mine_positions: list[int] | None  # once over, ascending
    balance: Amount
    max_payout: Amount  # the most this game can pay (its stake within the game's limit)


def mines_view(view: MinesView) -> MinesGameView:
    return MinesGameView(
        id=view.id,
        state=view.state.value,
        stake=amount_view(view.stake),
        mines=view.mines,
        revealed=list(view.revealed),
        multiplier=format_multiplier(view.multiplier),
        next_multiplier=(
            None if view.next_multiplier is None else format_multiplier(view.next_multiplier)
        ),
        payout=view.payout,
        mine_positions=None if view.mine_positions is None else list(view.mine_positions),
        balance=amount_view(view.balance),
        max_payout=amount_view(view.max_payout),
    )


class MiniAppMinesController(Controller):
    path = "/api/v1/app/mines"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    dependencies = {"player_id": Provide(settling_player_of)}  # noqa: RUF012

    @post(
        "/",
        guards=[player_session],
        dependencies={"player_id": Provide(provide_player_id)},
        status_code=200,
        summary="Open a mines game: its stake is a bet, held until the game ends",
        description="One open game per player and currency (409 while one is open). "
        "Idempotent on `request_id`, which becomes the game's id.",
    )
    @inject
    async def open_game(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[OpenMinesBody],
        open_mines: FromDishka[OpenMines],
        currencies: FromDishka[CurrencyRegistry],
    ) -> MinesGameView:
        stake = parse_money(currencies, data.stake, data.currency, "stake")
        command = OpenMinesCommand(player_id, data.request_id, stake, data.mines)
        return mines_view(await open_mines(command))

    @get("/", summary="The player's open mines game in a currency (404 when none)")
    @inject
    async def open_game_now(
        self,
        player_id: NamedDependency[int],
        get_mines: FromDishka[GetMines],
        currencies: FromDishka[CurrencyRegistry],
        currency: Annotated[str, QueryParameter(max_length=16)] = "XTR",
    ) -> MinesGameView:
        code = parse_currency(currencies, currency, "currency").code
        return mines_view(await get_mines(player_id, currency=code))

    @post(
        "/{game_id:uuid}/reveal",
        status_code=200,
        summary="Reveal a tile; a mine ends the game, the last safe tile cashes out",
        description="Pressing a tile already revealed answers the game as it stands. A new "
        "tile whose safety would pay over the game's `max_payout` is refused (409, "
        "`limit_exceeded`): the game stays open, to be cashed out. A new tile follows the "
        "player's standing as a bet does (403 `player_blocked` or `terms_not_accepted`, 409 "
        "`responsible_gambling` for a timeout or self-exclusion); the game stays open, to "
        "be cashed out.",
    )
    @inject
    async def reveal(
        self,
        player_id: NamedDependency[int],
        game_id: FromPath[uuid.UUID],
        data: JSONBody[RevealBody],
        reveal: FromDishka[RevealTile],
    ) -> MinesGameView:
        command = RevealTileCommand(player_id, game_id, data.tile, data.request_id)
        return mines_view(await reveal(command))

    @post(
        "/{game_id:uuid}/cashout",
        status_code=200,
        summary="Cash out after at least one safe tile",
        description="A repeat answers the first cash-out. Allowed whatever the player's "
        "standing (a blocked player's session still reaches it): the stake was taken when "
        "the game opened.",
    )
    @inject
    async def cash_out(
        self,
        player_id: NamedDependency[int],
        game_id: FromPath[uuid.UUID],
        data: JSONBody[CashOutBody],
        cash_out: FromDishka[CashOutMines],
    ) -> MinesGameView:
        return mines_view(await cash_out(CashOutMinesCommand(player_id, game_id, data.request_id)))

    @post(
        "/{game_id:uuid}/void",
        status_code=200,
        summary="Take the stake back before the first tile: the game ends voided",
        description="Only while no tile is revealed (409 `illegal_transition` after one, or "
        "once the game is over); the stake goes back to the wallet and `payout` is the stake. "
        "A repeat answers the first void. Allowed whatever the player's standing, like the "
        "cash-out: a player timed out, self-excluded or blocked after opening takes the "
        "stake back.",
    )
    @inject
    async def void(
        self,
        player_id: NamedDependency[int],
        game_id: FromPath[uuid.UUID],
        data: JSONBody[CashOutBody],
        void: FromDishka[VoidMines],
    ) -> MinesGameView:
        return mines_view(await void(VoidMinesCommand(player_id, game_id, data.request_id)))
