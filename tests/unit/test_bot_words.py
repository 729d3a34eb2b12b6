"""Nothing technical, nothing in the wrong language (issue 25): every text of the bot in every
language, and every refusal the domain can raise, as a player reads it.

A new `DomainError` class fails here until it is decided in `entrypoints.bot.refusals`
(a wording of its own, or `NOT_FOR_PLAYERS`) and given a representative below."""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import application
import domain
from application.duels.errors import DuelistUnknown, OpponentUnavailable
from application.history import BeyondRecentBets
from domain.access import KeyNotAllowed, NoServiceKey
from domain.aggregator_games import AggregatorUnavailable
from domain.bonuses import (
    BonusActive,
    BonusBlocksWithdrawal,
    BonusState,
    IllegalBonusTransition,
    WageringIncomplete,
)
from domain.campaigns import CampaignRefused, UnknownPromoCode
from domain.crash_rounds import CrashRefusal
from domain.crypto_pay import CryptoDepositUnavailable, CryptoProviderDown, InvoiceBeingCreated
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
from domain.kept_answers import RequestReused
from domain.mines import OverPayoutLimit
from domain.money import XTR, Money
from domain.payments import InvoiceLinkUnavailable, PaymentMismatch, RefundPending, RefundRefused
from domain.promotions import BudgetExhausted
from domain.rakeback import NothingToClaim
from domain.responsible import DepositLimitPromptDue, LimitTooLarge, ResponsibleGamblingRefusal
from domain.seamless import DebitCalledOff, RoundClosed, UncoveredCredit
from domain.standing import PlayerBlocked, StandingRefusal, TermsNotAccepted, WithdrawalFrozen
from domain.velocity import VelocityAction, VelocityLimit, VelocityLimited, VelocityUnavailable
from domain.withdrawals import IllegalWithdrawalTransition, WithdrawalRefused, WithdrawalState
from entrypoints.bot.i18n import DEFAULT_LANGUAGE, Translator, catalogue, languages
from entrypoints.bot.refusals import NOT_FOR_PLAYERS, PROMO_RULES, WORDINGS, refusal_text

