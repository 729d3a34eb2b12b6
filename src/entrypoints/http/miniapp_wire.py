"""The Mini App API's wire formats: the request bodies, the views it answers with, and the
decoding of the few values a route takes as text (a currency, a limit's kind or period)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeVar

import msgspec

from application.responsible import (
    LimitChange,
    ResponsibleStatus,
)
from domain.bets import Bet
from domain.errors import DomainError, InvalidField
from domain.games.base import format_multiplier
from domain.money import Currency, CurrencyRegistry, Money
from domain.responsible import LimitKind, LimitPeriod, SelfExclusionPeriod, TimeoutPeriod
from domain.seeds import SeedCommitment


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


class TermsView(msgspec.Struct):
    """The answer to accepting the 18+ gate and the terms: when they were first accepted (by
    any road; RFC 3339, UTC) and whether this call changed nothing."""

    terms_accepted: bool
    terms_accepted_at: datetime
    replayed: bool


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


def amount_view(money: Money) -> Amount:
    return Amount(money.amount, money.currency.code)


def bet_view(bet: Bet) -> BetView:
    proof = bet.fairness
    return BetView(
        id=bet.id,
        game=bet.game,
        params=dict(bet.params),
        stake=amount_view(bet.stake),
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


def seed_view(commitment: SeedCommitment) -> SeedView:
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
            limit=amount_view(s.limit.amount),
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


def parse_choice(kind: type[Choice], value: str, field: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidField(field, f"{field} is one of {allowed}") from None


def parse_currency(currencies: CurrencyRegistry, code: str, field: str) -> Currency:
    try:
        return currencies.get(code.upper())
    except DomainError as error:
        raise InvalidField(field, error.message) from None


def parse_money(currencies: CurrencyRegistry, amount: int, currency: str, field: str) -> Money:
    unit = parse_currency(currencies, currency, field)
    try:
        return Money(amount, unit)
    except DomainError as error:
        raise InvalidField(field, error.message) from None


def change_view(change: LimitChange) -> LimitChangeView:
    return LimitChangeView(change.applied, change.confirmable_at)
