"""The Mini App's deposit screen (issue 24), in headless Chromium against the real routes, with
Telegram's WebApp object stood in for (it records `openInvoice` and `openTelegramLink`, and
answers the payment form's status): the prompt at the first deposit comes first; "No limit
for now" opens the screen; an amount chip asks for a Stars invoice, Telegram's form opens with
the link the Bot API (a fake) gave, and its status is shown while the balance stays as it was
(the Stars come only with Telegram's payment); a USDT invoice is made once however often
"Create the invoice" is tapped, and its pay link opens @CryptoBot; an invoice "being created"
by a twin request is asked again once by the page. Screenshots:
deposit-prompt-*.png, deposit-stars-*.png, deposit-crypto-*.png (in $CROUPIER_SHOTS_DIR)."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.door_cases_crypto import CRYPTO_SETTINGS, GATEWAY, FakeCryptoPay
from tests.entrypoints.miniapp_browser_kit import (
    THEMES,
    WAIT_MS,
    funded_player,
    init_data,
    launch_url,
    open_app,
    page_settings,
    serving,
    shoot,
)
from tests.entrypoints.telegram_fakes import FakeTelegram

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

browser = kit.browser
shots = kit.shots


@pytest.fixture
async def live_server(servers, tmp_path):
    """The real app with Crypto Pay on (the in-memory provider) and its bot's Bot API a fake,
    which gives the Stars payment links."""
    from entrypoints.bot.runtime import TelegramRuntime
    from entrypoints.composition.containers import make_http_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.http.app import create_app

    settings = page_settings(tmp_path, **CRYPTO_SETTINGS)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(settings, endpoints, FakeCryptoPay())
    runtime = await container.get(TelegramRuntime)
    assert runtime.bot is not None
    runtime.bot.session = FakeTelegram()
    async with serving(create_app(container), settings) as live:
        yield live


def _telegram_web_app(launch: str, theme: str, status: str) -> str:
    """Telegram.WebApp as the client gives it, recording what the page opens."""
    return f"""
    window.__opened = {{ invoices: [], links: [] }};
    window.Telegram = {{ WebApp: {{
      initData: {json.dumps(launch)},
      themeParams: {json.dumps(THEMES[theme])},
      ready() {{}}, expand() {{}},
      BackButton: {{ show() {{}}, hide() {{}}, onClick() {{}} }},
      openInvoice(url, callback) {{
        window.__opened.invoices.push(url);
        setTimeout(() => callback({json.dumps(status)}), 10);
      }},
      openTelegramLink(url) {{ window.__opened.links.push(url); }},
    }} }};
    """


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_prompt_then_stars_and_crypto_from_the_deposit_screen(
    theme, live_server, browser, adjust, new_telegram_id, shots
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=250)
    opened = await open_app(browser, live_server, player, theme)
    page = opened.page
    status = "paid" if theme == "light" else "cancelled"
    launch = init_data(player.telegram_id, player.name)
    await opened.context.add_init_script(_telegram_web_app(launch, theme, status))
    await page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await page.get_by_role("button", name="Deposit").click()

    # The prompt at the first deposit, before any amount.
    await expect(page.locator("#deposit-prompt")).to_be_visible()
    await expect(page.locator("#deposit-forms")).to_be_hidden()
    await shoot(page, shots, f"deposit-prompt-{theme}")
    await page.get_by_role("button", name="No limit for now").click()

    # Stars: a chip asks for the invoice; Telegram's form opens with the Bot API's link.
    await expect(page.locator("#deposit-forms")).to_be_visible()
    await expect(page.locator("#deposit-prompt")).to_be_hidden()
    await page.get_by_role("button", name="100 ⭐", exact=True).click()
    words = "Paid. Your balance updates in a moment." if status == "paid" else "Payment cancelled."
    await expect(page.locator("#deposit-note")).to_contain_text(words)
    invoices = await page.evaluate("window.__opened.invoices")
    assert len(invoices) == 1
    assert invoices[0].startswith("https://t.me/$fake-invoice-")
    await expect(page.locator("#balance")).to_have_text("250")  # nothing credited by the page
    await shoot(page, shots, f"deposit-stars-{theme}")

    # Crypto: 12.5 USDT, tapped twice: one invoice at Crypto Pay, its link into @CryptoBot.
    before = len(GATEWAY.created)
    await page.locator("#deposit-crypto-amount").fill("12.5")
    await page.get_by_role("button", name="Create the invoice").click()
    invoice = page.locator("#deposit-crypto-invoice")
    await expect(invoice).to_contain_text("Invoice for 12.5 USDT")
    await page.get_by_role("button", name="Create the invoice").click()
    await expect(invoice).to_contain_text("Invoice for 12.5 USDT")
    assert len(GATEWAY.created) == before + 1
    await page.get_by_role("button", name="Pay in @CryptoBot").click()
    links = await page.evaluate("window.__opened.links")
    assert len(links) == 1
    assert links[0].startswith("https://t.me/CryptoBot?start=IV")
    await shoot(page, shots, f"deposit-crypto-{theme}")

    async with httpx.AsyncClient(base_url=live_server.url) as api:
        balances = await api.get("/api/v1/app/balances", headers=player.headers)
    assert {b["currency"]: b["amount"] for b in balances.json()["balances"]}.get("XTR") == 250
    assert opened.errors == []
    await opened.context.close()


async def test_a_refusal_in_the_players_language(live_server, browser, new_telegram_id, shots):
    """A Russian player on a time-out (the prompt answered before it): the Stars invoice is
    refused by the use case and the page says why in Russian (problems.js), Telegram's form
    never opens. Screenshot: deposit-refused-ru.png."""
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    telegram_id = new_telegram_id()
    launch = init_data(telegram_id, "Иван", "ru")
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        opened = await api.post("/api/v1/app/session", json={"init_data": launch})
        assert opened.status_code == 201, opened.text
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        for path, body in [
            ("/api/v1/app/terms", {}),
            ("/api/v1/app/deposit/no-limit", {}),
            ("/api/v1/app/timeout", {"period": "24h"}),
        ]:
            done = await api.post(path, json=body, headers=headers)
            assert done.is_success, done.text
    player = kit.Player(telegram_id, opened.json()["player_id"], headers, "Иван")
    page_open = await open_app(browser, live_server, player, "light")
    page = page_open.page
    await page_open.context.add_init_script(_telegram_web_app(launch, "light", "paid"))
    await page.goto(f"{live_server.url}/app/")
    await page.get_by_role("button", name="Пополнить").click()
    await expect(page.locator("#deposit-forms")).to_be_visible()
    await page.get_by_role("button", name="50 ⭐", exact=True).click()
    await expect(page.locator("#message")).to_contain_text("У вас перерыв до")
    assert await page.evaluate("window.__opened.invoices") == []
    await shoot(page, shots, "deposit-refused-ru")
    assert page_open.errors == []
    await page_open.context.close()


async def test_without_telegrams_script_the_page_opens_the_link_itself(
    live_server, browser, adjust, new_telegram_id
):
    """The page as it is served (launch data in the URL fragment, no Telegram.WebApp): the
    Stars link is opened by the page, for the client to show its payment form."""
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=10)
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    await opened.context.add_init_script(
        "window.__links = []; window.open = (url) => { window.__links.push(url); return null; };"
    )
    await page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await page.get_by_role("button", name="Deposit").click()
    await page.get_by_role("button", name="No limit for now").click()
    await page.get_by_role("button", name="500 ⭐", exact=True).click()
    await expect(page.locator("#deposit-note")).to_contain_text("Telegram opens the payment form")
    links = await page.evaluate("window.__links")
    assert len(links) == 1
    assert links[0].startswith("https://t.me/$fake-invoice-")
    assert opened.errors == []
    await opened.context.close()


@pytest.mark.parametrize("twin_done", [True, False])
async def test_a_crypto_invoice_being_created_is_asked_again_once(
    live_server, browser, adjust, new_telegram_id, twin_done
):
    """The route answers 409 `crypto_invoice_being_created` (a twin request of the same id is
    creating the invoice; docs/payments-crypto.md, "A double tap"): the page asks once more by
    itself with the same request id and shows the invoice; if that too is "being created",
    it says so in the player's words, and the next tap still uses the same id."""
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=10)
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    launch = init_data(player.telegram_id, player.name)
    await opened.context.add_init_script(_telegram_web_app(launch, "light", "paid"))
    sent: list[str] = []
    busy = json.dumps(
        {
            "type": "urn:croupier:problem:crypto_invoice_being_created",
            "title": "InvoiceBeingCreated",
            "status": 409,
            "detail": "this deposit is being created; try again in a moment",
            "code": "crypto_invoice_being_created",
            "reason": "crypto_invoice_being_created",
        }
    )

    async def twin(route) -> None:
        sent.append(json.loads(route.request.post_data or "{}")["request_id"])
        if len(sent) < (2 if twin_done else 3):
            await route.fulfill(status=409, content_type="application/problem+json", body=busy)
        else:
            await route.continue_()

    await page.route("**/api/v1/app/deposit/crypto", twin)
    await page.goto(f"{live_server.url}/app/")
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await page.get_by_role("button", name="Deposit").click()
    await page.get_by_role("button", name="No limit for now").click()
    await page.locator("#deposit-crypto-amount").fill("7")
    await page.get_by_role("button", name="Create the invoice").click()
    invoice = page.locator("#deposit-crypto-invoice")
    if not twin_done:
        await expect(page.locator("#message")).to_contain_text(
            "Your deposit is being created right now"
        )
        assert len(sent) == 2
        await page.get_by_role("button", name="Create the invoice").click()
    await expect(invoice).to_contain_text("Invoice for 7 USDT")
    assert len(set(sent)) == 1  # one request id throughout: one invoice
    assert len(sent) == (2 if twin_done else 3)
    assert opened.errors == []
    await opened.context.close()
