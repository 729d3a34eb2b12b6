"""The Mini App's rules panel (UKGC RTS 3) in headless Chromium: opening a game shows a folded
"ℹ️ Rules" under its title, and opened it says the RTP and house edge the server computed for
the game at its configured edge (GET /api/v1/app/games/{code}/rules), the biggest win and the
fairness line. Screenshot: rules-coin.png (light)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from sqlalchemy import text

from domain.games.catalog import GAMES
from domain.games.rules import game_rules, percent
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


async def test_a_game_shows_its_rules_before_a_bet(
    live_server, browser, adjust, fund_bankroll, new_telegram_id, shots, engine
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=1000)
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(page.locator("#lobby")).to_be_visible()

    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT house_edge FROM games WHERE code = 'coin'"))
        edge = Fraction(found.scalar_one())
    rules = game_rules(GAMES["coin"], edge)
    rtp, house = percent(rules.rtp_low), percent(rules.house_edge_high, up=True)

    await page.locator("#play-coin").click()
    panel = page.locator("#rules-coin")
    await expect(panel).to_be_visible()
    await panel.locator("summary").click()
    await expect(panel.locator(".rules-rtp")).to_have_text(
        f"Return to player: {rtp}% · house edge: {house}%"
    )
    await expect(panel).to_contain_text("Biggest win: ×")
    await expect(panel).to_contain_text("Provably fair")
    await shoot(page, shots, "rules-coin")
    assert opened.errors == []
    await opened.context.close()
