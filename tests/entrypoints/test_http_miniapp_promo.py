"""The Mini App's promo code (POST /api/v1/app/promo) and the welcome grant a new player gets
on accepting the terms there (docs/bonuses.md, "Campaigns and promo codes"): the grant once,
a repeat answered with it, every refusal as problem details with its rule."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

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
from domain.money import XTR, Money
from tests.campaign_cleanup import end_campaigns
from tests.entrypoints.test_http_miniapp import app_api, init_data, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

OPERATOR = Actor("staff:promo-app")


@pytest.fixture
async def campaign(uow_factory, clock):
    """A campaign of the test's own, ended after it (tests/campaign_cleanup.py)."""
    create = CreateCampaign(uow_factory, clock, CampaignFourEyes(FourEyesPolicy({"XTR": 10**9})))
    created: list[str] = []

    async def make(kind: CampaignKind = CampaignKind.PROMO_CODE, **more: object) -> str:
        now = datetime.now(UTC)
        fields: dict[str, object] = {
            "code": f"app-{secrets.token_hex(5)}",
            "kind": kind,
            "budget": Money(1_000, XTR),
            "starts_at": now - timedelta(hours=1),
            "ends_at": now + timedelta(days=7),
            "target": Target(Audience.ALL),
            "terms": BonusTerms(wagering_multiple=20, expires_after=timedelta(days=2)),
            "created_by": OPERATOR.label,
            "created_at": now,
            "amount": Money(40, XTR),
            **more,
        }
        code = (await create(Campaign(**fields), OPERATOR)).campaign.code  # type: ignore[arg-type]
        created.append(code)
        return code

    yield make
    await end_campaigns(uow_factory, clock, created)


async def _bonus(engine, telegram_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT COALESCE(SUM(a.balance), 0) FROM accounts a"
                    " JOIN players p ON p.id = a.player_id"
                    " WHERE p.telegram_user_id = :t AND a.kind = 'player_bonus'"
                ),
                {"t": telegram_id},
            )
        ).scalar_one()


async def test_a_code_is_redeemed_once_and_a_repeat_answers_with_it(
    app_api,  # noqa: F811
    session,  # noqa: F811
    campaign,
):
    code = await campaign()
    headers = await session()
    first = await app_api.post("/api/v1/app/promo", json={"code": code.upper()}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["bonus"] == {"amount": 40, "currency": "XTR"}
    assert (first.json()["wagering_multiple"], first.json()["replayed"]) == (20, False)
    again = await app_api.post("/api/v1/app/promo", json={"code": code}, headers=headers)
    assert again.json()["replayed"] is True
    assert again.json()["redeemed_at"] == first.json()["redeemed_at"]


async def test_refusals_are_problem_details_with_their_rule(
    app_api,  # noqa: F811
    session,  # noqa: F811
    campaign,
):
    headers, other = await session(), await session()
    one_use = await campaign(max_uses=1)
    taken = await app_api.post("/api/v1/app/promo", json={"code": one_use}, headers=other)
    assert taken.status_code == 200, taken.text
    cases = [
        ({"code": "no-such-code"}, 404, "unknown_promo_code", ""),
        ({"code": one_use}, 409, "campaign_refused", "run_out"),
    ]
    for body, status, code, rule in cases:
        answer = await app_api.post("/api/v1/app/promo", json=body, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert (answer.json()["code"], answer.json().get("rule", "")) == (code, rule)
    # One active bonus per currency: a second code waits until the first bonus ends.
    first, second = await campaign(), await campaign()
    await app_api.post("/api/v1/app/promo", json={"code": first}, headers=headers)
    busy = await app_api.post("/api/v1/app/promo", json={"code": second}, headers=headers)
    assert (busy.status_code, busy.json()["code"]) == (422, "bonus_active"), busy.text
    empty = await app_api.post("/api/v1/app/promo", json={"code": ""}, headers=headers)
    assert empty.status_code == 400, empty.text


async def test_a_new_player_gets_the_welcome_grant_when_they_accept_the_terms(
    app_api,  # noqa: F811
    campaign,
    new_telegram_id,
    engine,
):
    await campaign(
        CampaignKind.NO_DEPOSIT, amount=Money(15, XTR), target=Target(Audience.NEW_PLAYERS)
    )
    telegram_id = new_telegram_id()
    opened = await app_api.post("/api/v1/app/session", json={"init_data": init_data(telegram_id)})
    headers = {"Authorization": f"Bearer {opened.json()['token']}"}
    assert await _bonus(engine, telegram_id) == 0  # not before the terms
    accepted = await app_api.post("/api/v1/app/terms", headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert await _bonus(engine, telegram_id) == 15
