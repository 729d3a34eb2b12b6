"""The prompt at the first deposit (issue 23, UKGC RTS 12) on every road, through the Dispatcher:
an amount button on an old screen shows the prompt, never an invoice, until the player answers;
"💳 Continue to deposit" follows a deposit limit only on the deposit's road (the prompt), never
from 🛡 Limits, by button or typed; a Care button sent before `origin` still works; the bot's
handlers are the only doors to a Stars or crypto invoice, each asking `prompt_instead` (the
crypto road's own tests: test_bot_crypto_deposit.py).
Transcript: .croupier/test/transcripts/bot-deposit-prompt-roads-en.txt."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery, SendInvoice

from application.crypto_pay import DepositInCrypto
from application.onboarding import AcceptTerms, StartPlayer
from application.payments import CreateStarsInvoice, OfferStarsInvoiceLink
from application.ports import CryptoPayConfig
from application.responsible import (
    AnswerDepositPrompt,
    DepositPromptDue,
    ResponsibleGamblingGuard,
)
from domain.payments import InvoiceWording
from domain.responsible import DepositLimitPromptDue
from entrypoints.bot.deposit_prompt import DepositPromptAnswer
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import FROM_DEPOSIT, Care, Deposit, Menu
from tests.entrypoints.bot_chat import buttons, chat  # noqa: F401
from tests.entrypoints.door_cases_crypto import GATEWAY
from tests.fake_players import FakeStarsInvoiceLinks

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

DEPOSIT = Menu(action="deposit").pack()
OLD_AMOUNT = Deposit(amount=100).pack()


async def test_an_amount_button_on_an_old_screen_shows_the_prompt_not_an_invoice(
    ready_player,
    chat,  # noqa: F811
    telegram,
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    # An amount screen from before the prompt existed, scrolled back to: no invoice.
    await me.tap("100 ⭐ (an old screen)", OLD_AMOUNT)
    assert not telegram.of(SendInvoice)
    assert me.shown().text == t("deposit_prompt.ask")
    assert buttons(me.shown())[t("deposit_prompt.no_limit")] == DepositPromptAnswer().pack()

    await me.tap(t("deposit_prompt.no_limit"), DepositPromptAnswer().pack())
    await me.tap("100 ⭐ (the same old screen)", OLD_AMOUNT)  # answered: the invoice comes
    (invoice,) = telegram.of(SendInvoice)
    assert invoice.prices[0].amount == 100
    me.write("bot-deposit-prompt-roads-en.txt")


async def test_the_use_cases_refusal_shows_the_prompt_screen_in_the_bot(
    ready_player,
    chat,  # noqa: F811
    telegram,
    monkeypatch,
):
    """Should the handler's own look miss it (a deposit limit removed between the look and the
    invoice; here the look is made to miss), the use case refuses with DepositLimitPromptDue
    and the bot shows the prompt's screen, never an invoice nor an apology."""
    t = Translator("en")
    me = chat(await ready_player("en"))

    async def never_due(self, player_id: int) -> bool:
        return False

    monkeypatch.setattr(DepositPromptDue, "__call__", never_due)
    await me.tap("100 ⭐", OLD_AMOUNT)
    assert not telegram.of(SendInvoice)
    assert me.shown().text == t("deposit_prompt.ask")
    assert buttons(me.shown())[t("deposit_prompt.no_limit")] == DepositPromptAnswer().pack()
    alerts = [c for c in telegram.of(AnswerCallbackQuery) if c.show_alert]
    assert alerts == []


