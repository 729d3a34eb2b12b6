"""The Mini App's mines screen when the player's standing changes mid-game (issue 21), in
headless Chromium against the real routes: a player with a safe tile revealed is blocked by
staff (or takes a timeout); the next tile is refused, the screen says why, rests the tiles
and keeps the cash-out, which pays. Screenshots: mines-refused-blocked.png (light),
mines-refused-timeout.png (dark)."""

from __future__ import annotations

import pytest

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.mines_cap import open_game_of, safe_tiles
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

BLOCKED = (
    "Your account is blocked. Write /paysupport in the bot if you think this is a mistake. "
    "You can still ask to withdraw your balance: our team reviews it. "
    "You can still cash out 10 ⭐ for the tiles already revealed."
)


async def _set_aside(standing: str, player_id: int, uow_factory, clock) -> None:
    if standing == "blocked":
        from domain.players import PlayerStatus

        async with uow_factory() as uow:
            await uow.players.set_status(player_id, PlayerStatus.BLOCKED, "tests")
            await uow.commit()
    else:
        from application.responsible import StartTimeout
        from domain.responsible import TimeoutPeriod

        await StartTimeout(uow_factory, clock)(player_id, TimeoutPeriod.DAY)


@pytest.mark.parametrize(("standing", "theme"), [("blocked", "light"), ("timeout", "dark")])
async def test_a_refused_tile_says_why_and_the_game_still_cashes_out(
    standing,
    theme,
    live_server,
    browser,
    adjust,
    fund_bankroll,
    new_telegram_id,
    shots,
    engine,
    uow_factory,
    clock,
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
    await page.locator("#mines-stake").fill("10")
    await page.locator("#mines-count").fill("1")
    await page.locator("#mines-start").click()
    await expect(page.locator("#mines-setup")).to_be_hidden()
    board = page.locator("#mines-board")
    tiles = page.locator("#mines-board .tile")
    safe = await safe_tiles(engine, await open_game_of(engine, player.telegram_id))
    await tiles.nth(safe[0]).click()
    await expect(tiles.nth(safe[0])).to_have_attribute("data-state", "safe")
    await expect(board).not_to_have_attribute("aria-busy", "true")

    await _set_aside(standing, player.player_id, uow_factory, clock)
    await tiles.nth(safe[1]).click()
    refused = page.locator("#mines-refused")
    await expect(refused).to_be_visible()
    if standing == "blocked":
        await expect(refused).to_have_text(BLOCKED)
    else:
        await expect(refused).to_contain_text("You are on a time-out until")
        await expect(refused).to_contain_text("You can still cash out 10 ⭐")
    await expect(board).to_have_attribute("data-limit", "refused")
    await expect(tiles.nth(safe[1])).to_have_attribute("data-state", "hidden")
    for tile in range(25):
        await expect(tiles.nth(tile)).to_be_disabled()
    cash_out = page.locator("#mines-cashout")
    await expect(cash_out).to_be_enabled()
    await expect(cash_out).to_have_text("Cash out 10 ⭐")
    await expect(page.locator("#message")).to_be_hidden()
    await shoot(page, shots, f"mines-refused-{standing}")

    await cash_out.click()
    await expect(page.locator("#mines-info")).to_contain_text("Cashed out at")
    await expect(refused).to_be_hidden()
    assert opened.errors == []
    await opened.context.close()
