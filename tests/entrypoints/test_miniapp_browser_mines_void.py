"""The Mini App's mines screen offers the stake back before the first tile (issue 25), in
headless Chromium against the real routes: a player opens a game, takes a time-out elsewhere,
presses a tile and is told why it is refused and that the stake can come back; the "Take my
stake back" button returns it. Screenshots, light and dark: mines-void-offered-*.png (the
refusal and the button), mines-void-done-*.png (the game ended, its stake back)."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_a_timed_out_player_takes_the_stake_back(
    theme,
    live_server,
    browser,
    adjust,
    fund_bankroll,
    new_telegram_id,
    shots,
    uow_factory,
    clock,
):
    from playwright.async_api import expect

    from application.responsible import StartTimeout
    from domain.responsible import TimeoutPeriod

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust)
    opened = await open_app(browser, live_server, player, theme)
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await page.locator("#play-mines").click()
    await page.locator("#mines-stake").fill("10")
    await page.locator("#mines-count").fill("3")
    await page.locator("#mines-start").click()
    await expect(page.locator("#mines-setup")).to_be_hidden()
    take_back = page.locator("#mines-void")
    await expect(take_back).to_be_visible()
    await expect(take_back).to_have_text("Take my stake back (10 ⭐)")

    await StartTimeout(uow_factory, clock)(player.player_id, TimeoutPeriod.DAY)
    tiles = page.locator("#mines-board .tile")
    await tiles.nth(12).click()
    refused = page.locator("#mines-refused")
    await expect(refused).to_be_visible()
    await expect(refused).to_contain_text(
        "No tile is revealed yet, so you can take your stake of 10 ⭐ back."
    )
    await expect(take_back).to_be_enabled()
    await expect(page.locator("#mines-cashout")).to_be_hidden()  # no tile to reveal first
    await shoot(page, shots, f"mines-void-offered-{theme}")

    await take_back.click()
    await expect(page.locator("#mines-info")).to_have_text(
        "Stake returned: 10 ⭐ is back in your balance."
    )
    await expect(take_back).to_be_hidden()
    await expect(page.locator("#mines-cashout")).to_be_hidden()
    await expect(refused).to_be_hidden()
    await expect(page.locator("#mines-setup")).to_be_visible()  # a new game can start
    await shoot(page, shots, f"mines-void-done-{theme}")
    assert opened.errors == []
    await opened.context.close()
