"""Admin API, bets: search, and one bet with its fairness data and a recomputation of its
outcome once the seed pair is revealed. Any staff role may read."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.params import FromPath, FromQuery, QueryParameter

from application.betting.queries import BetInspection, BetQuery, BetSummary, InspectBet, SearchBets
from application.ledger_queries import DEFAULT_PAGE_SIZE
from domain.bets import Bet
from domain.games.catalog import game_by_code
from entrypoints.http.auth import ANY_STAFF, SECURITY


def decimal_text(value: Fraction | None) -> str | None:
    """An exact decimal string ("1.98", "0.01"); multipliers and house edges are finite."""
    if value is None:
        return None
    return format((Decimal(value.numerator) / Decimal(value.denominator)).normalize(), "f")


class BetSummaryWire(msgspec.Struct):
    id: uuid.UUID
    player_id: int
    game: str
    params: dict[str, str]
    currency: str
    stake: int  # minor units
    state: str
    outcome: int | None
    multiplier: str | None
    payout: int | None
    placed_at: datetime
    settled_at: datetime | None


class BetPageWire(msgspec.Struct):
    bets: list[BetSummaryWire]
    next_cursor: str | None


class DiceWire(msgspec.Struct):
    chat_id: int
    message_id: int


class FairnessWire(msgspec.Struct):
    seed_pair_id: int
    nonce: int
    server_seed_hash: str
    client_seed: str
    revealed: bool
    server_seed: str | None  # only once the pair is revealed


class VerificationWire(msgspec.Struct):
    # "verified", "mismatch", "not_revealed" (the seed pair is still active) or
    # "not_applicable" (a Telegram dice bet, settled by Telegram's dice, not by seeds)
    status: str
    detail: str
    matches: bool | None = None
    outcome: int | None = None
    result: str | None = None
    multiplier: str | None = None
    payout: int | None = None


class BetWire(msgspec.Struct):
    id: uuid.UUID
    player_id: int
    game: str
    params: dict[str, str]
    currency: str
    stake: int
    house_edge: str
    max_payout: int
    state: str
    placed_at: datetime
    placed_transaction_id: uuid.UUID
    outcome: int | None
    result: str | None
    multiplier: str | None
    payout: int | None
    settled_at: datetime | None
    settlement_transaction_id: uuid.UUID | None
    void_reason: str | None
    dice: DiceWire | None
    fairness: FairnessWire | None
    verification: VerificationWire


def summary_wire(bet: BetSummary) -> BetSummaryWire:
    return BetSummaryWire(
        bet.id,
        bet.player_id,
        bet.game,
        dict(bet.params),
        bet.currency,
        bet.stake,
        bet.state.value,
        bet.outcome,
        decimal_text(bet.multiplier),
        bet.payout,
        bet.placed_at,
        bet.settled_at,
    )


def _verification(found: BetInspection) -> VerificationWire:
    if not found.provably_fair:
        return VerificationWire(
            "not_applicable", "settled by the Telegram dice the bot sent, not by seeds"
        )
    if not found.revealed:
        return VerificationWire(
            "not_revealed",
            "the seed pair is still active; its server seed stays secret until the player "
            "rotates it",
        )
    check = found.recomputation
    if check is None:  # pragma: no cover - seeded bets settle as they are placed
        return VerificationWire("not_applicable", "the bet has no outcome to recompute")
    return VerificationWire(
        "verified" if check.matches else "mismatch",
        "recomputed from the revealed server seed, the client seed and the nonce"
        + ("" if check.matches else "; the result differs from what the bet was settled with"),
        check.matches,
        check.outcome,
        check.description,
        decimal_text(check.multiplier),
        check.payout,
    )


def bet_wire(found: BetInspection) -> BetWire:
    bet: Bet = found.bet
    fairness = None
    if bet.fairness is not None:
        check = found.recomputation
        fairness = FairnessWire(
            bet.fairness.seed_pair_id,
            bet.fairness.nonce,
            bet.fairness.server_seed_hash,
            bet.fairness.client_seed,
            found.revealed,
            check.server_seed if found.revealed and check is not None else None,
        )
    dice = None if bet.dice is None else DiceWire(bet.dice.chat_id, bet.dice.message_id)
    result = (
        None
        if bet.outcome is None
        else game_by_code(bet.game).describe_bet(bet.selection, bet.outcome)
    )
    return BetWire(
        id=bet.id,
        player_id=bet.player_id,
        game=bet.game,
        params=dict(bet.params),
        currency=bet.stake.currency.code,
        stake=bet.stake.amount,
        house_edge=decimal_text(bet.house_edge) or "0",
        max_payout=bet.max_payout,
        state=bet.state.value,
        placed_at=bet.placed_at,
        placed_transaction_id=bet.placed_transaction_id,
        outcome=bet.outcome,
        result=result,
        multiplier=decimal_text(bet.multiplier),
        payout=bet.payout,
        settled_at=bet.settled_at,
        settlement_transaction_id=bet.settlement_transaction_id,
        void_reason=bet.void_reason,
        dice=dice,
        fairness=fairness,
        verification=_verification(found),
    )


class BetsController(Controller):
    path = "/api/v1/bets"
    tags = ["bets"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY

    @get("/", summary="Bets by player, game, state and placement time, newest first")
    @inject
    async def search(
        self,
        search: FromDishka[SearchBets],
        player_id: FromQuery[int | None] = None,
        game: FromQuery[str | None] = None,
        bet_state: Annotated[str | None, QueryParameter(name="state")] = None,
        since: Annotated[
            datetime | None, QueryParameter(name="from", description="at or after (ISO 8601)")
        ] = None,
        until: Annotated[
            datetime | None, QueryParameter(name="to", description="strictly before (ISO 8601)")
        ] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int] = DEFAULT_PAGE_SIZE,
    ) -> BetPageWire:
        query = BetQuery(player_id, game, bet_state, since, until, cursor, limit)
        page = await search(query)
        return BetPageWire([summary_wire(b) for b in page.bets], page.next_cursor)

    @get(
        "/{bet_id:uuid}",
        summary="One bet with its fairness data and, once revealed, a recomputed outcome",
    )
    @inject
    async def one(self, bet_id: FromPath[uuid.UUID], inspect: FromDishka[InspectBet]) -> BetWire:
        return bet_wire(await inspect(bet_id))
