"""What a player's screen needs to word a refusal in the player's own language (issue 23).

Every problem the Mini App's routes answer carries, beside the English `detail`, a `reason`:
a stable key naming the refusal as a player meets it (`limit_exceeded.bankroll`,
`responsible_gambling.timeout`, `crash.crashed`, …), and the numbers its text names as
fields of their own (amounts as `{amount, currency}` in minor units, times as ISO 8601,
counts and seconds as integers). The page reads `problem.<reason>` from
static/miniapp/locales/<language>.json and fills it from those fields; a reason it has no
text for falls back to `detail` (docs/miniapp.md, "Refusals in the player's language").

`TEXTS` is the list of reasons with the fields each text names: tests/unit/test_miniapp_problems.py
holds every language's table to it, and every `DomainError` class to a decision here (a
reason of its own, or `NOT_ON_THE_PAGE` for what the Mini App's routes never raise).
The bot words the same refusals from the same classes (entrypoints/bot/refusals.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
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
from domain.money import Money
from domain.payments import InvoiceLinkUnavailable, PaymentMismatch, RefundPending, RefundRefused
from domain.promotions import BudgetExhausted
from domain.rakeback import NothingToClaim
from domain.responsible import DepositLimitPromptDue, ResponsibleGamblingRefusal
from domain.responsible.limits import LimitTooLarge
from domain.seamless import DebitCalledOff, RoundClosed, UncoveredCredit
from domain.standing import PlayerBlocked, StandingRefusal, TermsNotAccepted, WithdrawalFrozen
from domain.velocity import VelocityLimited, VelocityUnavailable
from domain.withdrawals import IllegalWithdrawalTransition, WithdrawalRefused

# Where the player's routes live: their problems' `detail` writes Stars as "N ⭐".
PLAYER_API_PREFIX: Final = "/api/v1/app"

# Each reason the player's routes may answer, with the fields its text names. A text in
# locales/<language>.json has exactly these placeholders.
TEXTS: Final[dict[str, frozenset[str]]] = {
    key: frozenset(fields)
    for key, fields in {
        "insufficient_funds": ("available",),
        "insufficient_funds.other": (),
        "invalid_amount": (),
        "invalid_request": (),
        "invalid_request.client_seed": ("max_length",),
        "invalid_request.recent_bets": ("count",),
        "invalid_request.limit_too_large": ("maximum",),
        "not_found": (),
        "unknown_promo_code": (),
        "idempotency_conflict": (),
        "game_unavailable": (),
        "aggregator_unavailable": (),
        "illegal_transition": (),
        "illegal_transition.bonus_ended": (),
        "crash.not_taking_bets": (),
        "crash.one_bet_a_round": (),
        "crash.not_started": (),
        "crash.crashed": ("crash_point",),
        "crash.bet_over": (),
        "limit_exceeded.min_stake": ("limit",),
        "limit_exceeded.max_stake": ("limit",),
        "limit_exceeded.max_payout": ("limit",),
        "limit_exceeded.bankroll": ("limit",),
        "limit_exceeded.round_exposure": (),
        "limit_exceeded.mines_cap": ("limit",),
        "limit_exceeded.other": (),
        "budget_exhausted": (),
        "campaign_refused.not_started": (),
        "campaign_refused.expired": (),
        "campaign_refused.paused": (),
        "campaign_refused.used": (),
        "campaign_refused.not_for_you": (),
        "campaign_refused.run_out": (),
        "campaign_refused.other": (),
        "free_bet_unavailable": (),
        "bonus_active": (),
        "wagering_incomplete": ("wagered", "required"),
        "nothing_to_claim": (),
        "not_revealed": (),
        "rate_limited": (),
        "velocity_limited.bet": ("count", "window_seconds", "retry_after"),
        "velocity_limited.deposit": ("count", "window_seconds", "retry_after"),
        "velocity_unavailable.bet": (),
        "velocity_unavailable.deposit": (),
        "player_blocked": (),
        "terms_not_accepted": (),
        "responsible_gambling.timeout": ("until",),
        "responsible_gambling.self_excluded": ("until",),
        "responsible_gambling.self_excluded_forever": (),
        "responsible_gambling.reality_check": ("session_minutes", "net_result"),
        "responsible_gambling.limit": ("limit_kind", "period", "limit", "remaining"),
        "responsible_gambling.cooling_off": ("until", "limit"),
        "responsible_gambling.other": (),
        "deposit_limit_prompt_due": (),
        "crypto_deposit_unavailable": (),
        "crypto_provider_down": (),
        "crypto_invoice_being_created": (),
        "invoice_link_unavailable": (),
        "unauthenticated": (),
        "storage_unavailable": (),
        # Not a domain error: the door's own refusals (problems.py).
        "request_refused": (),
        "internal_error": (),
        # A rule of the books a player cannot meet from the page: a polite "not now".
        "other": (),
    }.items()
}

# Classes the Mini App's routes never raise (duels and a Telegram payment's checks are the
# bot's; the page has no withdrawal or refund route; keys are the game servers'): their
# problems carry no `reason`, and a page meeting one would show `detail`.
NOT_ON_THE_PAGE: Final[frozenset[type[DomainError]]] = frozenset(
    {
        DuelistUnknown,
        OpponentUnavailable,
        NotYourDuel,
        AlreadySeated,
        NotSeated,
        NotTheOpener,
        OpenerStays,
        TooFewPlayers,
        PaymentMismatch,
        RefundRefused,
        RefundPending,
        WithdrawalRefused,
        BonusBlocksWithdrawal,
        IllegalWithdrawalTransition,
        WithdrawalFrozen,
        KeyNotAllowed,
        # The seamless wallet's and the aggregators' (game providers call them, not the page).
        NoServiceKey,
        DebitCalledOff,
        UncoveredCredit,
        RoundClosed,
        RequestReused,
        InvalidSessionToken,
        SessionTokenExpired,
    }
)

Facts = dict[str, Any]
Reason = Callable[[Any], tuple[str, Facts]]


def _money(value: Money | None) -> dict[str, Any] | None:
    return None if value is None else {"amount": value.amount, "currency": value.currency.code}


def _plain(key: str) -> Reason:
    return lambda _error: (key, {})


def _insufficient(error: InsufficientFunds) -> tuple[str, Facts]:
    if error.available is None:  # an account that is not the player's wallet
        return "insufficient_funds.other", {}
    return "insufficient_funds", {"available": _money(error.available)}


LIMIT_RULES: Final = frozenset({"min_stake", "max_stake", "max_payout", "bankroll"})


def _limit(error: LimitExceeded) -> tuple[str, Facts]:
    if error.rule in LIMIT_RULES and error.limit is not None:
        return f"limit_exceeded.{error.rule}", {"rule": error.rule, "limit": _money(error.limit)}
    if error.rule == "round_exposure":
        return "limit_exceeded.round_exposure", {"rule": error.rule}
    return "limit_exceeded.other", {"rule": error.rule}


def _mines_cap(error: OverPayoutLimit) -> tuple[str, Facts]:
    return "limit_exceeded.mines_cap", {"rule": "mines_cap", "limit": _money(error.max_payout)}


CRASH_RULES: Final = frozenset({"not_taking_bets", "one_bet_a_round", "not_started", "bet_over"})


def _crash(error: CrashRefusal) -> tuple[str, Facts]:
    if error.rule == "crashed" and error.crash_point is not None:
        point = format_hundredths(error.crash_point)
        return "crash.crashed", {"rule": error.rule, "crash_point": point}
    if error.rule in CRASH_RULES:
        return f"crash.{error.rule}", {"rule": error.rule}
    return "illegal_transition", {"rule": error.rule}


PROMO_RULES: Final = frozenset(
    {"not_started", "expired", "paused", "used", "not_for_you", "run_out"}
)


def _promo(error: CampaignRefused) -> tuple[str, Facts]:
    rule = error.rule if error.rule in PROMO_RULES else "other"
    return f"campaign_refused.{rule}", {}


def _wagering(error: WageringIncomplete) -> tuple[str, Facts]:
    return "wagering_incomplete", {
        "wagered": _money(error.wagered),
        "required": _money(error.required),
    }


def _velocity(error: VelocityLimited) -> tuple[str, Facts]:
    return f"velocity_limited.{error.action.value}", {
        "action": error.action.value,
        "count": error.limit.max_count,
        "window_seconds": int(error.limit.window.total_seconds()),
    }


def _velocity_down(error: VelocityUnavailable) -> tuple[str, Facts]:
    return f"velocity_unavailable.{error.action.value}", {"action": error.action.value}


_LIMIT_RULE = re.compile(r"^(deposit|loss|wager)_limit_(24h|7d|30d)$")


def _care(error: ResponsibleGamblingRefusal) -> tuple[str, Facts]:
    """The refusal's own fields (`refusal_facts` in problems.py) say the rest."""
    if error.rule in {"timeout", "self_excluded"}:
        if error.until is None:
            return f"responsible_gambling.{error.rule}_forever", {}
        return f"responsible_gambling.{error.rule}", {}
    if error.rule == "cooling_off" and error.until is not None and error.limit is not None:
        return "responsible_gambling.cooling_off", {}
    if error.rule == "reality_check" and error.session_time is not None:
        minutes = int(error.session_time.total_seconds() // 60)
        return "responsible_gambling.reality_check", {
            "session_minutes": minutes,
            "net_result": _money(error.net_result) or {"amount": 0, "currency": "XTR"},
        }
    found = _LIMIT_RULE.match(error.rule)
    if found and error.limit is not None and error.remaining is not None:
        return "responsible_gambling.limit", {
            "limit_kind": found.group(1),
            "period": found.group(2),
        }
    return "responsible_gambling.other", {}


def _client_seed(error: InvalidClientSeed) -> tuple[str, Facts]:
    return "invalid_request.client_seed", {"max_length": InvalidClientSeed.max_length}


def _limit_too_large(error: LimitTooLarge) -> tuple[str, Facts]:
    return "invalid_request.limit_too_large", {"maximum": _money(error.maximum)}


def _recent_bets(error: BeyondRecentBets) -> tuple[str, Facts]:
    return "invalid_request.recent_bets", {"count": error.shown}


REASONS: Final[dict[type[DomainError], Reason]] = {
    InsufficientFunds: _insufficient,
    InvalidAmount: _plain("invalid_amount"),
    InvalidRequest: _plain("invalid_request"),
    InvalidField: _plain("invalid_request"),
    InvalidClientSeed: _client_seed,
    BeyondRecentBets: _recent_bets,
    LimitTooLarge: _limit_too_large,
    NotFound: _plain("not_found"),
    UnknownPromoCode: _plain("unknown_promo_code"),
    IdempotencyConflict: _plain("idempotency_conflict"),
    GameUnavailable: _plain("game_unavailable"),
    AggregatorUnavailable: _plain("aggregator_unavailable"),
    IllegalTransition: _plain("illegal_transition"),
    IllegalBonusTransition: _plain("illegal_transition.bonus_ended"),
    CrashRefusal: _crash,
    LimitExceeded: _limit,
    OverPayoutLimit: _mines_cap,
    BudgetExhausted: _plain("budget_exhausted"),
    CampaignRefused: _promo,
    FreeBetUnavailable: _plain("free_bet_unavailable"),
    BonusActive: _plain("bonus_active"),
    WageringIncomplete: _wagering,
    NothingToClaim: _plain("nothing_to_claim"),
    NotRevealed: _plain("not_revealed"),
    RateLimited: _plain("rate_limited"),
    VelocityLimited: _velocity,
    VelocityUnavailable: _velocity_down,
    StandingRefusal: _plain("terms_not_accepted"),
    PlayerBlocked: _plain("player_blocked"),
    TermsNotAccepted: _plain("terms_not_accepted"),
    ResponsibleGamblingRefusal: _care,
    # The deposit screen's (miniapp_deposit.py): the prompt at the first deposit is owed, or
    # the crypto rail is off or its provider did not answer.
    DepositLimitPromptDue: _plain("deposit_limit_prompt_due"),
    CryptoDepositUnavailable: _plain("crypto_deposit_unavailable"),
    CryptoProviderDown: _plain("crypto_provider_down"),
    # A twin request of the same key is creating the invoice (a double tap): the page asks
    # once more itself after a moment (static/miniapp/app.js, the deposit screen).
    InvoiceBeingCreated: _plain("crypto_invoice_being_created"),
    InvoiceLinkUnavailable: _plain("invoice_link_unavailable"),
    Unauthenticated: _plain("unauthenticated"),
    StorageUnavailable: _plain("storage_unavailable"),
    # Too many bets waiting for the database: the same page text (try again, nothing charged).
    Overloaded: _plain("storage_unavailable"),
    # The books' own invariants and staff errors: nothing a player can act on.
    DomainError: _plain("other"),
    CurrencyMismatch: _plain("other"),
    UnknownCurrency: _plain("other"),
    UnbalancedTransaction: _plain("other"),
    InvalidTransaction: _plain("other"),
    Forbidden: _plain("other"),
}


def player_reason(error: DomainError) -> Facts:
    """`reason` and the facts its text names, for the error's nearest decided class; nothing
    for a class the page never meets."""
    for cls in type(error).__mro__:
        if cls in NOT_ON_THE_PAGE:
            return {}
        reason = REASONS.get(cls)
        if reason is not None:
            key, facts = reason(error)
            return {"reason": key, **facts}
    return {}


_STARS = re.compile(r"(?<![\w.])(-?\d+) XTR\b")


def player_detail(error: DomainError, detail: str) -> str:
    """The English a player's route answers: the domain's message with Stars as players
    read them, and no internal account id (a wallet short of the stake says what it holds)."""
    if isinstance(error, InsufficientFunds):
        if error.available is None:
            return "insufficient funds"
        return stars_for_players(f"insufficient funds: the wallet holds {error.available}")
    return stars_for_players(detail)


def stars_for_players(detail: str) -> str:
    """A problem's English with Stars written as players read them ("19 ⭐", never "19
    XTR"): the domain's messages format Money with its code, which staff and game servers
    read as it is."""
    return _STARS.sub(r"\1 ⭐", detail)
