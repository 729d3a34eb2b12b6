"""Referrals on PostgreSQL: the referrer is set once (a trigger), the activity query, and the
commission job paying once per (referrer, period, currency) when run again or by two
instances at the same time.

Each test runs on a clock of its own day, years away from the others', so the job's period
holds only that test's players."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.clock import SystemClock
from application.onboarding import AcceptTerms, StartPlayer
from application.postings import CreditDeposit, CreditDepositCommand
from application.promotions.raise_budget import RaiseBudget
from application.referrals import PayReferralCommissions, SetReferralBudget
from application.risk import DEFAULT_RISK_REVIEW
from domain.adjustments import FourEyesPolicy
from domain.campaigns import CampaignFourEyes
from domain.money import XTR, CurrencyRegistry, Money
from domain.referrals import CommissionBasis, CommissionOutcome, ReferralPeriod, ReferralPolicy
from domain.risk import PaymentIdentityKind
from tests.conftest import TEST_HOUSE_SHARDS, race
from tests.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

# The referral budget is only opened here (never raised): any threshold does.
FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 10**12}))
POLICY = ReferralPolicy(
    CommissionBasis.DEPOSITS, share_bps=1_000, period=ReferralPeriod.DAY, caps={"XTR": 5_000}
)


@pytest.fixture
def day_clock() -> FakeClock:
    # A day of its own between 2040 and 2300: no other test's activity falls in it.
    start = datetime(2040, 1, 1, 12, tzinfo=UTC) + timedelta(days=secrets.randbelow(90_000))
    return FakeClock(start)


@pytest.fixture
def pair(uow_factory, day_clock, new_telegram_id):
    async def make() -> tuple[int, int, str]:
        start = StartPlayer(uow_factory, day_clock)
        referrer = await start(new_telegram_id(), username="ann", language="en")
        referred = await start(
            new_telegram_id(),
            username="bob",
            language="en",
            referral_code=referrer.preferences.referral_code,
        )
        for player in (referrer, referred):
            await AcceptTerms(uow_factory, day_clock)(player.player.id)
        assert referred.preferences.referred_by == referrer.player.id
        return referrer.player.id, referred.player.id, referrer.preferences.referral_code

    return make


def job(uow_factory, clock, ids) -> PayReferralCommissions:
    return PayReferralCommissions(
        uow_factory, clock, ids, POLICY, CurrencyRegistry(), DEFAULT_RISK_REVIEW, TEST_HOUSE_SHARDS
    )


async def deposit(uow_factory, clock, ids, house, player: int, amount: int) -> None:
    await CreditDeposit(uow_factory, clock, ids, house)(
        CreditDepositCommand(player, Money(amount, XTR), f"ref-dep-{secrets.token_hex(8)}")
    )


async def wallet(uow_factory, player: int) -> int:
    async with uow_factory() as uow:
        return (await uow.accounts.open_wallet(player, XTR)).balance


async def spent(uow_factory) -> int:
    async with uow_factory() as uow:
        return (await uow.budgets.get("referral-xtr")).spent.amount


async def test_a_referrer_is_set_at_first_contact_and_never_changed(engine, pair, new_player):
    referrer, referred, _ = await pair()
    other = (await new_player()).id
    async with engine.connect() as conn:
        for change in (other, None):
            with pytest.raises(DBAPIError, match="never changed"):
                await conn.execute(
                    text("UPDATE player_preferences SET referred_by = :r WHERE player_id = :p"),
                    {"r": change, "p": referred},
                )
            await conn.rollback()
        # Nor is a player without a referrer given one later, nor anyone referred by themself.
        with pytest.raises(DBAPIError, match="never changed"):
            await conn.execute(
                text("UPDATE player_preferences SET referred_by = :r WHERE player_id = :p"),
                {"r": other, "p": referrer},
            )
        await conn.rollback()
        with pytest.raises(DBAPIError, match="no_self_referral"):
            await conn.execute(
                text(
                    "INSERT INTO player_preferences (player_id, language, referral_code,"
                    " referred_by) VALUES (:p, 'en', :code, :p)"
                ),
                {"p": other, "code": secrets.token_hex(5)},
            )


async def test_the_job_pays_once_when_run_again(uow_factory, day_clock, ids, house, pair):
    await SetReferralBudget(uow_factory, RaiseBudget(uow_factory, SystemClock(), FOUR_EYES))(
        Money(10**12, XTR)
    )
    referrer, referred, _ = await pair()
    await deposit(uow_factory, day_clock, ids, house, referred, 3_000)
    day_clock.advance(days=1)
    before = await spent(uow_factory)

    first = await job(uow_factory, day_clock, ids)()
    again = await job(uow_factory, day_clock, ids)()

    mine = [s for s in first.settled if s.commission.referrer_id == referrer]
    assert [(s.outcome, s.amount) for s in mine] == [(CommissionOutcome.PAID, 300)]
    assert [s for s in again.settled if s.commission.referrer_id == referrer] == []
    assert await wallet(uow_factory, referrer) == 300
    assert await spent(uow_factory) - before == 300


async def test_two_jobs_at_once_pay_each_referrer_once(uow_factory, day_clock, ids, house, pair):
    await SetReferralBudget(uow_factory, RaiseBudget(uow_factory, SystemClock(), FOUR_EYES))(
        Money(10**12, XTR)
    )
    referrers = []
    for amount in (1_000, 2_000, 4_000):
        referrer, referred, _ = await pair()
        await deposit(uow_factory, day_clock, ids, house, referred, amount)
        referrers.append(referrer)
    day_clock.advance(days=1)
    before = await spent(uow_factory)

    runs = await race(4, lambda _: job(uow_factory, day_clock, ids)())

    assert not [r for r in runs if isinstance(r, BaseException)], runs
    paid = sorted(
        (s.commission.referrer_id, s.amount)
        for run in runs
        for s in run.paid
        if s.commission.referrer_id in referrers
    )
    assert paid == sorted(zip(referrers, (100, 200, 400), strict=True))
    assert [await wallet(uow_factory, r) for r in referrers] == [100, 200, 400]
    assert await spent(uow_factory) - before == 700


async def test_a_shared_payment_identity_is_found_and_earns_nothing(
    uow_factory, day_clock, ids, house, pair, engine
):
    await SetReferralBudget(uow_factory, RaiseBudget(uow_factory, SystemClock(), FOUR_EYES))(
        Money(10**12, XTR)
    )
    referrer, referred, _ = await pair()
    identity = f"EQ{secrets.token_hex(16)}"
    async with uow_factory() as uow:
        now = day_clock.now()
        for player in (referrer, referred):
            await uow.risk.add_identity(
                PaymentIdentityKind.WITHDRAWAL_DESTINATION, identity, player, now
            )
        await uow.commit()
    await deposit(uow_factory, day_clock, ids, house, referred, 3_000)
    day_clock.advance(days=1)

    run = await job(uow_factory, day_clock, ids)()

    (mine,) = [s for s in run.settled if s.commission.referrer_id == referrer]
    assert mine.outcome is CommissionOutcome.NOTHING
    assert await wallet(uow_factory, referrer) == 0
    async with engine.connect() as conn:
        flagged = (
            (
                await conn.execute(
                    text(
                        "SELECT evidence ->> 'referred_player' FROM risk_flags"
                        " WHERE player_id = :p AND kind = 'referral_abuse'"
                    ),
                    {"p": referrer},
                )
            )
            .scalars()
            .all()
        )
        recorded = (
            await conn.execute(
                text("SELECT outcome, excluded FROM referral_commissions WHERE referrer_id = :p"),
                {"p": referrer},
            )
        ).one()
    assert flagged == [str(referred)]
    assert (recorded.outcome, recorded.excluded) == ("nothing", {str(referred): "abuse"})
