"""The door x rule matrix's requests for promo codes (docs/bonuses.md): `/promo CODE` and a
code typed after `/promo` in the bot, and the Mini App's `POST /api/v1/app/promo`. Each cell
redeems a code of its own, created in good standing."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import SendMessage

from application.campaigns import CreateCampaign
from application.staff import Actor
from domain.campaigns import Audience, BonusTerms, Campaign, CampaignKind, Target
from domain.money import XTR, Money
from tests.entrypoints.door_cases import mini_app_session
from tests.entrypoints.door_world import Answer, Cell, bot_answer, http_answer


def _granted(calls: list[Any]) -> bool:
    return any(isinstance(c, SendMessage) and c.text.startswith("🎁") for c in calls)


async def promo_campaign(cell: Cell) -> str:
    """A promo code of the cell's own, 10 ⭐ for everyone."""
    now = datetime.now(UTC)
    code = f"matrix-{secrets.token_hex(6)}"
    campaign = Campaign(
        code=code,
        kind=CampaignKind.PROMO_CODE,
        budget=Money(100, XTR),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        target=Target(Audience.ALL),
        terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=3)),
        created_by="staff:matrix-promo",
        created_at=now,
        amount=Money(10, XTR),
    )
    await cell.world.use(CreateCampaign, campaign, Actor("staff:matrix-promo"))
    return code


async def promo_asked(cell: Cell) -> str:
    """The code, and the bot waiting for it: `/promo` sent in good standing."""
    code = await promo_campaign(cell)
    await cell.send(cell.subject.user.message("/promo"))
    return code


async def bot_promo(cell: Cell) -> Answer:
    update = cell.subject.user.message(f"/promo {cell.prepared.upper()}")
    return await bot_answer(cell, update, _granted)


async def bot_promo_typed(cell: Cell) -> Answer:
    return await bot_answer(cell, cell.subject.user.message(cell.prepared), _granted)


async def mini_app_promo(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        "/api/v1/app/promo", json={"code": cell.prepared}, headers=cell.subject.session
    )
    return http_answer(response, 200, ("replayed", False))


async def mini_app_promo_ready(cell: Cell) -> str:
    """A live Mini App session and a code, both in good standing."""
    await mini_app_session(cell)
    return await promo_campaign(cell)
