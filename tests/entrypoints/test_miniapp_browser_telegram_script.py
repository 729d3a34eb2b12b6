"""Telegram's Mini App script on the page (CROUPIER_MINIAPP_TELEGRAM_SCRIPT; docs/miniapp.md,
"Mini App page"), in headless Chromium against the real app, never on the network: the page
asks for https://telegram.org/js/telegram-web-app.js (answered here by a stand-in that defines
`Telegram.WebApp` as the client's script does) and then uses it: the launch data and theme
from it, Telegram's back button shown off the lobby, a theme change followed, a Stars deposit
through `openInvoice`. When the script does not load at all (refused), the page still opens,
from its URL fragment. Screenshot: telegram-script-deposit-dark.png."""

from __future__ import annotations

import json
import time

import pytest

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    TELEGRAM_SCRIPT,
    THEMES,
    WAIT_MS,
    funded_player,
    init_data,
    launch_url,
    open_app,
    shoot,
)
from tests.entrypoints.test_miniapp_browser_deposit import live_server  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

browser = kit.browser
shots = kit.shots


def _stand_in(launch: str) -> str:
    """What Telegram's script gives the page inside Telegram, recording what the page does."""
    return f"""
    window.__tg = {{ invoices: [], back: [], events: {{}} }};
    window.Telegram = {{ WebApp: {{
      initData: {json.dumps(launch)},
      themeParams: {json.dumps(THEMES["dark"])},
      ready() {{}}, expand() {{}},
      onEvent(name, handler) {{ window.__tg.events[name] = handler; }},
      BackButton: {{
        show() {{ window.__tg.back.push("show"); }},
        hide() {{ window.__tg.back.push("hide"); }},
        onClick() {{}},
      }},
      openInvoice(url, callback) {{
        window.__tg.invoices.push(url);
        setTimeout(() => callback("paid"), 10);
      }},
      openTelegramLink() {{}},
    }} }};
    """


async def test_the_page_loads_telegrams_script_and_uses_it(
    live_server,  # noqa: F811
    browser,
    adjust,
    new_telegram_id,
    shots,
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=100)
    opened = await open_app(browser, live_server, player, "dark")
    page = opened.page
    launch = init_data(player.telegram_id, player.name)
    body = _stand_in(launch)

    asked: list[str] = []

    async def script(route) -> None:
        asked.append(route.request.url)
        await route.fulfill(status=200, content_type="text/javascript", body=body)

    await opened.context.route(TELEGRAM_SCRIPT, script)
    # No launch data in the URL: the session can only come from the script's Telegram.WebApp.
    await page.goto(f"{live_server.url}/app/")
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(page.locator("html")).to_have_attribute("data-scheme", "dark")
    await page.get_by_role("button", name="Deposit").click()
    await page.get_by_role("button", name="No limit for now").click()
    assert (await page.evaluate("window.__tg.back")).count("show") >= 1
    await page.get_by_role("button", name="100 ⭐", exact=True).click()
    await expect(page.locator("#deposit-note")).to_contain_text("Paid.")
    invoices = await page.evaluate("window.__tg.invoices")
    assert len(invoices) == 1
    assert invoices[0].startswith("https://t.me/$fake-invoice-")
    await shoot(page, shots, "telegram-script-deposit-dark")
    # The player switches Telegram to its light theme: the page follows.
    await page.evaluate(
        f"""Telegram.WebApp.themeParams = {json.dumps(THEMES["light"])};
        window.__tg.events.themeChanged()"""
    )
    await expect(page.locator("html")).to_have_attribute("data-scheme", "light")
    assert asked == [TELEGRAM_SCRIPT]  # asked once
    assert opened.outside == []  # and nothing else off this machine
    assert opened.errors == []
    await opened.context.close()


async def test_without_telegrams_script_loading_the_page_still_opens(
    live_server,  # noqa: F811
    browser,
    adjust,
    new_telegram_id,
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=10)
    opened = await open_app(browser, live_server, player, "light")
    await opened.context.route(TELEGRAM_SCRIPT, lambda route: route.abort())
    started = time.monotonic()
    await opened.page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
    await expect(
        opened.page.get_by_role("button", name="I am 18+ and accept the terms")
    ).to_be_visible()
    # At most the page's wait for the script (2.5 s) beside the page's own start.
    assert time.monotonic() - started < WAIT_MS / 1000
    assert opened.errors == []
    await opened.context.close()
