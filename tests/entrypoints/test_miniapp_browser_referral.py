"""The Mini App's referral screen (issue 22), in headless Chromium against the real routes: a
friend opens the app from the referrer's link (`start_param` ref_<code>, signed in initData)
and deposits; the referrer's lobby offers "Invite friends", whose screen shows the link, one
friend and this week's commission so far. After a time-out the button is gone. Screenshots:
referral-light.png, referral-dark.png (in $CROUPIER_SHOTS_DIR)."""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import urlencode

import httpx
import pytest

from domain.webapp import sign
from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    BOT_TOKEN,
    WAIT_MS,
    funded_player,
    launch_url,
    open_app,
    page_settings,
    serving,
    shoot,
)
from tests.entrypoints.telegram_fakes import BOT_USER, FakeTelegram

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

browser = kit.browser
shots = kit.shots


@pytest.fixture
async def live_server(servers, tmp_path):
    """The real app with a referral programme (10% of friends' deposits, up to 10,000 ⭐ a
    week); its bot answers Telegram's getMe from a fake, so the link has the bot's name."""
    from entrypoints.bot.runtime import TelegramRuntime
    from entrypoints.composition.containers import make_http_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.http.app import create_app

    settings = page_settings(
        tmp_path,
        referral_basis="deposits",
        referral_share_bps=1_000,
        referral_caps={"XTR": 10_000},
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_http_container(settings, endpoints)
    runtime = await container.get(TelegramRuntime)
    assert runtime.bot is not None
    runtime.bot.session = FakeTelegram()
    async with serving(create_app(container), settings) as live:
        yield live


def _launch_with_start_param(user_id: int, start_param: str) -> str:
    fields = {
        "query_id": secrets.token_hex(8),
        "user": json.dumps({"id": user_id, "first_name": "Bob", "language_code": "en"}),
        "auth_date": str(int(time.time()) - 5),
        "start_param": start_param,
    }
    return urlencode({**fields, "hash": sign(fields, BOT_TOKEN)})


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_referrer_sees_the_link_a_friend_and_the_commission(
    theme, live_server, browser, adjust, credit, new_telegram_id, shots, uow_factory, clock
):
    from playwright.async_api import expect

    from application.postings import CreditDepositCommand
    from application.responsible import StartTimeout
    from domain.money import XTR, Money
    from domain.responsible import TimeoutPeriod

    expect.set_options(timeout=WAIT_MS)
    referrer = await funded_player(live_server, new_telegram_id(), adjust, stars=100)
    async with uow_factory() as uow:
        preferences = await uow.preferences.get(referrer.player_id)
    assert preferences is not None
    code = preferences.referral_code
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        friend = await api.post(
            "/api/v1/app/session",
            json={"init_data": _launch_with_start_param(new_telegram_id(), f"ref_{code}")},
        )
        assert friend.status_code == 201, friend.text
        friend_id = friend.json()["player_id"]
        terms = await api.post(
            "/api/v1/app/terms",
            json={},
            headers={"Authorization": f"Bearer {friend.json()['token']}"},
        )
        assert terms.status_code == 200, terms.text
    await credit(CreditDepositCommand(friend_id, Money(1_500, XTR), f"ref-{secrets.token_hex(6)}"))

    opened = await open_app(browser, live_server, referrer, theme)
    page = opened.page
    await page.goto(launch_url(live_server, referrer.telegram_id, referrer.name, theme))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await page.get_by_role("button", name="Invite friends").click()
    await expect(page.locator("#referral")).to_be_visible()
    link = f"https://t.me/{BOT_USER.username}?start=ref_{code}"
    await expect(page.locator("#referral-link")).to_have_text(link)
    stats = page.locator("#referral-stats")
    await expect(stats).to_contain_text("Friends invited1")
    await expect(stats).to_contain_text("This week so far150 ⭐")
    await expect(page.locator("#referral-rule")).to_contain_text("10% of your friends' deposits")
    await shoot(page, shots, f"referral-{theme}")

    # A player in a time-out sees nothing about referrals, and the route refuses.
    await StartTimeout(uow_factory, clock)(referrer.player_id, TimeoutPeriod("24h"))
    await page.reload()
    await expect(page.locator("#lobby")).to_be_visible()
    await expect(page.locator("#open-referral")).to_be_hidden()
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        refused = await api.get("/api/v1/app/referral", headers=referrer.headers)
    assert (refused.status_code, refused.json()["code"]) == (409, "responsible_gambling")
    assert opened.errors == []
    await opened.context.close()
