"""Free bets on PostgreSQL (docs/bonuses.md, "Free bets"): two plays of one free bet at once
give one outcome and at most one bonus; a free bet and bets placed at the same moment never
share a nonce; the table's trigger and constraints hold the states, the one play per nonce
and the winnings' bounds whatever the code does; the expiry job and the staff's counts read
the real rows. The books reconcile after each test."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.betting import PlaceBetCommand
from application.bonuses import ForfeitBonus
from application.campaigns import CreateCampaign, RedeemPromoCode, ShowCampaign
from application.free_bets import ExpireFreeBets, PlayFreeBet
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
from domain.errors import IllegalTransition
from domain.free_bets import FreeBet, FreeBetState, FreeBetTerms
from domain.money import XTR, Money
from tests.campaign_cleanup import end_campaigns
from tests.conftest import race

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

OPERATOR = Actor("staff:free-bets")
FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 10**12}))


def _campaign(clock, *, count: int = 3, max_win: int = 500, budget: int = 100_000) -> Campaign:
    now = clock.now()
    return Campaign(
        code=f"fb-{secrets.token_hex(6)}",
        kind=CampaignKind.FREE_BET,
        budget=Money(budget, XTR),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        target=Target(Audience.ALL),
        terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=3)),
        created_by=OPERATOR.label,
        created_at=now,
        amount=Money(max_win, XTR),
        free_bet=FreeBetTerms(
            "limbo", {"target": "1.5"}, Money(20, XTR), count, timedelta(hours=2)
        ),
    )


@pytest.fixture
async def free_bets_of(uow_factory, clock, ids, house):
    """Free bets for a player from a new free-bet campaign (ended after the test)."""
    created: list[str] = []
    create = CreateCampaign(uow_factory, clock, FOUR_EYES)
    redeem = RedeemPromoCode(uow_factory, clock, ids, house)

    async def make(player_id: int, **changes) -> tuple[str, list[FreeBet]]:
        campaign = (await create(_campaign(clock, **changes), OPERATOR)).campaign
        created.append(campaign.code)
        grant = await redeem(player_id, campaign.code)
        return campaign.code, sorted(grant.free_bets, key=lambda f: f.id)

    yield make
    await end_campaigns(uow_factory, clock, created)


@pytest.fixture
def play(uow_factory, clock, ids, house, seed_source):
    return PlayFreeBet(uow_factory, clock, ids, house, seed_source)


async def _bonuses_of(engine, key: str) -> int:
    async with engine.connect() as conn:
        query = text("SELECT count(*) FROM bonuses WHERE key = :key")
        return int((await conn.execute(query, {"key": key})).scalar_one())


async def test_two_plays_of_one_free_bet_at_once_give_one_outcome_and_one_grant(
    new_player, free_bets_of, play, engine
):
    for _ in range(5):
        player = await new_player()
        _, free_bets = await free_bets_of(player.id, count=1)
        free_bet = free_bets[0]
        results = await race(2, lambda _i, fb=free_bet, p=player: play(p.id, fb.id))
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert sorted(r.replayed for r in results) == [False, True]
        assert results[0].free_bet == results[1].free_bet
        assert results[0].bonus == results[1].bonus
        won = results[0].free_bet.play.won
        assert await _bonuses_of(engine, f"free-bet:{free_bet.id}") == (1 if won else 0)


async def test_a_free_bet_and_bets_at_once_never_share_a_nonce(
    funded_player, free_bets_of, play, place, uow_factory, clock, ids, house
):
    give_up = ForfeitBonus(uow_factory, clock, ids, house)
    player = await funded_player(10_000)
    _, free_bets = await free_bets_of(player.id, count=5)
    nonces: list[int] = []
    for free_bet in free_bets:

        async def bet(_i: int) -> object:
            command = PlaceBetCommand(
                player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"}
            )
            return await place(command)

        async def both(i: int, fb=free_bet) -> object:
            return await (play(player.id, fb.id) if i == 0 else bet(i))

        results = await race(3, both)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        played = results[0].free_bet.play
        nonces.append(played.proof.nonce)
        nonces.extend(r.bet.fairness.nonce for r in results[1:])
        # A win leaves a bonus the next free bet must wait for: give it up to play on.
        if results[0].bonus is not None:
            await give_up(player.id, results[0].bonus.id)
    assert len(nonces) == len(set(nonces)) == 15
    assert sorted(nonces) == list(range(15))  # none skipped either


async def test_the_table_keeps_the_states_and_one_play_per_nonce(
    new_player, free_bets_of, play, engine
):
    player = await new_player()
    _, (first, second, third) = await free_bets_of(player.id)
    await play(player.id, first.id)
    async with engine.connect() as conn:
        for statement in (
            "UPDATE free_bets SET state = 'granted' WHERE id = :id",
            "UPDATE free_bets SET state = 'expired', expired_at = now() WHERE id = :id",
            "DELETE FROM free_bets WHERE id = :id",
        ):
            async with conn.begin():
                with pytest.raises(DBAPIError, match="free bet"):
                    await conn.execute(text(statement), {"id": first.id})
        async with conn.begin():
            with pytest.raises(DBAPIError, match="cannot change what was granted"):
                await conn.execute(
                    text(
                        "UPDATE free_bets SET state = 'expired', expired_at = expires_at,"
                        " max_win = max_win * 10 WHERE id = :id"
                    ),
                    {"id": second.id},
                )
        async with conn.begin():
            # The nonce the first free bet was played with cannot be played again.
            with pytest.raises(DBAPIError, match="uq_free_bets_nonce"):
                await conn.execute(
                    text(
                        "UPDATE free_bets f SET state = 'played', played_at = p.played_at,"
                        " seed_pair_id = p.seed_pair_id, nonce = p.nonce,"
                        " server_seed_hash = p.server_seed_hash, client_seed = p.client_seed,"
                        " house_edge = p.house_edge, outcome = p.outcome,"
                        " multiplier_num = p.multiplier_num, multiplier_den = 1,"
                        " payout = 0, winnings = 0"
                        " FROM free_bets p WHERE f.id = :id AND p.id = :played"
                    ),
                    {"id": third.id, "played": first.id},
                )
        async with conn.begin():
            with pytest.raises(DBAPIError, match="ck_free_bets_winnings"):
                await conn.execute(
                    text(
                        "UPDATE free_bets f SET state = 'played', played_at = f.granted_at,"
                        " seed_pair_id = p.seed_pair_id, nonce = p.nonce + 1000,"
                        " server_seed_hash = p.server_seed_hash, client_seed = p.client_seed,"
                        " house_edge = p.house_edge, outcome = p.outcome,"
                        " multiplier_num = 1000, multiplier_den = 1,"
                        " payout = 20000, winnings = f.max_win + 1"
                        " FROM free_bets p WHERE f.id = :id AND p.id = :played"
                    ),
                    {"id": third.id, "played": first.id},
                )


async def test_the_expiry_job_and_the_staff_counts(
    new_player, free_bets_of, play, uow_factory, clock
):
    player = await new_player()
    code, (first, second, _) = await free_bets_of(player.id)
    await play(player.id, first.id)

    class Later:
        def now(self):
            return clock.now() + timedelta(hours=3)

    expired = await ExpireFreeBets(uow_factory, Later())()
    assert expired >= 2
    async with uow_factory() as uow:
        assert (await uow.free_bets.get(second.id)).state is FreeBetState.EXPIRED
        with pytest.raises(IllegalTransition):
            await uow.free_bets.save(await uow.free_bets.get(first.id))
    report = await ShowCampaign(uow_factory)(code)
    assert report.free_bets is not None
    assert (report.free_bets.granted, report.free_bets.played, report.free_bets.expired) == (
        3,
        1,
        2,
    )
    assert report.budget.spent.amount == report.free_bets.winnings
