"""The Mini App's VIP screen (issue 22) in headless Chromium against the real routes: a player
who wagered 7,500 XTR is Silver, sees their progress to Gold, claims their rakeback once (the
button goes, the balance grows) and takes the daily play-money bonus; a player on a break
sees no VIP button in the lobby at all. Screenshots: vip-silver.png (light),
vip-claimed.png (light), vip-on-a-break.png (light)."""

from __future__ import annotations

import functools
import uuid

import httpx
import pytest
from sqlalchemy import text

from entrypoints.settings import Settings
from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    WAIT_MS,
    funded_player,
    launch_url,
    open_app,
    shoot,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

live_server = kit.live_server
browser = kit.browser
shots = kit.shots


@pytest.fixture(autouse=True)
def no_settlement_grace(monkeypatch):
    # The bets a test just placed are claimable at once (the grace is tested on fakes).
    monkeypatch.setattr(kit, "Settings", functools.partial(Settings, rakeback_settle_grace_s=0))


async def _read(engine, select: str, player, where: str = "TRUE"):
    """One value of the player's rows (`select` names the table; `where` narrows it)."""
    async with engine.connect() as conn:
        query = text(f"{select} WHERE player_id = :p AND {where}")
        return (await conn.execute(query, {"p": player.player_id})).scalar_one()


async def _accepted(browser, live_server, player, theme):
    opened = await open_app(browser, live_server, player, theme)
    await opened.page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await opened.page.get_by_role("button", name="I am 18+ and accept the terms").click()
    return opened


async def test_a_silver_player_claims_rakeback_once_and_takes_the_daily_bonus(
    live_server, browser, adjust, fund_bankroll, new_telegram_id, shots, engine
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=20_000)
    opened = await _accepted(browser, live_server, player, "light")
    page = opened.page
    await expect(page.locator("#open-vip")).to_be_visible()
    # Three coin flips of 2,500 ⭐ through the Mini App's own route (its session, its seeds).
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        for _ in range(3):
            play = {
                "game": "coin",
                "stake": 2_500,
                "currency": "XTR",
                "params": {"side": "heads"},
                "request_id": str(uuid.uuid4()),
            }
            assert (await api.post("/api/v1/app/play", json=play)).status_code == 200
    edge = await _read(engine, "SELECT sum(stake * house_edge) FROM bets", player)
    owed = int(edge / 10)  # Silver: 10% of the edge, floored
    await page.locator("#open-vip").click()
    await expect(page.locator("#vip-level")).to_have_text("Silver")
    await expect(page.locator("#vip-wagered")).to_have_text("Wagered in the last 30 days: 7,500 ⭐")
    await expect(page.locator("#vip-next")).to_have_text(
        "42,500 ⭐ more to reach Gold (15% rakeback)"
    )
    claim = page.locator("#vip-claim-XTR")
    await expect(claim).to_have_text(f"Claim {owed} ⭐")
    await shoot(page, shots, "vip-silver")

    await claim.click()
    await expect(page.locator("#vip-note")).to_have_text(
        f"{owed} ⭐ of rakeback is in your balance. Thank you for playing!"
    )
    await expect(claim).to_have_count(0)
    # The header shows the wallet with the rakeback in it.
    wallet = await _read(
        engine,
        "SELECT balance FROM accounts",
        player,
        "currency = 'XTR' AND kind = 'player_wallet'",
    )
    await expect(page.locator("#balance")).to_have_text(str(wallet))
    await expect(page.locator("#vip-nothing")).to_be_visible()
    await page.locator("#vip-daily").click()
    await expect(page.locator("#vip-note")).to_have_text(
        "100 FUN of play money is in your balance. Come back tomorrow!"
    )
    await expect(page.locator("#vip-daily")).to_be_hidden()
    await expect(page.locator("#vip-daily-text")).to_contain_text("Today's bonus is taken")
    paid = await _read(engine, "SELECT sum(amount) FROM rakeback_claims", player)
    assert paid == owed
    await shoot(page, shots, "vip-claimed")
    assert opened.errors == []
    await opened.context.close()


async def test_a_player_on_a_break_sees_no_vip_button(
    live_server, browser, adjust, new_telegram_id, shots, uow_factory, clock
):
    from playwright.async_api import expect

    from application.responsible import StartTimeout
    from domain.responsible import TimeoutPeriod

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust)
    opened = await _accepted(browser, live_server, player, "light")
    page = opened.page
    await expect(page.locator("#open-vip")).to_be_visible()
    await StartTimeout(uow_factory, clock)(player.player_id, TimeoutPeriod.DAY)
    await page.reload()
    await expect(page.locator("#lobby")).to_be_visible()
    await expect(page.locator("#open-history")).to_be_visible()
    await expect(page.locator("#open-vip")).to_be_hidden()
    await expect(page.locator("#message")).to_be_hidden()
    await shoot(page, shots, "vip-on-a-break")
    assert opened.errors == []
    await opened.context.close()
