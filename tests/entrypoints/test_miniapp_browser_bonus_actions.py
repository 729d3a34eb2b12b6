"""The bonus screen's buttons in headless Chromium against the real routes (docs/bonuses.md,
"The player's view"; docs/miniapp.md): claiming a bonus whose wagering is met, giving one up
after the screen asks, and playing a free bet, whose outcome, bonus and proof line then show
among the played. Screenshots before and after each: bonus-claim-{before,after}.png,
bonus-give-up-{before,ask,after}.png, free-bet-{before,after}.png."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from application.campaigns import CreateCampaign
from application.staff import Actor
from domain.adjustments import FourEyesPolicy
from domain.campaigns import Audience, BonusTerms, Campaign, CampaignFourEyes, CampaignKind, Target
from domain.free_bets import FreeBetTerms
from domain.money import XTR, Money
from tests.campaign_cleanup import end_campaigns
from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.bonus_grants import grant_test_bonus
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

OPERATOR = Actor("staff:bonus-buttons")


@pytest.fixture
async def free_bet_code(uow_factory, clock):
    """A free-bet campaign's code (one 10 ⭐ coin free bet, winning up to 100 ⭐), ended after."""
    now = datetime.now(UTC)
    campaign = Campaign(
        code=f"spin-{secrets.token_hex(5)}",
        kind=CampaignKind.FREE_BET,
        budget=Money(1_000, XTR),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        target=Target(Audience.ALL),
        terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=3)),
        created_by=OPERATOR.label,
        created_at=now,
        amount=Money(100, XTR),
        free_bet=FreeBetTerms("coin", {"side": "heads"}, Money(10, XTR), 1, timedelta(hours=4)),
    )
    create = CreateCampaign(uow_factory, clock, CampaignFourEyes(FourEyesPolicy({"XTR": 10**9})))
    await create(campaign, OPERATOR)
    yield campaign.code
    await end_campaigns(uow_factory, clock, [campaign.code])


async def test_claim_give_up_and_play_a_free_bet_from_the_bonus_screen(
    live_server,
    browser,
    adjust,
    fund_bankroll,
    new_telegram_id,
    shots,
    uow_factory,
    ids,
    clock,
    free_bet_code,
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust)
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(page.locator("#lobby")).to_be_visible()
    balance = page.locator("#balance")
    await expect(balance).to_have_text("1000")

    # A claimable bonus: Claim turns it into cash, and the balance shows it.
    await grant_test_bonus(uow_factory, ids, clock, player.player_id, wagering=0)
    await page.reload()
    await page.locator("#open-bonus").click()
    card = page.locator("#bonus-list li").first
    await expect(card).to_contain_text("Wagering complete: claim it as cash.")
    await shoot(page, shots, "bonus-claim-before")
    await card.get_by_role("button", name="Claim 30 ⭐ as cash").click()
    note = page.locator("#bonus-note")
    await expect(note).to_have_text("The bonus of 30 ⭐ is now cash in your balance.")
    await expect(page.locator("#bonus-empty")).to_be_visible()
    await expect(balance).to_have_text("1030")
    await shoot(page, shots, "bonus-claim-after")

    # A bonus still to wager: no Claim; Give up asks first, "No" keeps it, "Yes" gives it up.
    await grant_test_bonus(uow_factory, ids, clock, player.player_id, wagering=5)
    await page.reload()
    await page.locator("#open-bonus").click()
    card = page.locator("#bonus-list li").first
    await expect(card).to_contain_text("0 of 150 ⭐ wagered")
    await expect(card.locator(".bonus-claim")).to_have_count(0)
    await shoot(page, shots, "bonus-give-up-before")
    await card.get_by_role("button", name="Give up").click()
    await expect(card.locator(".bonus-ask")).to_contain_text("Give up this bonus of 30 ⭐?")
    await card.get_by_role("button", name="No, keep it").click()
    await expect(card.locator(".bonus-ask")).to_have_count(0)
    await card.get_by_role("button", name="Give up").click()
    await shoot(page, shots, "bonus-give-up-ask")
    await card.get_by_role("button", name="Yes, give it up").click()
    await expect(note).to_have_text(
        "You gave up the bonus of 30 ⭐. Your cash balance is unchanged."
    )
    await expect(page.locator("#bonus-list li")).to_have_count(0)
    await expect(balance).to_have_text("1030")
    await shoot(page, shots, "bonus-give-up-after")

    # A free bet: the lobby offers the screen for it alone; Play shows it among the played.
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        redeemed = await api.post("/api/v1/app/promo", json={"code": free_bet_code})
        assert redeemed.status_code == 200, redeemed.text
    await page.reload()
    await page.locator("#open-bonus").click()
    free_bet = page.locator("#free-bet-list li").first
    await expect(free_bet).to_contain_text("Coin flip: 10 ⭐ on heads, winning up to 100 ⭐")
    await expect(free_bet).to_contain_text("Play it until")
    await shoot(page, shots, "free-bet-before")
    await free_bet.get_by_role("button", name="Play").click()
    played = page.locator("#free-bet-played li").first
    await expect(played).to_contain_text("Coin flip:")
    await expect(played).to_contain_text("server seed hash")
    await expect(page.locator("#free-bet-list li")).to_have_count(0)
    await expect(note).to_contain_text("Coin flip:")
    await expect(balance).to_have_text("1030")  # the house paid the stake
    assert opened.errors == []
    await shoot(page, shots, "free-bet-after")
    await opened.context.close()
