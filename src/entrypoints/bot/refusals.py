"""A refused operation in the player's words: one wording for each kind of refusal, whichever
handler met it (the error handler, the pre-checkout answer, a handler catching its own).

Each `DomainError` class is decided here: either it has a text of its own (keyed by the class
and, where it has one, its rule), naming the player's own numbers, or a player cannot meet it
in the bot (staff and operator errors, the books' own invariants) and it gets the generic
apology. An error's `message` is the other doors' English and never reaches a player: a
class nobody decided falls back to the apology too (tests/entrypoints/test_bot_words.py
fails on it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

from application.duels.errors import DuelistUnknown, OpponentUnavailable
from application.history import BeyondRecentBets
from domain.access import KeyNotAllowed, NoServiceKey
from domain.aggregator_games import AggregatorUnavailable
from domain.bonuses import (
    BonusActive,
    BonusBlocksWithdrawal,
    IllegalBonusTransition,
    WageringIncomplete,
)
from domain.campaigns import CampaignRefused, UnknownPromoCode
from domain.crash_rounds import CrashRefusal
from domain.crypto_pay import (
    CryptoDepositUnavailable,
    CryptoProviderDown,
    InvoiceBeingCreated,
)
from domain.duel_lobbies import AlreadySeated, NotSeated, NotTheOpener, OpenerStays, TooFewPlayers
from domain.duels import NotYourDuel
from domain.errors import (
    CurrencyMismatch,
    DomainError,
    Forbidden,
    GameUnavailable,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidAmount,
    InvalidField,
    InvalidRequest,
    InvalidTransaction,
    LimitExceeded,
    NotFound,
    NotRevealed,
    Overloaded,
    RateLimited,
    StorageUnavailable,
    Unauthenticated,
    UnbalancedTransaction,
    UnknownCurrency,
)
from domain.fairness import InvalidClientSeed
from domain.free_bets import FreeBetUnavailable
from domain.game_sessions import InvalidSessionToken, SessionTokenExpired
from domain.games.base import format_hundredths
from domain.kept_answers import RequestReused
from domain.mines import OverPayoutLimit
from domain.payments import InvoiceLinkUnavailable, PaymentMismatch, RefundPending, RefundRefused
from domain.promotions import BudgetExhausted
from domain.rakeback import NothingToClaim
from domain.responsible import DepositLimitPromptDue, LimitTooLarge, ResponsibleGamblingRefusal
from domain.seamless import DebitCalledOff, RoundClosed, UncoveredCredit
from domain.standing import PlayerBlocked, StandingRefusal, TermsNotAccepted, WithdrawalFrozen
from domain.velocity import VelocityLimit, VelocityLimited, VelocityUnavailable
from domain.withdrawals import IllegalWithdrawalTransition, WithdrawalRefused
from entrypoints.bot.handlers import responsible, withdrawals
from entrypoints.bot.i18n import Translator

Wording = Callable[[Translator, Any], str]

# A player cannot meet these in the bot (staff sign-in and roles, refunds staff issue, the
# books' own invariants, a lost database connection): the apology, never their message.
NOT_FOR_PLAYERS: Final[frozenset[type[DomainError]]] = frozenset(
    {
        DomainError,
        CurrencyMismatch,
        UnknownCurrency,
        UnbalancedTransaction,
        InvalidTransaction,
        Unauthenticated,
        Forbidden,
        KeyNotAllowed,
        NoServiceKey,
        # The seamless wallet's and the aggregators' (game providers call them, not players).
        DebitCalledOff,
        UncoveredCredit,
        RoundClosed,
        RequestReused,
        InvalidSessionToken,
        SessionTokenExpired,
        # The game launch is the Mini App's only (the bot offers no aggregator games).
        AggregatorUnavailable,
        RefundRefused,
        RefundPending,
        WithdrawalFrozen,
        StorageUnavailable,
        # Too many bets waiting for the database: the apology says "nothing was charged,
        # please try again", which is the whole of it.
        Overloaded,
    }
)

LIMIT_RULES: Final = frozenset(
    {"min_stake", "max_stake", "max_payout", "bankroll", "round_exposure"}
)
CRASH_RULES: Final = frozenset(
    {"not_taking_bets", "one_bet_a_round", "not_started", "crashed", "bet_over"}
)


def refusal_text(t: Translator, error: DomainError) -> str:
    """The player's text for `error`: the wording of its nearest decided class."""
    for cls in type(error).__mro__:
        wording = WORDINGS.get(cls)
        if wording is not None:
            return wording(t, error)
        if cls in NOT_FOR_PLAYERS:
            break
    return t("errors.generic")


def _insufficient(t: Translator, error: InsufficientFunds) -> str:
    if error.available is None:
        return t("refusals.insufficient_funds_plain")
    return t("refusals.insufficient_funds", balance=error.available)


def _limit(t: Translator, error: LimitExceeded) -> str:
    if error.rule in LIMIT_RULES and error.limit is not None:
        return t(f"refusals.limit.{error.rule}", limit=error.limit)
    return t("refusals.limit.other")