# What a player must never read: an internal id next to what it names ("account 385", "bet
# 3f2a…"), a UUID, a code in snake_case, a placeholder left unfilled, the ledger's "XTR".
INTERNAL_ID = re.compile(
    r"\b(account|bet|game|round|withdrawal|player|wallet|chain|pair)\s+#?[0-9a-f-]{3,}\b", re.I
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
PLACEHOLDER = re.compile(r"{\w*}")
LETTERS = re.compile(r"[^\W\d_½¼¾]")  # letters; vulgar fractions (the ½ button) are not
CYRILLIC = re.compile(r"[а-яё]", re.I)

ALERT_LIMIT = 200
SECRET_ID = 385  # an internal id every representative's message carries: it must not show
STARS = Money(127, XTR)
WHEN = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
LIMIT = VelocityLimit(VelocityAction.BET, 5, timedelta(minutes=1), fail_open=True)
SECRET = f"account {SECRET_ID} (player_wallet)"
# Texts a language rightly writes as English does: the casino words its players know in English
# (games named Crash, Limbo, Plinko; Jackpot, Strike, the slot's BAR), and units ("min", "UTC").
SAME_AS_ENGLISH: dict[str, frozenset[str]] = {
    "es": frozenset({
        "care.every", "game_texts.time", "game_texts.name.limbo", "game_texts.name.plinko",
        "game_texts.name.crash", "game_texts.outcome.slot_BAR",
    }),
    "pt": frozenset({
        "care.every", "game_texts.time", "game_texts.cheer_jackpot", "game_texts.name.limbo",
        "game_texts.name.plinko", "game_texts.name.mines", "game_texts.name.crash",
        "game_texts.option.tg_bowling_hit", "game_texts.outcome.tg_bowling_hit",
        "game_texts.outcome.slot_BAR", "vip.levels.Bronze",
    }),
    "tr": frozenset({
        "bonus.title_button", "game_texts.time", "game_texts.cheer_jackpot",
        "game_texts.name.tg_bowling", "game_texts.name.limbo", "game_texts.name.plinko",
        "game_texts.name.crash", "game_texts.option.tg_bowling_hit",
        "game_texts.outcome.tg_bowling_hit", "game_texts.outcome.slot_BAR",
        "game_texts.ledger.transfer",
    }),
}  # fmt: skip


def _all_domain_errors() -> set[type[DomainError]]:
    for package in (domain, application):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(info.name)
    found: set[type[DomainError]] = set()
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        found.add(cls)
        stack.extend(cls.__subclasses__())
    return found


def _care(rule: str, **fields: Any) -> ResponsibleGamblingRefusal:
    return ResponsibleGamblingRefusal(rule, f"{SECRET}: {rule}", **fields)


# Each class with what a player may meet of it, and the player's own numbers the text names.
REPRESENTATIVES: dict[type[DomainError], list[tuple[DomainError, tuple[str, ...]]]] = {
    DomainError: [(DomainError(SECRET), ())],
    InvalidAmount: [(InvalidAmount(SECRET), ())],
    CurrencyMismatch: [(CurrencyMismatch(SECRET), ())],
    UnknownCurrency: [(UnknownCurrency(SECRET), ())],
    UnbalancedTransaction: [(UnbalancedTransaction(SECRET), ())],
    InvalidTransaction: [(InvalidTransaction(SECRET), ())],
    InsufficientFunds: [
        (InsufficientFunds(f"insufficient funds on {SECRET}", available=STARS), ("127 ⭐",)),
        (InsufficientFunds(f"{SECRET} holds 0 XTR"), ()),  # an account not the player's
    ],
    IdempotencyConflict: [(IdempotencyConflict(SECRET), ())],
    NotFound: [(NotFound(SECRET), ())],
    InvalidRequest: [(InvalidRequest(SECRET), ())],
    InvalidField: [(InvalidField("stake_amount", SECRET), ())],
    LimitTooLarge: [(LimitTooLarge(Money(1_000_000_000, XTR)), ("1000000000 ⭐",))],
    InvalidClientSeed: [(InvalidClientSeed(), ("64",))],
    PaymentMismatch: [(PaymentMismatch(SECRET), ())],
    CryptoDepositUnavailable: [(CryptoDepositUnavailable(SECRET), ())],
    CryptoProviderDown: [(CryptoProviderDown(SECRET), ())],
    InvoiceBeingCreated: [(InvoiceBeingCreated(SECRET), ())],
    DepositLimitPromptDue: [(DepositLimitPromptDue(SECRET), ())],
    InvoiceLinkUnavailable: [(InvoiceLinkUnavailable(SECRET), ())],
    BeyondRecentBets: [(BeyondRecentBets(100), ("100",))],
    IllegalTransition: [(IllegalTransition(SECRET), ())],
    IllegalWithdrawalTransition: [
        (
            IllegalWithdrawalTransition(
                uuid.uuid4(), WithdrawalState.PAID, WithdrawalState.REJECTED
            ),
            (),
        )
    ],
    WithdrawalFrozen: [(WithdrawalFrozen(SECRET), ())],
    CrashRefusal: [
        (CrashRefusal("not_taking_bets", SECRET), ()),
        (CrashRefusal("one_bet_a_round", SECRET), ()),
        (CrashRefusal("not_started", SECRET), ()),
        (CrashRefusal("crashed", SECRET, crash_point=241), ("2.41×",)),
        (CrashRefusal("bet_over", SECRET), ()),
        (CrashRefusal("a_rule_added_later", SECRET), ()),
    ],
    BudgetExhausted: [(BudgetExhausted(SECRET, rule="budget", limit=STARS), ())],
    UnknownPromoCode: [(UnknownPromoCode(SECRET), ())],
    CampaignRefused: [
        *((CampaignRefused(SECRET, rule), ()) for rule in sorted(PROMO_RULES)),
        (CampaignRefused(SECRET, "a_rule_added_later"), ()),
    ],
    BonusActive: [(BonusActive(SECRET), ())],
    FreeBetUnavailable: [
        (FreeBetUnavailable(SECRET, "expired"), ()),
        (FreeBetUnavailable(SECRET, "played"), ()),
    ],
    BonusBlocksWithdrawal: [
        (
            BonusBlocksWithdrawal(Money(50, XTR), Money(30, XTR), Money(500, XTR)),
            ("50 ⭐", "30", "500 ⭐"),
        )
    ],
    IllegalBonusTransition: [
        (IllegalBonusTransition(uuid.uuid4(), BonusState.EXPIRED, BonusState.CONVERTED), ())
    ],
    WageringIncomplete: [
        (
            WageringIncomplete(SECRET, wagered=Money(120, XTR), required=Money(500, XTR)),
            ("120", "500 ⭐"),
        )
    ],
    NothingToClaim: [(NothingToClaim(SECRET), ())],
    LimitExceeded: [
        (LimitExceeded(SECRET, rule="min_stake", limit=Money(10, XTR)), ("10 ⭐",)),
        (LimitExceeded(SECRET, rule="max_stake", limit=Money(5000, XTR)), ("5000 ⭐",)),
        (LimitExceeded(SECRET, rule="max_payout", limit=Money(100000, XTR)), ("100000 ⭐",)),
        (LimitExceeded(SECRET, rule="bankroll", limit=Money(990, XTR)), ("990 ⭐",)),
        (LimitExceeded(SECRET, rule="round_exposure", limit=Money(4000, XTR)), ()),
        (LimitExceeded(SECRET), ()),
    ],
    OverPayoutLimit: [(OverPayoutLimit(SECRET, Money(2500, XTR)), ("2500 ⭐",))],
    GameUnavailable: [(GameUnavailable(SECRET), ())],
    NotRevealed: [(NotRevealed(SECRET), ())],
    Unauthenticated: [(Unauthenticated(SECRET), ())],
    Forbidden: [(Forbidden(SECRET), ())],
    KeyNotAllowed: [(KeyNotAllowed(SECRET), ())],
    NoServiceKey: [(NoServiceKey(SECRET), ())],
    AggregatorUnavailable: [(AggregatorUnavailable(SECRET), ())],
    DebitCalledOff: [(DebitCalledOff(SECRET), ())],
    UncoveredCredit: [(UncoveredCredit(SECRET), ())],
    RoundClosed: [(RoundClosed(SECRET), ())],
    RequestReused: [(RequestReused(SECRET), ())],
    InvalidSessionToken: [(InvalidSessionToken(SECRET), ())],
    SessionTokenExpired: [(SessionTokenExpired(SECRET), ())],
    StandingRefusal: [(StandingRefusal(SECRET), ())],
    PlayerBlocked: [(PlayerBlocked(SECRET), ())],
    TermsNotAccepted: [(TermsNotAccepted(SECRET), ())],
    RateLimited: [(RateLimited(SECRET), ())],
    VelocityLimited: [(VelocityLimited(LIMIT, timedelta(seconds=12)), ("5", "12"))],
    VelocityUnavailable: [
        (VelocityUnavailable(LIMIT), ()),
        (
            VelocityUnavailable(
                VelocityLimit(VelocityAction.DEPOSIT, 3, timedelta(hours=1), fail_open=False)
            ),
            (),
        ),
    ],
    StorageUnavailable: [(StorageUnavailable(SECRET), ())],
    Overloaded: [(Overloaded(SECRET), ())],
    WithdrawalRefused: [
        (WithdrawalRefused("min_amount", SECRET, limit=Money(100, XTR)), ("100 ⭐",)),
        (WithdrawalRefused("daily_limit", SECRET, limit=STARS, remaining=Money(27, XTR)), ()),
        (WithdrawalRefused("max_amount", SECRET, limit=Money(5000, XTR)), ("5000 ⭐",)),
        (WithdrawalRefused("currency", SECRET), ()),
        (WithdrawalRefused("kyc_required", SECRET, limit=Money(1000, XTR)), ()),
        (WithdrawalRefused("wagering_requirement", SECRET, remaining=STARS), ("127 ⭐",)),
        (WithdrawalRefused("risk_review", SECRET), ()),
    ],
    RefundRefused: [(RefundRefused(SECRET), ())],
    RefundPending: [(RefundPending(SECRET), ())],
    ResponsibleGamblingRefusal: [
        (_care("timeout", until=WHEN), ("2026-12-04 09:30",)),
        (_care("self_excluded", until=None), ()),
        (
            _care("reality_check", session_time=timedelta(minutes=47), net_result=STARS),
            ("47", "127 ⭐"),
        ),
        *(
            (_care(f"{kind}_limit_{period}", limit=Money(500, XTR), remaining=STARS), ("500 ⭐",))
            for kind in ("deposit", "loss", "wager")
            for period in ("24h", "7d", "30d")
        ),
        (_care("cooling_off", until=WHEN, limit=Money(500, XTR)), ("2026-12-04", "500 ⭐")),
        (_care("a_rule_added_later"), ()),
    ],
    DuelistUnknown: [(DuelistUnknown(SECRET, telegram_user_id=7, username=None), ())],
    OpponentUnavailable: [(OpponentUnavailable(SECRET), ())],
    NotYourDuel: [(NotYourDuel(SECRET), ())],
    AlreadySeated: [(AlreadySeated(SECRET), ())],
    NotTheOpener: [(NotTheOpener(SECRET), ())],
    NotSeated: [(NotSeated(SECRET), ())],
    OpenerStays: [(OpenerStays(SECRET), ())],
    TooFewPlayers: [(TooFewPlayers(SECRET), ())],
}


def _readable(text: str, language: str, what: str) -> None:
    assert not PLACEHOLDER.search(text), f"{what} [{language}] leaves a placeholder: {text!r}"
    for pattern in (INTERNAL_ID, UUID, SNAKE_CASE):
        found = pattern.search(text)
        assert found is None, f"{what} [{language}] shows {found.group(0)!r}: {text!r}"
    if language == "ru" and LETTERS.search(PLACEHOLDER.sub("", text)):
        assert CYRILLIC.search(text), f"{what} [ru] is not Russian: {text!r}"


def test_every_domain_error_is_decided_and_has_a_representative():
    errors = _all_domain_errors()
    undecided = {c for c in errors if c not in WORDINGS and c not in NOT_FOR_PLAYERS}
    assert not undecided, f"decide these in entrypoints/bot/refusals.py: {undecided}"
    missing = errors - set(REPRESENTATIVES)
    assert not missing, f"give these a representative here: {missing}"


@pytest.mark.parametrize("language", languages())
@pytest.mark.parametrize(
    ("error", "numbers"),
    [case for cases in REPRESENTATIVES.values() for case in cases],
    ids=lambda value: type(value).__name__ if isinstance(value, DomainError) else "",
)
def test_every_refusal_reads_as_the_players_own(
    error: DomainError, numbers: tuple[str, ...], language: str
):
    text = refusal_text(Translator(language), error)
    _readable(text, language, type(error).__name__)
    assert error.message not in text, "the system's own words reached the player"
    # Telegram shows at most 200 characters in the alert answering a tap.
    assert len(text) <= ALERT_LIMIT, f"{type(error).__name__} [{language}] is too long: {text!r}"
    assert str(SECRET_ID) not in text
    for number in numbers:
        assert number in text, f"{type(error).__name__} [{language}] does not name {number}"
    if language != DEFAULT_LANGUAGE:
        assert text != refusal_text(Translator(DEFAULT_LANGUAGE), error)


def test_the_players_own_numbers_not_the_house_apology():
    # A refusal a player can act on is not the apology for errors they cannot meet.
    t = Translator("en")
    apology = t("errors.generic")
    for cls, cases in REPRESENTATIVES.items():
        if cls in NOT_FOR_PLAYERS:
            assert all(refusal_text(t, e) == apology for e, _ in cases), cls
        elif cls in WORDINGS:
            assert all(refusal_text(t, e) != apology for e, _ in cases), cls


@pytest.mark.parametrize("language", languages())
def test_every_text_renders_in_every_language(language: str):
    english = catalogue(DEFAULT_LANGUAGE)
    t = Translator(language)
    for key, template in catalogue(language).items():
        names = set(re.findall(r"{(\w+)}", template))
        text = t(key, **{name: STARS if name in {"amount", "balance"} else "7" for name in names})
        _readable(text, language, key)
        same = key in SAME_AS_ENGLISH.get(language, frozenset())
        if language != DEFAULT_LANGUAGE and LETTERS.search(PLACEHOLDER.sub("", english[key])):
            assert same or template != english[key], f"{key} [{language}] is the English text"
