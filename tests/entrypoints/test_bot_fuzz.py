"""The bot's handlers fuzzed with Hypothesis: arbitrary Telegram updates through the real
Dispatcher and the fake Bot API session — messages with any text and commands with any
arguments, callback queries with any data and near-valid forms of the real callback data, dice
with any emoji and value, pre-checkout queries and payments with any payload and amount — from
known players, strangers, bots and nobody at all.

Every update must go through without an exception escaping the dispatcher and without reaching
the error handler's apology for our own failures (it logs ERROR with the traceback); every
reply must be readable text within Telegram's limits, naming no exception; and an update that
could not move money, or was refused, must leave the ledger as it was."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, AnswerPreCheckoutQuery, SendInvoice, SendMessage
from aiogram.types import (
    CallbackQuery,
    Chat,
    Dice,
    Message,
    PreCheckoutQuery,
    SuccessfulPayment,
    Update,
    User,
)
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.games.catalog import GAMES
from domain.money import XTR, Money
from entrypoints.bot.deposit_prompt import DepositPromptAnswer
from entrypoints.bot.i18n import languages
from entrypoints.bot.keyboards import (
    DEPOSITS,
    EXCLUSION_PERIODS,
    LIMIT_AMOUNTS,
    LIMIT_KINDS,
    LIMIT_PERIODS,
    OPTIONS,
    REALITY_CHECK_MINUTES,
    TIMEOUT_PERIODS,
    BetsPage,
    Care,
    Deposit,
    Gate,
    HistoryPage,
    Language,
    Menu,
    PickGame,
    PickStake,
    PlaceBet,
)
from entrypoints.bot.stake_picker import STEPS, StakeAsk, StakeControl
from tests.entrypoints.telegram_fakes import BOT_USER, Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FUZZ = settings(
    # Enough for every run; CROUPIER_FUZZ_EXAMPLES=1000 searches deeper by hand.
    max_examples=int(os.environ.get("CROUPIER_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_update_ids = itertools.count(secrets.randbelow(2**40) + 2**41)

# --- who sends ------------------------------------------------------------------------------


class Sender:
    """A user (or nobody: a channel or an anonymous admin) and the chat they write in."""

    def __init__(self, user: User | None, chat: Chat) -> None:
        self.user = user
        self.chat = chat

    @classmethod
    def of(cls, player: Player) -> Sender:
        return cls(player.user, player.chat)


def _stranger() -> Sender:
    return Sender.of(Player(secrets.choice(["en", "ru", "de", "", "zz-ZZ"])))


def _a_bot() -> Sender:
    user = User(id=secrets.randbelow(2**40) + 1, is_bot=True, first_name="Other bot")
    return Sender(user, Chat(id=-secrets.randbelow(2**40) - 1, type="group"))


def _nobody() -> Sender:
    return Sender(None, Chat(id=-secrets.randbelow(2**40) - 1, type="channel"))


SENDERS = ("known", "known_ru", "stranger", "bot", "nobody")


def _message(sender: Sender, **fields: Any) -> Update:
    return Update(
        update_id=next(_update_ids),
        message=Message(
            message_id=secrets.randbelow(2**30),
            date=datetime.now(UTC),
            chat=sender.chat,
            from_user=sender.user,
            **fields,
        ),
    )


def _tap(sender: Sender, data: str | None, shown: bool) -> Update:
    assert sender.user is not None  # Telegram always says who tapped
    return Update(
        update_id=next(_update_ids),
        callback_query=CallbackQuery(
            id=secrets.token_hex(8),
            from_user=sender.user,
            chat_instance="ci",
            # A button of an inline message comes without the message.
            message=Message(message_id=1, date=datetime.now(UTC), chat=sender.chat, text="menu")
            if shown
            else None,
            inline_message_id=None if shown else "inline-1",
            data=data,
        ),
    )


def _pre_checkout(sender: Sender, payload: str, amount: int, currency: str) -> Update:
    assert sender.user is not None
    return Update(
        update_id=next(_update_ids),
        pre_checkout_query=PreCheckoutQuery(
            id=secrets.token_hex(8),
            from_user=sender.user,
            currency=currency,
            total_amount=amount,
            invoice_payload=payload,
        ),
    )


def _paid(sender: Sender, charge_id: str, payload: str, amount: int, currency: str) -> Update:
    payment = SuccessfulPayment(
        currency=currency,
        total_amount=amount,
        invoice_payload=payload,
        telegram_payment_charge_id=charge_id,
        provider_payment_charge_id="",
    )
    return _message(sender, successful_payment=payment)


# --- what they send ---------------------------------------------------------------------------

_NUMBERS = st.one_of(
    st.integers(-5, 1100),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, 10**30]),
)
_NUMBER_TEXT = st.one_of(
    _NUMBERS.map(str),
    # Digits Python's isdigit() accepts and int() may not, and numbers written oddly.
    st.sampled_from(["²", "١٢٣", "½", "1e3", "0x10", " 10", "010", "+5", "-0", "1_000", "Ⅻ"]),
)
_ARGS = st.one_of(
    st.text(max_size=60),
    _NUMBER_TEXT,
    st.tuples(_NUMBER_TEXT, st.text(max_size=80)).map(" ".join),
    st.tuples(_NUMBER_TEXT, st.text(min_size=300, max_size=5000)).map(" ".join),
    st.sampled_from(["", " ", "10 UQBx-wallet", "ref_", "ref_abc", "lucky-me", "\n", "\x00"]),
)
_COMMANDS = (
    "start", "help", "withdraw", "limits", "fairness", "clientseed", "paysupport", "privacy",
    "terms", "bet", "deposit", "balance", "games", "history", "WITHDRAW", "Start",
)  # fmt: skip
_COMMAND_TEXT = st.builds(
    lambda name, mention, args: f"/{name}{mention}" + (f" {args}" if args else ""),
    st.sampled_from(_COMMANDS),
    st.sampled_from(["", f"@{BOT_USER.username}", "@other_bot", "@"]),
    _ARGS,
)
_TEXT = st.one_of(
    st.text(max_size=200), _COMMAND_TEXT, st.text(min_size=4000, max_size=4096), st.just("")
)

_JUNK = st.one_of(st.text(max_size=20), _NUMBER_TEXT, st.just(""))
_OPTION_KEYS = sorted({key for options in OPTIONS.values() for key in options})
_FIELDS: dict[str, tuple[list[Any], ...]] = {
    Menu.__prefix__: (
        [
            "balance",
            "deposit",
            "withdraw",
            "games",
            "history",
            "fairness",
            "limits",
            "help",
            "language",
            "main",
            "rotate",
        ],
    ),
    PickGame.__prefix__: ([*OPTIONS, *GAMES],),
    PickStake.__prefix__: ([*OPTIONS, "mines", "crash"], [10, 50, 1, 0, 999_999]),
    StakeControl.__prefix__: ([*OPTIONS, "mines"], [10, 1, 0, -5, 999_999], [*STEPS, "x"]),
    StakeAsk.__prefix__: ([*OPTIONS, "crash"], [10, 0, 999_999]),
    PlaceBet.__prefix__: ([*OPTIONS, "poker"], [10, 50, 100, 0, -10], _OPTION_KEYS, ["p1", "p2"]),
    Deposit.__prefix__: ([*DEPOSITS, 0, 1, 10_001],),
    HistoryPage.__prefix__: ([1, 2, 0, -1], ["", "abc", "MjAyNA"]),
    BetsPage.__prefix__: ([1, 2, 10, 11, 0, -1],),
    Language.__prefix__: ([*languages(), "de", "EN"],),
    Gate.__prefix__: (["1", "0", "true", "false"],),
    Care.__prefix__: (
        [
            "kind",
            "period",
            "set",
            "remove",
            "confirm",
            "timeout",
            "timeout_ask",
            "timeout_go",
            "exclude",
            "exclude_ask",
            "exclude_go",
            "reality",
            "reality_set",
            "ack",
        ],
        [*LIMIT_KINDS, ""],
        [*{*LIMIT_PERIODS, *TIMEOUT_PERIODS, *EXCLUSION_PERIODS}, ""],
        [*LIMIT_AMOUNTS, *REALITY_CHECK_MINUTES, 0, -1],
    ),
}


@st.composite
def _near_valid(draw: st.DrawFn) -> str:
    """Real callback data, one field swapped for junk, or a field too few or too many."""
    prefix = draw(st.sampled_from(sorted(_FIELDS)))
    parts = [
        str(draw(st.one_of(st.sampled_from(choices), _JUNK) if draw(st.booleans()) else
                 st.sampled_from(choices)))
        for choices in _FIELDS[prefix]
    ]  # fmt: skip
    arity = draw(st.sampled_from(["same", "same", "same", "fewer", "more"]))
    if arity == "fewer" and parts:
        parts.pop()
    elif arity == "more":
        parts.append(draw(_JUNK))
    return ":".join([prefix, *parts])


_CALLBACK_DATA = st.one_of(
    _near_valid(),
    st.text(max_size=80),
    st.sampled_from(sorted(_FIELDS)).map(lambda prefix: prefix + ":"),
    st.none(),
)
_EMOJI = st.one_of(st.sampled_from(["🎲", "🎯", "🏀", "⚽", "🎳", "🎰"]), st.text(max_size=4))
_PAYLOAD = st.one_of(
    st.text(max_size=200),
    st.uuids().map(lambda u: f"dep:{u.hex}"),
    st.sampled_from(["dep:", "", " ", "dep:" + "0" * 300]),
)
_CURRENCY = st.one_of(st.sampled_from(["XTR", "xtr", "USD", ""]), st.text(max_size=5))


# --- the harness ----------------------------------------------------------------------------

# What a reply must never show: a traceback, an exception's name, a Python repr.
_INTERNALS = re.compile(
    r"Traceback|File \"|\b\w*(Error|Exception)\b|object at 0x|\bNone\b|\bself\.|\{\w+\}"
)


def _readable(reply: str, inputs: list[str]) -> None:
    # The player's own words may come back (a destination, a client seed): they are theirs.
    for own in sorted(inputs, key=len, reverse=True):
        if own.strip():
            reply = reply.replace(own, "")
    found = _INTERNALS.search(reply)
    assert found is None, f"reply shows {found.group(0)!r}: {reply[:300]!r}"


def _inputs(update: Update) -> list[str]:
    values: list[str] = []
    message = update.message
    if message is not None:
        values += [message.text or ""]
        if message.successful_payment is not None:
            payment = message.successful_payment
            values += [payment.invoice_payload, payment.telegram_payment_charge_id]
    if update.callback_query is not None:
        values += [update.callback_query.data or ""]
    if update.pre_checkout_query is not None:
        values += [update.pre_checkout_query.invoice_payload]
    return values + [token for value in values for token in value.split()]


def _check_replies(telegram, update: Update) -> None:
    inputs = _inputs(update)
    for call in telegram.calls:
        if isinstance(call, SendMessage):
            assert 1 <= len(call.text) <= 4096, f"a message of {len(call.text)} characters"
            _readable(call.text, inputs)
        elif isinstance(call, AnswerCallbackQuery) and call.text is not None:
            assert len(call.text) <= 200, f"a tap answered with {len(call.text)} characters"
            _readable(call.text, inputs)
        elif isinstance(call, AnswerPreCheckoutQuery) and not call.ok:
            assert call.error_message, "a refused checkout must say why"
            _readable(call.error_message, inputs)
        elif isinstance(call, SendInvoice):
            _readable(f"{call.title} {call.description}", inputs)


_BOOKS = text(
    "SELECT (SELECT coalesce(json_object_agg(kind, n), '{}') FROM"
    "  (SELECT kind, count(*) AS n FROM ledger_transactions GROUP BY kind) AS t),"
    " (SELECT coalesce(json_object_agg(kind, total), '{}') FROM"
    "  (SELECT kind, sum(balance) AS total FROM accounts GROUP BY kind) AS a)"
)


async def _books(engine) -> tuple[Counter[str], dict[str, int]]:
    """Ledger transactions by kind and the sum of balances of each kind of account."""
    async with engine.connect() as conn:
        kinds, balances = (await conn.execute(_BOOKS)).one()
    return Counter(kinds), {k: int(v) for k, v in balances.items()}


def _may_move(update: Update) -> frozenset[str]:
    """The ledger transactions this update may make if accepted; nothing else may appear."""
    if update.callback_query is not None:
        try:
            bet = PlaceBet.unpack(update.callback_query.data or "")
        except (TypeError, ValueError):
            return frozenset()
        if bet.game in OPTIONS and bet.stake > 0:
            return frozenset({"bet", "win", "loss"})
        return frozenset()
    message = update.message
    if message is None:
        return frozenset()
    if message.successful_payment is not None:  # Telegram took the Stars: always credited
        return frozenset({"deposit"})
    if (message.text or "").lower().startswith("/withdraw"):
        return frozenset({"withdrawal"})
    return frozenset()


@pytest.fixture
async def deliver(send, telegram, servers, engine, caplog):
    """Feed one update and check everything this module promises about it."""
    redis = Redis.from_url(servers.redis_url)
    caplog.set_level(logging.WARNING)

    async def run(update: Update) -> list[Any]:
        telegram.calls.clear()
        caplog.clear()
        telegram.dice_values.extend([1] * 4)  # 1 is a face of every Telegram die
        user = (
            update.message.from_user
            if update.message is not None
            else (update.callback_query or update.pre_checkout_query).from_user
        )
        if user is not None:  # the throttle is tested elsewhere; here it would hide handlers
            await redis.delete(f"croupier:bot:throttle:{user.id}")
        before = await _books(engine)
        await send(update)
        after = await _books(engine)
        telegram.dice_values.clear()

        failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert not failures, "\n".join(f"{r.name}: {r.getMessage()}" for r in failures)
        _check_replies(telegram, update)
        made = set((after[0] - before[0]).elements())
        if currently_in_test_context():  # what the examples did, for --hypothesis-show-statistics
            event(f"made: {', '.join(sorted(made))}" if made else "the ledger did not change")
        if before != after:
            allowed = _may_move(update)
            assert allowed, f"a refused or harmless update moved money: {made}"
            assert made <= allowed, f"{made} from an update that may make {set(allowed)}"
            assert not any(
                isinstance(c, AnswerCallbackQuery) and c.show_alert for c in telegram.calls
            ), "refused with an alert, yet money moved"
        return list(telegram.calls)

    yield run
    await redis.aclose()


@pytest.fixture
async def senders(send, telegram, credit, fund_bankroll, engine, unique_key):
    """Two known players past the 18+ gate (one with money, one Russian with none)."""
    await fund_bankroll()
    known = {"known": Player("en"), "known_ru": Player("ru")}
    for player in known.values():
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
    async with engine.connect() as conn:
        rich = (
            await conn.execute(
                text("SELECT id FROM players WHERE telegram_user_id = :t"),
                {"t": known["known"].user.id},
            )
        ).scalar_one()
    await credit(CreditDepositCommand(rich, Money(1000, XTR), unique_key("fuzz")))
    telegram.calls.clear()
    await send(known["known"].tap(DepositPromptAnswer().pack()))  # the first deposit's prompt
    await send(known["known"].tap(Deposit(amount=50).pack()))
    (invoice,) = telegram.of(SendInvoice)
    telegram.calls.clear()

    return Senders(known, invoice.payload)


class Senders:
    """Pick a sender by kind; `invoice` is a real invoice's payload, 50 XTR to "known"."""

    def __init__(self, known: dict[str, Player], invoice: str) -> None:
        self._known = known
        self.invoice = invoice

    def __call__(self, kind: str) -> Sender:
        if kind in self._known:
            return Sender.of(self._known[kind])
        return {"stranger": _stranger, "bot": _a_bot, "nobody": _nobody}[kind]()


