"""Promo codes in the bot (docs/bonuses.md, "Campaigns and promo codes"): the balance screen's
🎟 button asks for the code, `/promo CODE` redeems it at once, and every refusal is a polite
sentence in the player's language (unknown, expired, used, not for you, run out). A player on
a break sees no button and is told about the break, not about offers. Each run writes the
conversation to .croupier/test/transcripts/bot-promo-<language>.txt for a person to read
(`./dev tour` gathers them into docs/transcripts/bot-promo.txt)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import text

from application.campaigns import CreateCampaign
from application.responsible import StartTimeout
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
from domain.money import XTR, Money
from domain.responsible import TimeoutPeriod
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate, Menu
from tests.campaign_cleanup import end_campaigns
from tests.entrypoints.telegram_fakes import Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")
OPERATOR = Actor("staff:promo-bot")


@pytest.fixture
async def campaign(uow_factory, clock):
    """A campaign of the test's own, ended after it (tests/campaign_cleanup.py)."""
    create = CreateCampaign(uow_factory, clock, CampaignFourEyes(FourEyesPolicy({"XTR": 10**9})))
    created: list[str] = []

    async def make(name: str, **more: object) -> str:
        now = datetime.now(UTC)
        fields: dict[str, object] = {
            "code": f"{name}-{secrets.token_hex(3)}",
            "kind": CampaignKind.PROMO_CODE,
            "budget": Money(1_000, XTR),
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(days=7),
            "target": Target(Audience.ALL),
            "terms": BonusTerms(wagering_multiple=30, expires_after=timedelta(days=7)),
            "created_by": OPERATOR.label,
            "created_at": now,
            "amount": Money(50, XTR),
            **more,
        }
        made = await create(Campaign(**fields), OPERATOR)  # type: ignore[arg-type]
        created.append(made.campaign.code)
        return made.campaign.code.upper()

    yield make
    await end_campaigns(uow_factory, clock, created)


async def _started(send, engine, language: str) -> tuple[Player, int]:
    player = Player(language)
    await send(player.message("/start"))
    await send(player.tap(Gate(accept=True).pack()))
    async with engine.connect() as conn:
        player_id = (
            await conn.execute(
                text("SELECT id FROM players WHERE telegram_user_id = :t"), {"t": player.user.id}
            )
        ).scalar_one()
    return player, player_id


def _transcript(telegram, said: list[str]) -> str:
    """Each thing the player did, then what the bot showed, with its keyboard as [labels]."""
    lines = []
    for index, call in enumerate(telegram.of(SendMessage | EditMessageText)):
        if index < len(said):
            lines.append(f"> {said[index]}")
        lines.append(f"< {call.text}")
        for row in getattr(call.reply_markup, "inline_keyboard", None) or []:
            lines.append("  " + " ".join(f"[{b.text}]" for b in row))
    return "\n".join(lines) + "\n"


def _buttons(telegram) -> list[str]:
    markup = telegram.screen().reply_markup
    return [b.text for row in getattr(markup, "inline_keyboard", None) or [] for b in row]


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_player_redeems_a_promo_code_and_hears_every_refusal_politely(
    send, telegram, engine, campaign, uow_factory, clock, unthrottle, language
):
    t = Translator(language)
    welcome = await campaign("welcome")
    now = datetime.now(UTC)
    expired = await campaign(
        "summer", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=2)
    )
    one_use = await campaign("flash", max_uses=1)
    vips = await campaign("vip", target=Target(Audience.LIST, frozenset({1})))
    other, _ = await _started(send, engine, language)
    await send(other.message(f"/promo {one_use}"))  # the only use, taken by someone else
    player, player_id = await _started(send, engine, language)
    telegram.calls.clear()
    said: list[str] = []

    async def do(update, what: str) -> str:
        said.append(what)
        await unthrottle(player)  # faster than a person: not what the throttle is for
        shown = len(telegram.texts())
        await send(update)
        assert len(telegram.texts()) == shown + 1, f"{what}: one answer"
        return telegram.texts()[-1]

    await do(player.tap(Menu(action="balance").pack()), f"tap: {t('menu.balance')}")
    assert t("promo.button") in _buttons(telegram)
    asked = await do(player.tap(Menu(action="promo").pack()), f"tap: {t('promo.button')}")
    assert asked == t("promo.ask")
    granted = await do(player.message(welcome.lower()), f"type: {welcome.lower()}")
    assert granted.startswith("🎁")
    assert "50 ⭐" in granted
    assert "1500 ⭐" in granted  # 30 × 50
    assert "XTR" not in granted
    again = await do(player.message(f"/promo {welcome}"), f"/promo {welcome}")
    assert again == t("promo.already", code=welcome)
    assert await do(player.message("/promo NOPE42"), "/promo NOPE42") == t("promo.unknown")
    assert await do(player.message(f"/promo {expired}"), f"/promo {expired}") == t(
        "promo.refused.expired"
    )
    assert await do(player.message(f"/promo {one_use}"), f"/promo {one_use}") == t(
        "promo.refused.run_out"
    )
    assert await do(player.message(f"/promo {vips}"), f"/promo {vips}") == t(
        "promo.refused.not_for_you"
    )
    async with engine.connect() as conn:
        bonus = (
            await conn.execute(
                text("SELECT balance FROM accounts WHERE player_id = :p AND kind = 'player_bonus'"),
                {"p": player_id},
            )
        ).scalar_one()
    assert bonus == 50  # one code, once

    # On a break: no button, and /promo speaks of the break, never of an offer.
    await StartTimeout(uow_factory, clock)(player_id, TimeoutPeriod.DAY)
    await do(player.tap(Menu(action="balance").pack()), f"tap: {t('menu.balance')} (on a break)")
    assert t("promo.button") not in _buttons(telegram)
    resting = await do(player.message(f"/promo {welcome}"), f"/promo {welcome} (on a break)")
    assert "🎟" not in resting
    assert "🎁" not in resting
    assert resting.startswith("⏸")  # the time-out's own sentence (care.toml)
    _write(TRANSCRIPTS / f"bot-promo-{language}.txt", _transcript(telegram, said))


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
