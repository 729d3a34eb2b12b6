"""The Mini App plays in the player's currency, in headless Chromium: a player holding USDT
beside their Stars sees a switch beside the balance in the lobby (Stars and USDT: every game
takes USDT stakes); choosing USDT shows the USDT balance, the lobby's stake ranges and the
game's limits in USDT, a stake typed in USDT with decimals ("1.5") is placed as 1,500,000 minor
units and the USDT balance moves by exactly stake and payout while the Stars do not; the choice
survives a reload (localStorage) and a stake finer than a USDT's millionth is refused on the
page, one above the USDT balance is refused in USDT's terms. A player with Stars only sees
no switch. Screenshots: currency-lobby-usdt.png, currency-coin-usdt.png (light)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import text

from application.postings import AdjustBalanceCommand
from domain.money import USDT, Money
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

USDT_1 = 1_000_000


async def _balances(server, player) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=server.url, headers=player.headers) as api:
        found = (await api.get("/api/v1/app/balances")).json()["balances"]
    return {b["currency"]: b["amount"] for b in found}


async def test_a_player_holding_usdt_switches_the_page_to_it_and_plays_in_it(
    live_server, browser, adjust, fund_bankroll, new_telegram_id, shots, engine, unique_key
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    await fund_bankroll(1_000 * USDT_1, USDT)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=1000)
    await adjust(
        AdjustBalanceCommand(
            player.player_id, Money(10 * USDT_1, USDT), "e2e funds", "staff:e2e", unique_key("u")
        )
    )
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(page.locator("#lobby")).to_be_visible()

    # Stars first, the switch offering USDT beside the balance.
    switch = page.locator("#currency-choice")
    await expect(switch).to_be_visible()
    await expect(switch).to_have_attribute("aria-label", "Play in")
    assert await switch.locator("option").all_text_contents() == ["⭐ Stars", "USDT"]
    await expect(switch).to_have_value("XTR")
    await expect(page.locator("#balance")).to_have_text("1000")
    await expect(page.locator("#play-coin .tile-hint")).to_have_text("1–10000 ⭐")

    await switch.select_option("USDT")
    await expect(page.locator("#balance")).to_have_text("10")
    await expect(page.locator("#balance")).to_have_attribute("data-amount", str(10 * USDT_1))
    await expect(page.locator("#play-coin .tile-hint")).to_have_text("0.1–1000 USDT")
    await shoot(page, shots, "currency-lobby-usdt")

    await page.locator("#play-coin").click()
    await expect(page.locator("#game")).to_be_visible()
    await expect(switch).to_be_hidden()  # the lobby's: a game plays in the one chosen there
    await expect(page.locator("#game-limits")).to_contain_text("0.1")
    await expect(page.locator("#game-limits")).to_contain_text("1000 USDT")
    await expect(page.locator('label[for="stake"]')).to_have_text("Stake (USDT)")
    await page.locator("#stake").fill("1.5")
    await page.locator('#play-form input[type="radio"][name="side"][value="heads"]').check()
    await page.locator("#roll").click()
    await expect(page.locator("#result")).to_have_attribute(
        "data-state", re.compile(r"^(won|lost)$")
    )
    async with engine.connect() as conn:
        bet = (
            await conn.execute(
                text("SELECT stake, currency, payout FROM bets WHERE player_id = :p"),
                {"p": player.player_id},
            )
        ).one()
    assert (bet.stake, bet.currency) == (1_500_000, "USDT")
    usdt = 10 * USDT_1 - 1_500_000 + (bet.payout or 0)
    assert await _balances(live_server, player) == {"XTR": 1000, "USDT": usdt}
    await expect(page.locator("#balance")).to_have_attribute("data-amount", str(usdt))
    await expect(page.locator("#outcome-detail")).to_contain_text("1.5 USDT")
    await shoot(page, shots, "currency-coin-usdt")

    # A stake finer than a USDT's millionth: refused on the page, nothing placed.
    await page.locator("#stake").fill("0.1234567")
    await page.locator("#roll").click()
    await expect(page.locator("#message")).to_have_text(
        "The stake is an amount of USDT above zero, with at most 6 decimal places."
    )

    # Above the USDT balance (within the game's limits): the server's refusal, said in USDT.
    await page.locator("#stake").fill("50")
    await page.locator("#roll").click()
    left = f"{usdt // USDT_1}.{usdt % USDT_1:06d}".rstrip("0").rstrip(".")
    await expect(page.locator("#message")).to_have_text(
        f"Not enough balance: you have {left} USDT. Pick a smaller stake, or top up in the bot."
    )

    # The choice is kept: a reload opens in USDT.
    await page.reload()
    await expect(page.locator("#lobby")).to_be_visible()
    await expect(switch).to_have_value("USDT")
    await expect(page.locator("#balance")).to_have_attribute("data-amount", str(usdt))
    assert await _balances(live_server, player) == {"XTR": 1000, "USDT": usdt}
    assert opened.errors == []
    await opened.context.close()

    # A player with Stars only: no switch, Stars as ever.
    stars_only = await funded_player(live_server, new_telegram_id(), adjust, stars=1000)
    other = await open_app(browser, live_server, stars_only, "light")
    await other.page.goto(launch_url(live_server, stars_only.telegram_id, "Bo", "light"))
    await other.page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(other.page.locator("#lobby")).to_be_visible()
    await expect(other.page.locator("#balance")).to_have_text("1000")
    await expect(other.page.locator("#currency-choice")).to_be_hidden()
    await expect(other.page.locator("#balance-currency")).to_have_text("⭐")
    assert other.errors == []
    await other.context.close()
