"""The Mini App's mines screen at a game's payout limit, in headless Chromium against the real
routes: 12 mines for 1 Star opens at the default limit (a game pays at most 1,000,000 Stars);
after 12 safe tiles the 13th would pay 5,148,297 Stars, so the server answers
next_multiplier null with the game still open, and the screen disables the tiles, says why
and leaves cashing out as the only move. Screenshots: mines-cap-light.png, mines-cap-dark.png."""

from __future__ import annotations

import pytest

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.mines_cap import (
    CAP_PAYOUT,
    CAP_TILES,
    CAPPED_MINES,
    open_game_of,
    safe_tiles,
)
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

AT_LIMIT = (
    f"{CAPPED_MINES} mines · {CAP_TILES} safe · ×396022.8461 · The next tile would pay over the "
    f"payout limit (this game pays at most {CAP_PAYOUT} ⭐): cash out."
)


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_at_the_payout_limit_the_tiles_stop_and_the_screen_says_cash_out(
    theme, live_server, browser, adjust, fund_bankroll, new_telegram_id, shots, engine
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust)
    opened = await open_app(browser, live_server, player, theme)
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await page.locator("#play-mines").click()
    await expect(page.locator("#mines-setup")).to_be_visible()
    await page.locator("#mines-stake").fill("1")
    await page.locator("#mines-count").fill(str(CAPPED_MINES))
    await page.locator("#mines-start").click()  # refused before the cap: 5,148,297x > limit
    await expect(page.locator("#mines-setup")).to_be_hidden()
    board = page.locator("#mines-board")
    game_id = await open_game_of(engine, player.telegram_id)
    tiles = page.locator("#mines-board .tile")
    safe = await safe_tiles(engine, game_id)
    for tile in safe[:CAP_TILES]:
        await tiles.nth(tile).click()
        await expect(tiles.nth(tile)).to_have_attribute("data-state", "safe")
        # The screen drops a press while the last one is still busy (its balance refresh).
        await expect(board).not_to_have_attribute("aria-busy", "true")
    await expect(board).to_have_attribute("data-state", "open")
    await expect(board).to_have_attribute("data-limit", "reached")
    await expect(page.locator("#mines-info")).to_have_text(AT_LIMIT)
    for tile in range(25):  # hidden or not, no tile can be pressed: the server would refuse
        await expect(tiles.nth(tile)).to_be_disabled()
    cash_out = page.locator("#mines-cashout")
    await expect(cash_out).to_be_enabled()
    await expect(cash_out).to_have_text(f"Cash out {CAP_PAYOUT} ⭐")
    await shoot(page, shots, f"mines-cap-{theme}")

    await cash_out.click()
    await expect(page.locator("#mines-info")).to_have_text(
        f"Cashed out at ×396022.8461 — You won {CAP_PAYOUT} ⭐"
    )
    await expect(board).to_have_attribute("data-limit", "")
    assert opened.errors == []
    await opened.context.close()