# --- the fuzz tests ---------------------------------------------------------------------------


@FUZZ
@given(who=st.sampled_from(SENDERS), words=_TEXT)
async def test_any_text_or_command(who, words, senders, deliver):
    await deliver(_message(senders(who), text=words))


@FUZZ
@given(
    who=st.sampled_from(SENDERS[:-1]), data=_CALLBACK_DATA, shown=st.booleans(), again=st.booleans()
)
async def test_any_callback_data(who, data, shown, again, senders, deliver):
    sender = senders(who)
    await deliver(_tap(sender, data, shown))
    if again:  # a second tap of the same button is a new update with the same data
        await deliver(_tap(sender, data, shown))


@FUZZ
@given(who=st.sampled_from(SENDERS), emoji=_EMOJI, value=st.integers(-(10**6), 10**6))
async def test_any_dice(who, emoji, value, senders, deliver, engine):
    async with engine.connect() as conn:
        bets = (await conn.execute(text("SELECT count(*) FROM bets"))).scalar_one()
    await deliver(_message(senders(who), dice=Dice(emoji=emoji, value=value)))
    async with engine.connect() as conn:  # a player's dice never settles or places anything
        assert (await conn.execute(text("SELECT count(*) FROM bets"))).scalar_one() == bets


@FUZZ
@given(
    who=st.sampled_from(SENDERS[:-1]),
    payload=st.one_of(_PAYLOAD, st.none()),  # None: the real invoice of 50 XTR to "known"
    amount=st.one_of(st.just(50), _NUMBERS),
    currency=st.one_of(st.just("XTR"), _CURRENCY),
    charge=st.one_of(st.text(max_size=300), st.uuids().map(str)),
    paid=st.booleans(),
)
async def test_any_checkout_or_payment(
    who, payload, amount, currency, charge, paid, senders, deliver
):
    sender = senders(who)
    real = payload is None
    payload = senders.invoice if real else payload
    if paid:
        await deliver(_paid(sender, charge, payload, amount, currency))
        return
    calls = await deliver(_pre_checkout(sender, payload, amount, currency))
    answers = [c for c in calls if isinstance(c, AnswerPreCheckoutQuery)]
    assert len(answers) == 1, "every checkout gets exactly one answer"
    # Only the invoice's own payer, amount and currency pass.
    assert answers[0].ok == (real and who == "known" and amount == 50 and currency == "XTR")


