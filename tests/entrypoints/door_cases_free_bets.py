"""The door x rule matrix's requests at free bets (docs/bonuses.md, "Free bets"): playing one
in the bot (the 🎟 button of the 🎁 Bonus screen) and in the Mini App
(`POST /api/v1/app/bonus/free-bets/{id}/play`). Each cell's free bet is granted, from a
campaign of its own, in good standing."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import EditMessageText, SendMessage

from application.campaigns import CreateCampaign, RedeemPromoCode
from application.staff import Actor
from domain.campaigns import Audience, BonusTerms, Campaign, CampaignKind, Target
from domain.free_bets import FreeBetTerms
from domain.money import XTR, Money
from entrypoints.bot.free_bets_screen import FreeBetAction
from tests.entrypoints.door_cases import mini_app_session
from tests.entrypoints.door_world import Answer, Cell, bot_answer, http_answer


async def granted_free_bet(cell: Cell) -> uuid.UUID:
    """One free bet of 10 ⭐ on a coin, from a campaign of the cell's own."""
    now = datetime.now(UTC)
    campaign = Campaign(
        code=f"matrix-fb-{secrets.token_hex(6)}",
        kind=CampaignKind.FREE_BET,
        budget=Money(1_000, XTR),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        target=Target(Audience.ALL),
        terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=3)),
        created_by="staff:matrix-free-bets",
        created_at=now,
        amount=Money(100, XTR),
        free_bet=FreeBetTerms("coin", {"side": "heads"}, Money(10, XTR), 1, timedelta(hours=4)),
    )
    await cell.world.use(CreateCampaign, campaign, Actor(campaign.created_by))
    grant = await cell.world.use(RedeemPromoCode, cell.subject.player_id, campaign.code)
    return grant.free_bets[0].id


def _played(calls: list[Any]) -> bool:
    return any(
        isinstance(c, SendMessage | EditMessageText) and c.text.startswith("🎟") for c in calls
    )


async def bot_free_bet(cell: Cell) -> Answer:
    button = FreeBetAction(free_bet=cell.prepared.hex)
    return await bot_answer(cell, cell.subject.user.tap(button.pack()), _played)


async def mini_app_free_bet_ready(cell: Cell) -> uuid.UUID:
    """A live Mini App session and a free bet, both in good standing."""
    await mini_app_session(cell)
    return await granted_free_bet(cell)


async def mini_app_free_bet(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/app/bonus/free-bets/{cell.prepared}/play", headers=cell.subject.session
    )
    return http_answer(response, 200, ("replayed", False))
