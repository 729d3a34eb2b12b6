"""The Mini App's bonus screen (docs/bonuses.md), in headless Chromium against the real
routes: the lobby offers "Bonus" once the player has an active bonus, and the screen shows
its progress ("120 of 500 XTR wagered"), the largest stake that counts, the expiry in the
player's time zone and each game's share. A player on a time-out gets `shown: false` from
GET /api/v1/app/bonus and no button. Screenshots: bonus-{light,dark}.png."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from application.bonuses import grant_bonus
from domain.bonuses import BonusOffer
from domain.money import XTR, Money
from tests.conftest import TEST_HOUSE_SHARDS
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


async def _grant(uow_factory, ids, clock, player_id: int) -> None:
    budget = f"app-{uuid.uuid4().hex[:12]}"
    offer = BonusOffer(
        amount=Money(100, XTR),
        wagering_multiple=5,
        wagering_base=Money(100, XTR),
        expires_after=timedelta(days=7),
        max_stake=Money(50, XTR),
        campaign="welcome",
        budget=budget,
    )
    async with uow_factory() as uow:
        await uow.budgets.open(budget, Money(10_000, XTR))
        await grant_bonus(
            uow,
            ids,
            player_id=player_id,
            offer=offer,
            key=f"app:{uuid.uuid4()}",
            now=clock.now(),
            shards=TEST_HOUSE_SHARDS,
        )
        await uow.commit()


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_bonus_screen_shows_progress_expiry_and_each_games_share(
    theme,
    live_server,
    browser,
    adjust,
    fund_bankroll,
    new_telegram_id,
    shots,
    uow_factory,
    ids,
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
    await expect(page.locator("#lobby")).to_be_visible()
    await expect(page.locator("#open-bonus")).to_be_hidden()  # no bonus: no button

    await _grant(uow_factory, ids, clock, player.player_id)
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        for _ in range(3):  # through the app's own key: its seed pairs are sealed with it
            body = {"game": "limbo", "stake": 40, "request_id": str(uuid.uuid4()),
                    "params": {"target": "2"}}  # fmt: skip
            played = await api.post("/api/v1/app/play", json=body)
            assert played.status_code == 200, played.text
    await page.reload()
    button = page.locator("#open-bonus")
    await expect(button).to_be_visible()
    await button.click()
    await expect(page.locator("#bonus")).to_be_visible()
    card = page.locator("#bonus-list li").first
    await expect(card).to_contain_text("Bonus: 100 ⭐")
    await expect(card).to_contain_text("120 of 500 ⭐ wagered")
    await expect(card).to_contain_text("Stakes above 50 ⭐ count as 50 ⭐.")
    await expect(card).to_contain_text("Expires")
    shares = page.locator("#bonus-contributions")
    await expect(shares).to_contain_text("100%")
    await expect(shares).to_contain_text("5% European roulette")
    await expect(shares).not_to_contain_text("tg_")  # Telegram's dice are the bot's games
    assert opened.errors == []
    await shoot(page, shots, f"bonus-{theme}")
    await opened.context.close()


async def test_a_player_on_a_break_is_told_nothing_of_bonuses(
    live_server, adjust, new_telegram_id, uow_factory, ids, clock
):
    from application.onboarding import AcceptTerms
    from application.responsible import StartTimeout
    from domain.responsible import TimeoutPeriod

    player = await funded_player(live_server, new_telegram_id(), adjust)
    await AcceptTerms(uow_factory, clock)(player.player_id)
    await _grant(uow_factory, ids, clock, player.player_id)
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        shown = await api.get("/api/v1/app/bonus")
        assert shown.status_code == 200, shown.text
        assert shown.json()["shown"] is True
        await StartTimeout(uow_factory, clock)(player.player_id, TimeoutPeriod.DAY)
        hidden = await api.get("/api/v1/app/bonus")
    assert hidden.json() == {"shown": False, "bonuses": [], "contributions": []}