def _crash(t: Translator, error: CrashRefusal) -> str:
    if error.rule not in CRASH_RULES:
        return t("refusals.moved_on")
    point = format_hundredths(error.crash_point) if error.crash_point is not None else "?"
    return t(f"refusals.crash.{error.rule}", point=point)


def _standing(t: Translator, error: StandingRefusal) -> str:
    # The player's standing (domain.standing): never the system's own text.
    return t("start.blocked") if isinstance(error, PlayerBlocked) else t("start.need_gate")


def _withdrawal(t: Translator, error: WithdrawalRefused) -> str:
    return withdrawals.refusal_text(t, error)


def window_text(t: Translator, window: timedelta) -> str:
    seconds = int(window.total_seconds())
    unit = {1: "second", 60: "minute", 3600: "hour"}.get(seconds)
    return t(f"refusals.velocity.{unit}") if unit else t("refusals.velocity.seconds", count=seconds)


def _velocity(t: Translator, error: VelocityLimited) -> str:
    limit: VelocityLimit = error.limit
    return t(
        "refusals.velocity.limited",
        what=t(f"refusals.velocity.{limit.action.value}"),
        count=limit.max_count,
        window=window_text(t, limit.window),
        seconds=error.retry_after,
    )


def _velocity_down(t: Translator, error: VelocityUnavailable) -> str:
    return t(
        "refusals.velocity.down", what_title=t(f"refusals.velocity.{error.action.value}_title")
    )


PROMO_RULES: Final = frozenset(
    {"not_started", "expired", "paused", "used", "not_for_you", "run_out"}
)


def _promo(t: Translator, error: CampaignRefused) -> str:
    return t(f"promo.refused.{error.rule if error.rule in PROMO_RULES else 'other'}")


def _text(key: str, **values: Any) -> Wording:
    return lambda t, _error: t(key, **values)


WORDINGS: Final[dict[type[DomainError], Wording]] = {
    InsufficientFunds: _insufficient,
    LimitExceeded: _limit,
    OverPayoutLimit: lambda t, e: t("refusals.limit.mines_cap", limit=e.max_payout),
    CrashRefusal: _crash,
    IllegalTransition: _text("refusals.moved_on"),
    IllegalWithdrawalTransition: _text("refusals.moved_on"),
    InvalidAmount: _text("refusals.invalid_amount"),
    InvalidRequest: _text("refusals.invalid_request"),
    InvalidField: _text("refusals.invalid_request"),
    InvalidClientSeed: _text("refusals.client_seed", max=InvalidClientSeed.max_length),
    PaymentMismatch: _text("refusals.payment_mismatch"),
    CryptoDepositUnavailable: _text("deposit.crypto.unavailable"),
    CryptoProviderDown: _text("deposit.crypto.provider_down"),
    InvoiceBeingCreated: _text("deposit.crypto.being_created"),
    DepositLimitPromptDue: _text("refusals.deposit_prompt_due"),
    InvoiceLinkUnavailable: _text("deposit.try_again"),
    BeyondRecentBets: lambda t, e: t("refusals.recent_bets", count=e.shown),
    NotFound: _text("refusals.not_found"),
    IdempotencyConflict: _text("refusals.already_used"),
    GameUnavailable: _text("refusals.game_unavailable"),
    BudgetExhausted: _text("refusals.budget_exhausted"),
    UnknownPromoCode: _text("promo.unknown"),
    CampaignRefused: _promo,
    BonusActive: _text("bonus.refused.active"),
    FreeBetUnavailable: _text("free_bets.refused"),
    IllegalBonusTransition: _text("bonus.refused.ended"),
    BonusBlocksWithdrawal: lambda t, e: t(
        "bonus.withdraw.blocks", amount=e.amount, wagered=e.wagered.amount, required=e.required
    ),
    WageringIncomplete: lambda t, e: t(
        "bonus.refused.incomplete", wagered=e.wagered.amount, required=e.required
    ),
    NothingToClaim: _text("vip.nothing_to_claim"),
    NotRevealed: _text("refusals.not_revealed"),
    RateLimited: _text("refusals.rate_limited"),
    VelocityLimited: _velocity,
    VelocityUnavailable: _velocity_down,
    StandingRefusal: _standing,
    PlayerBlocked: _standing,
    TermsNotAccepted: _standing,
    WithdrawalRefused: _withdrawal,
    ResponsibleGamblingRefusal: lambda t, e: responsible.refusal_text(t, e),
    LimitTooLarge: lambda t, e: t("refusals.limit_too_large", max=e.maximum),
    DuelistUnknown: _text("duels.start_first_tap"),
    OpponentUnavailable: _text("duels.opponent_unavailable_tap"),
    NotYourDuel: _text("duels.not_for_you"),
    AlreadySeated: _text("lobbies.already_seated"),
    NotTheOpener: _text("lobbies.opener_only"),
    NotSeated: _text("lobbies.not_seated"),
    OpenerStays: _text("lobbies.opener_stays"),
    TooFewPlayers: _text("lobbies.too_few"),
}
