"""Free bets in the bot, through the real Dispatcher and a fake Bot API (docs/bonuses.md,
"Free bets"): a free-bet campaign's code typed with /promo, "🎁 Bonus" in the menu with free
bets and no bonus, the screen listing them with a "Play" button, the result with the bonus
won (or not) and how to verify it, a second tap answering the first play, and the one-bonus
rule when a free bet won. Written as transcripts to
.croupier/test/transcripts/bot-free-bets-<language>.txt."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from application.campaigns import CreateCampaign
from application.staff import Actor
from domain.adjustments import FourEyesPolicy
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignFourEyes,
    CampaignKind,
    Target,
)
from domain.free_bets import FreeBetTerms
from domain.money import XTR, Money
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from tests.campaign_cleanup import end_campaigns
from tests.entrypoints.test_bot_withdraw import chat, redis  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 10**12}))


@pytest.fixture
async def free_bet_code(uow_factory, clock):
    created: list[str] = []

    async def make() -> str:
        now = clock.now()
        campaign = Campaign(
            code=f"spins-{secrets.token_hex(4)}",
            kind=CampaignKind.FREE_BET,
            budget=Money(10_000, XTR),
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
            target=Target(Audience.ALL),
            terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=7)),
            created_by="staff:bot-free-bets",
            created_at=now,
            amount=Money(200, XTR),
            free_bet=FreeBetTerms("limbo", {"target": "2"}, Money(10, XTR), 2, timedelta(hours=48)),
        )
        await CreateCampaign(uow_factory, clock, FOUR_EYES)(campaign, Actor(campaign.created_by))
        created.append(campaign.code)
        return campaign.code

    yield make
    await end_campaigns(uow_factory, clock, created)


@pytest.mark.parametrize("language", ["en", "ru", "es", "pt", "tr"])
async def test_free_bets_are_listed_played_and_verified(
    chat,  # noqa: F811 - the fixture imported above
    free_bet_code,
    language,
):
    t = Translator(language)
    talk, _ = await chat(language, won=0)
    code = await free_bet_code()
    await talk.tap("⬅️ menu", Menu(action="main").pack())
    assert t("bonus.title_button") not in talk.buttons()  # nothing yet: no entry
    await talk.say(f"/promo {code.upper()}")
    assert talk.shown().text.startswith("🎟"), "\n".join(talk.lines)
    await talk.tap("⬅️ menu", Menu(action="main").pack())
    assert t("bonus.title_button") in talk.buttons(), "\n".join(talk.lines)  # free bets: shown
    await talk.press(t("bonus.title_button"))
    screen = talk.shown().text
    assert t("free_bets.title", count=2) in screen
    assert "UTC" in screen
    play = next(label for label in talk.buttons() if label.startswith("🎟"))
    data = talk.buttons()[play]
    await talk.press(play)
    result = talk.shown().text
    assert "🔐" in result  # the verify hint
    won = "🎉" in result
    # A second tap of the same button (a double tap) answers the same play.
    await talk.tap(play, data)
    assert talk.shown().text == result
    await talk.tap(t("bonus.title_button"), Menu(action="bonus").pack())
    assert t("free_bets.title", count=1) in talk.shown().text
    play = next(label for label in talk.buttons() if label.startswith("🎟"))
    await talk.press(play)
    if won:  # its bonus is active: the next free bet waits until it ends
        assert t("bonus.refused.active") in "\n".join(talk.lines[-4:])
    else:
        assert "🔐" in talk.shown().text
    talk.write(f"bot-free-bets-{language}.txt")
