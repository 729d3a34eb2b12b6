"""Campaigns on PostgreSQL (docs/bonuses.md, "Campaigns and promo codes"): a hundred players
racing for a code's last ten uses (or its budget's last ten bonuses) get exactly ten; one
player redeeming at once from several doors gets one bonus; a deposit match grants in the
deposit's transaction and never fails it; the database's own checks hold the uses and the
one-redemption rule whatever the code does. The books reconcile after each test."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.campaigns import CreateCampaign, RedeemPromoCode, ShowCampaign
from application.postings import CreditDepositCommand
from application.staff import Actor
from domain.adjustments import FourEyesPolicy
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignFourEyes,
    CampaignKind,
    CampaignRefused,
    Target,
)
from domain.money import XTR, Money
from tests.campaign_cleanup import end_campaigns
from tests.conftest import race

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

OPERATOR = Actor("staff:campaigns-race")
FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 10**12}))


@pytest.fixture
async def create(uow_factory, clock):
    """CreateCampaign; each campaign is ended after the test, so no other test's deposits are
    matched by it."""
    created: list[str] = []
    use_case = CreateCampaign(uow_factory, clock, FOUR_EYES)

    async def make(campaign: Campaign, actor: Actor):
        result = await use_case(campaign, actor)
        created.append(result.campaign.code)
        return result

    yield make
    await end_campaigns(uow_factory, clock, created)


@pytest.fixture
def redeem(uow_factory, clock, ids, house):
    return RedeemPromoCode(uow_factory, clock, ids, house)


@pytest.fixture
def show(uow_factory):
    return ShowCampaign(uow_factory)


def _campaign(clock, kind=CampaignKind.PROMO_CODE, *, amount, budget, **more) -> Campaign:
    now = clock.now()
    return Campaign(
        code=f"race-{secrets.token_hex(6)}",
        kind=kind,
        budget=Money(budget, XTR),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        target=Target(Audience.ALL),
        terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=3)),
        created_by=OPERATOR.label,
        created_at=now,
        amount=Money(amount, XTR),
        **more,
    )


async def _bonus_balances(engine, player_ids) -> dict[int, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT player_id, balance FROM accounts"
                " WHERE kind = 'player_bonus' AND player_id = ANY(:ids)"
            ),
            {"ids": list(player_ids)},
        )
        return {r.player_id: r.balance for r in rows if r.balance}


async def _hundred_race(new_player, create, redeem, show, engine, campaign):
    created = await create(campaign, OPERATOR)
    players = [(await new_player()).id for _ in range(100)]
    results = await race(100, lambda i: redeem(players[i], created.campaign.code.upper()))
    granted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, CampaignRefused) and r.rule == "run_out" for r in refused), refused
    report = await show(created.campaign.code)
    balances = await _bonus_balances(engine, players)
    return granted, report, balances


async def test_a_hundred_players_racing_for_ten_uses_get_exactly_ten(
    new_player, create, redeem, show, engine, clock
):
    granted, report, balances = await _hundred_race(
        new_player,
        create,
        redeem,
        show,
        engine,
        _campaign(clock, amount=5, budget=10_000, max_uses=10),
    )
    assert len(granted) == 10
    assert report.campaign.uses == 10
    assert report.budget.spent == Money(50, XTR)
    assert len(report.redemptions) == 10
    assert sorted(balances.values()) == [5] * 10
    assert set(balances) == {g.redemption.player_id for g in granted}


async def test_a_hundred_players_racing_for_the_last_ten_bonuses_of_a_budget_get_ten(
    new_player, create, redeem, show, engine, clock
):
    granted, report, balances = await _hundred_race(
        new_player, create, redeem, show, engine, _campaign(clock, amount=7, budget=70)
    )
    assert len(granted) == 10
    assert report.budget.remaining == Money(0, XTR)
    assert sum(balances.values()) == 70


async def test_one_player_redeeming_at_once_from_every_door_gets_one_bonus(
    new_player, create, redeem, show, engine, clock
):
    created = await create(_campaign(clock, amount=9, budget=1_000), OPERATOR)
    player = (await new_player()).id
    results = await race(8, lambda _: redeem(player, created.campaign.code))
    assert not [r for r in results if isinstance(r, BaseException)]
    assert sum(not r.replayed for r in results) == 1
    assert {r.redemption.key for r in results} == {f"promo:{created.campaign.code}:{player}"}
    assert await _bonus_balances(engine, [player]) == {player: 9}
    report = await show(created.campaign.code)
    assert (report.campaign.uses, report.budget.spent) == (1, Money(9, XTR))


async def test_a_deposit_match_grants_in_the_deposit_and_never_fails_it(
    new_player, create, credit, show, engine, clock, unique_key
):
    created = await create(
        _campaign(clock, CampaignKind.DEPOSIT_MATCH, amount=100, budget=150, match_percent=100),
        OPERATOR,
    )
    first, second, third = [(await new_player()).id for _ in range(3)]
    await credit(CreditDepositCommand(first, Money(100, XTR), unique_key()))
    await credit(CreditDepositCommand(second, Money(80, XTR), unique_key()))  # 50 left: none
    posted = await credit(CreditDepositCommand(third, Money(30, XTR), unique_key()))
    assert posted.balance == Money(30, XTR)
    assert await _bonus_balances(engine, [first, second, third]) == {first: 100, third: 30}
    report = await show(created.campaign.code)
    assert report.budget.spent == Money(130, XTR)
    assert {r.player_id for r in report.redemptions} == {first, third}


async def test_the_database_holds_the_uses_and_one_redemption_per_player(
    new_player, create, redeem, engine, clock
):
    created = await create(_campaign(clock, amount=1, budget=100, max_uses=1), OPERATOR)
    code = created.campaign.code
    player = (await new_player()).id
    await redeem(player, code)
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="ck_campaigns_uses_within"):
            await conn.execute(text("UPDATE campaigns SET uses = 2 WHERE code = :c"), {"c": code})
        await conn.rollback()
        with pytest.raises(DBAPIError, match="campaign_redemptions_pkey"):
            await conn.execute(
                text(
                    "INSERT INTO campaign_redemptions (campaign, player_id, key, amount,"
                    " redeemed_at) VALUES (:c, :p, 'other-key', 1, now())"
                ),
                {"c": code, "p": player},
            )