# --- what the fuzzing found, and edges worth keeping in every run -----------------------------

_EDGES = (
    "/withdraw ² UQBx-wallet",  # isdigit() but not int(): was an unexpected ValueError
    "/withdraw ١٢٣ UQBx-wallet",
    f"/withdraw {2**63} UQBx-wallet",
    f"/withdraw {10**30} UQBx-wallet",
    "/withdraw 10 " + "w" * 5000,
    "/withdraw 10 UQBx\x00wallet",
    "/clientseed " + "s" * 5000,
    "/clientseed \x00",
    "/start ref_" + "r" * 5000,
    "/start " + "\x00",
    "/start \u2003 ",  # nothing but whitespace after the command: was an IndexError
    f"/withdraw@{BOT_USER.username} 10 UQBx-wallet",
    "/limits@other_bot",
)


@pytest.mark.parametrize("words", _EDGES)
@pytest.mark.parametrize("who", ["known", "known_ru", "stranger"])
async def test_edges_of_commands(who, words, senders, deliver):
    await deliver(_message(senders(who), text=words))


@pytest.mark.parametrize("who", ["bot", "nobody"])
async def test_a_message_from_no_person_reaches_no_handler_and_is_answered(
    who, senders, deliver, engine
):
    sender = senders(who)
    async with engine.connect() as conn:
        players = (await conn.execute(text("SELECT count(*) FROM players"))).scalar_one()
    for words in ("/start", "/limits", "/withdraw 10 UQBx-wallet", "hello"):
        calls = await deliver(_message(sender, text=words))
        assert [c.text for c in calls if isinstance(c, SendMessage)] == [
            "I serve people writing in their own name only: message me in a private chat."
        ]
    if sender.user is not None:
        calls = await deliver(_tap(sender, Menu(action="balance").pack(), shown=True))
        (alert,) = [c for c in calls if isinstance(c, AnswerCallbackQuery)]
        assert alert.show_alert
        assert "people" in alert.text
    async with engine.connect() as conn:  # nobody was registered
        assert (await conn.execute(text("SELECT count(*) FROM players"))).scalar_one() == players


@pytest.mark.parametrize(("charge", "payload"), [("c\x00", None), ("c", "\x00"), ("c", "p\x00")])
@pytest.mark.parametrize("who", ["known", "stranger"])
async def test_a_payment_with_a_nul_is_refunded_and_flagged_not_failed(
    who, charge, payload, senders, deliver
):
    """Hypothesis found it: a payload with a NUL failed the invoice lookup inside the
    transaction, the mismatch was caught as bad input, and the risk flag's insert then met an
    aborted transaction (the update failed, an error logged). `deliver` fails on that log."""
    sender = senders(who)
    await deliver(_paid(sender, charge, payload or senders.invoice, 50, "XTR"))