async def test_a_player_who_may_not_deposit_hears_why_not_the_prompt(
    ready_player,
    chat,  # noqa: F811
    telegram,
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    await me.tap(t("care.timeout"), Care(action="timeout").pack())
    await me.tap(t("care.period.24h"), Care(action="timeout_ask", period="24h").pack())
    await me.tap(t("care.yes_sure"), Care(action="timeout_go", period="24h").pack())
    await me.tap("100 ⭐ (an old screen)", OLD_AMOUNT)
    alert = telegram.of(AnswerCallbackQuery)[-1]
    assert alert.show_alert  # the time-out, as before the prompt existed
    assert alert.text
    assert t("deposit_prompt.ask") not in [c.text for c in telegram.calls if hasattr(c, "text")]
    assert not telegram.of(SendInvoice)


@pytest.mark.parametrize("typed", [False, True])
async def test_a_deposit_limit_from_the_limits_screen_never_offers_the_deposit(
    ready_player,
    chat,  # noqa: F811
    typed,
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    await me.tap(t("care.kind.deposit"), Care(action="kind", kind="deposit").pack())
    period = Care(action="period", kind="deposit", period="24h").pack()
    assert buttons(me.shown())[t("care.period.24h")] == period  # no origin on this road
    await me.tap(t("care.period.24h"), period)
    if typed:
        await me.tap(
            t("limit_typing.button"), Care(action="type", kind="deposit", period="24h").pack()
        )
        await me.say("250")
    else:
        await me.tap("500 ⭐", Care(action="set", kind="deposit", period="24h", value=500).pack())
    shown = buttons(me.shown())
    assert t("deposit_prompt.continue") not in shown
    assert DEPOSIT not in shown.values()
    assert shown[t("menu.back")] == Menu(action="main").pack()


@pytest.mark.parametrize("typed", [False, True])
async def test_a_deposit_limit_from_the_prompt_offers_the_deposit(
    ready_player,
    chat,  # noqa: F811
    typed,
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.deposit"), DEPOSIT)
    period = Care(action="period", kind="deposit", period="24h", origin=FROM_DEPOSIT).pack()
    assert buttons(me.shown())[t("care.period.24h")] == period
    await me.tap(t("care.period.24h"), period)
    if typed:
        ask = Care(action="type", kind="deposit", period="24h", origin=FROM_DEPOSIT).pack()
        await me.tap(t("limit_typing.button"), ask)
        await me.say("250")
    else:
        button = Care(action="set", kind="deposit", period="24h", value=500, origin=FROM_DEPOSIT)
        await me.tap("500 ⭐", button.pack())
    assert buttons(me.shown())[t("deposit_prompt.continue")] == DEPOSIT


async def test_a_limits_button_sent_before_the_origin_still_works(
    ready_player,
    chat,  # noqa: F811
):
    t = Translator("en")
    me = chat(await ready_player("en"))
    await me.tap(t("menu.limits"), Menu(action="limits").pack())
    # "r:period:deposit:24h:0", as the keyboards packed it before `origin`.
    old = "r:period:deposit:24h:0"
    assert Care.unpack(old) == Care(action="period", kind="deposit", period="24h")
    await me.tap(t("care.period.24h"), old)
    assert t("limit_typing.button") in buttons(me.shown())  # the amounts, not "unknown button"


def _naming(name: str) -> list[str]:
    """The modules under src/entrypoints (the composition root aside) that name `name`."""
    return sorted(
        str(path)
        for path in Path("src/entrypoints").rglob("*.py")
        if "composition" not in path.parts
        and any(
            isinstance(node, ast.Name) and node.id == name
            for node in ast.walk(ast.parse(path.read_text()))
        )
    )


# Every door that makes a deposit invoice, and the test that shows the prompt there. The rule
# itself is the use cases' (below): a door only words it (the bot's prompt screen, the Mini
# App's limit choice).
DOORS = {
    "src/entrypoints/bot/handlers/payments.py": (
        "tests/entrypoints/test_bot_deposit_prompt_roads.py",
        "test_an_amount_button_on_an_old_screen_shows_the_prompt_not_an_invoice",
    ),
    "src/entrypoints/bot/handlers/crypto_deposit.py": (
        "tests/entrypoints/test_bot_crypto_deposit.py",
        "test_old_usdt_buttons_show_the_prompt_not_an_invoice_until_answered",
    ),
    "src/entrypoints/http/miniapp_deposit.py": (
        "tests/entrypoints/test_http_miniapp_deposit.py",
        "test_the_prompt_comes_first_then_a_stars_link_for_the_recorded_invoice",
    ),
}
USE_CASES = ("CreateStarsInvoice", "OfferStarsInvoiceLink", "DepositInCrypto")


def test_every_door_to_a_deposit_invoice_is_known_and_shows_the_prompt():
    """A new door to a deposit invoice fails here until it is listed with the test showing
    what its player sees when the use case answers `DepositLimitPromptDue` (and it joins the
    door x rule matrix). The bot's handlers also show the prompt before the use case is
    asked (`prompt_instead`), so an old button never reaches it."""
    doors = sorted({door for use_case in USE_CASES for door in _naming(use_case)})
    assert doors == sorted(DOORS)
    for door, (test_file, test_name) in DOORS.items():
        tests = {
            node.name
            for node in ast.walk(ast.parse(Path(test_file).read_text()))
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
        }
        assert test_name in tests, f"{door}: {test_file}::{test_name} is gone"
    for door in DOORS:
        if "/bot/" in door:
            assert door in _naming("prompt_instead")


@pytest.mark.parametrize("use_case", USE_CASES)
async def test_the_use_cases_hold_the_prompt_for_every_door(
    use_case, uow_factory, clock, ids, new_telegram_id
):
    """On PostgreSQL: each use case a door calls refuses a player owing the prompt (nothing
    recorded, neither Telegram nor Crypto Pay asked), and lets the same request through once
    "No limit for now" is answered."""
    started = await StartPlayer(uow_factory, clock)(new_telegram_id(), username=None, language="en")
    player_id = started.player.id
    await AcceptTerms(uow_factory, clock)(player_id)
    guard = ResponsibleGamblingGuard()
    stars = CreateStarsInvoice(uow_factory, clock, ids, guard)
    # The matrix's provider, shared: its invoice ids stay unique in the process's database.
    links, provider, before = FakeStarsInvoiceLinks(), GATEWAY, len(GATEWAY.created)
    crypto = DepositInCrypto(uow_factory, clock, ids, guard, provider, CryptoPayConfig(True))
    wording = InvoiceWording("100 ⭐", "A top-up", "Top-up")
    calls = {
        "CreateStarsInvoice": lambda: stars(player_id, 100),
        "OfferStarsInvoiceLink": lambda: OfferStarsInvoiceLink(stars, links)(
            player_id, 100, wording
        ),
        "DepositInCrypto": lambda: crypto(player_id, "USDT", 5_000_000, "tap"),
    }
    with pytest.raises(DepositLimitPromptDue):
        await calls[use_case]()
    assert (links.asked, provider.created[before:]) == ([], [])
    async with uow_factory() as uow:
        assert await uow.responsible.deposit_prompt_due(player_id)
    await AnswerDepositPrompt(uow_factory, clock)(player_id)
    assert await calls[use_case]() is not None
