"""Referrals on the in-memory fakes: attribution at first contact (bot and Mini App), the
commission job (arithmetic through the ledger, cap, budget, idempotent rerun, abuse flag,
protected referrer and referred players) and the referrer's statistics. The races and the
set-once trigger are tested on PostgreSQL (tests/integration/test_referrals.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.miniapp import MiniAppConfig, OpenMiniAppSession
from application.onboarding import AcceptTerms, StartPlayer
from application.player_admin import BlockPlayer
from application.promotions.raise_budget import RaiseBudget
from application.referrals import GetReferralStats, PayReferralCommissions, SetReferralBudget
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import SelfExclude, StartTimeout
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from domain.accounts import AccountKind
from domain.adjustments import FourEyesPolicy
from domain.campaigns import CampaignFourEyes
from domain.errors import DomainError
from domain.events import TransactionPosted
from domain.ledger import TransactionKind
from domain.money import XTR, Money
from domain.referrals import (
    CommissionBasis,
    CommissionOutcome,
    Exclusion,
    ReferralPeriod,
    ReferralPolicy,
)
from domain.responsible import SelfExclusionPeriod, TimeoutPeriod
from domain.risk import PaymentIdentityKind, RiskFlagKind
from domain.webapp import sign
from tests.casino_on_fakes import Casino

DAILY = ReferralPolicy(
    CommissionBasis.DEPOSITS, share_bps=1_000, period=ReferralPeriod.DAY, caps={"XTR": 500}
)
NGR_DAILY = ReferralPolicy(share_bps=5_000, period=ReferralPeriod.DAY, caps={"XTR": 10_000})


def set_budget(casino: Casino) -> SetReferralBudget:
    """The referral budget's command, raising through the one road of a raise."""
    return SetReferralBudget(
        casino.db,
        RaiseBudget(casino.db, casino.clock, CampaignFourEyes(FourEyesPolicy({"XTR": 10**9}))),
    )


async def started(casino: Casino, user: int, code: str | None = None) -> int:
    onboarded = await StartPlayer(casino.db, casino.clock)(
        user, username=f"u{user}", language="en", referral_code=code
    )
    await AcceptTerms(casino.db, casino.clock)(onboarded.player.id)
    return onboarded.player.id


async def code_of(casino: Casino, player: int) -> str:
    async with casino.db() as uow:
        preferences = await uow.preferences.get(player)
    assert preferences is not None
    return preferences.referral_code


async def referrer_and_referred(casino: Casino) -> tuple[int, int]:
    referrer = await started(casino, 100)
    referred = await started(casino, 200, await code_of(casino, referrer))
    return referrer, referred


def job(casino: Casino, policy: ReferralPolicy = DAILY) -> PayReferralCommissions:
    return PayReferralCommissions(
        casino.db, casino.clock, casino.ids, policy, _registry(), DEFAULT_RISK_REVIEW, 4
    )


def _registry():
    from domain.money import CurrencyRegistry

    return CurrencyRegistry()


async def wallet(casino: Casino, player: int) -> int:
    async with casino.db() as uow:
        return (await uow.accounts.open_wallet(player, XTR)).balance


async def next_day(casino: Casino) -> None:
    casino.clock.advance(days=1)


# -- attribution ------------------------------------------------------------------------------


async def test_attribution_is_made_at_first_contact_only_and_never_to_oneself() -> None:
    casino = Casino()
    referrer, referred = await referrer_and_referred(casino)
    async with casino.db() as uow:
        assert (await uow.preferences.get(referred)).referred_by == referrer  # type: ignore[union-attr]
    start = StartPlayer(casino.db, casino.clock)
    # A later /start with another code changes nothing.
    other = await started(casino, 300)
    again = await start(
        200, username="u200", language="en", referral_code=await code_of(casino, other)
    )
    assert again.preferences.referred_by == referrer
    # An existing player with no referrer is never attributed later; nor is one to oneself.
    late = await start(
        300, username="u300", language="en", referral_code=await code_of(casino, referrer)
    )
    assert late.preferences.referred_by is None
    # Nor is a player an internal service registered before (no preferences yet): their
    # first contact was the registration.
    await RegisterPlayer(casino.db, casino.clock)(RegisterPlayerCommand(500))
    registered = await start(
        500, username="u500", language="en", referral_code=await code_of(casino, referrer)
    )
    assert registered.preferences.referred_by is None
    # An unknown code is ignored.
    unknown = await start(400, username="u400", language="en", referral_code="zzzzzzzzzz")
    assert unknown.preferences.referred_by is None


async def test_the_mini_app_attributes_from_the_signed_start_param() -> None:
    casino = Casino()
    referrer = await started(casino, 100)
    code = await code_of(casino, referrer)
    token = "123:abc"
    fields = {
        "auth_date": str(int(casino.clock.now().timestamp())),
        "user": '{"id": 555, "first_name": "Ann"}',
        "start_param": f"ref_{code}",
    }
    init_data = "&".join(f"{k}={v}" for k, v in {**fields, "hash": sign(fields, token)}.items())

    class _Sessions:
        def issue(self, player_id, now):
            return "t", now + timedelta(hours=1)

        def read(self, token, now):
            return None

    opened = await OpenMiniAppSession(
        MiniAppConfig(token), casino.clock, _Sessions(), StartPlayer(casino.db, casino.clock)
    )(init_data)
    assert opened.onboarded.preferences.referred_by == referrer


# -- the job ----------------------------------------------------------------------------------


async def test_the_job_pays_a_share_of_deposits_once_per_period_from_the_budget() -> None:
    casino = Casino()
    await set_budget(casino)(Money(10_000, XTR))
    referrer, referred = await referrer_and_referred(casino)
    await casino.deposit(referred, 2_000)  # 10% of 2,000: 200
    assert (await job(casino)()).settled == ()  # the day is not over
    await next_day(casino)

    run = await job(casino)()
    assert [(s.outcome, s.amount) for s in run.settled] == [(CommissionOutcome.PAID, 200)]
    assert await wallet(casino, referrer) == 200
    async with casino.db() as uow:
        assert (await uow.budgets.get("referral-xtr")).spent == Money(200, XTR)
    # Told once (the referrer's open screens hear the new balance), as a grant.
    (posted,) = [
        e.transaction
        for e in casino.db.state.events
        if isinstance(e, TransactionPosted) and e.transaction.id == run.paid[0].transaction_id
    ]
    assert posted.kind is TransactionKind.GRANT

    # A rerun (or the next hour's run) pays nothing again.
    assert (await job(casino)()).settled == ()
    assert await wallet(casino, referrer) == 200


async def test_the_cap_bounds_the_commission_and_an_empty_budget_postpones_it() -> None:
    casino = Casino()
    referrer, referred = await referrer_and_referred(casino)
    await casino.deposit(referred, 9_000)  # 10%: 900, capped at 500
    await next_day(casino)
    postponed = await job(casino)()  # no budget opened yet
    assert postponed.settled == ()
    assert len(postponed.postponed) == 1
    await set_budget(casino)(Money(400, XTR))
    assert len((await job(casino)()).postponed) == 1  # 400 left is less than 500
    await set_budget(casino)(Money(1_000, XTR))
    run = await job(casino)()
    assert [(s.commission.uncapped, s.amount) for s in run.settled] == [(900, 500)]
    assert await wallet(casino, referrer) == 500


async def test_ngr_counts_settled_bets_stakes_less_payouts() -> None:
    casino = Casino()
    await casino.bankroll()
    await set_budget(casino)(Money(10_000, XTR))
    referrer, referred = await referrer_and_referred(casino)
    await casino.deposit(referred, 1_000)
    for _ in range(4):
        await casino.coin(referred, stake=100)
    bets = list(casino.db.state.bets.values())
    ngr = sum(b.stake.amount - (b.payout or 0) for b in bets)
    await next_day(casino)

    run = await job(casino, NGR_DAILY)()
    expected = max(0, ngr) // 2
    assert [s.commission.base for s in run.settled] == [max(0, ngr)]
    assert await wallet(casino, referrer) == expected


async def test_a_shared_payment_identity_earns_nothing_and_flags_the_referrer() -> None:
    casino = Casino()
    await set_budget(casino)(Money(10_000, XTR))
    referrer, referred = await referrer_and_referred(casino)
    async with casino.db() as uow:
        now = casino.clock.now()
        await uow.risk.add_identity(PaymentIdentityKind.STARS_PAYER, "payer-1", referrer, now)
        await uow.risk.add_identity(PaymentIdentityKind.STARS_PAYER, "payer-1", referred, now)
        await uow.commit()
    await casino.deposit(referred, 2_000)
    await next_day(casino)

    run = await job(casino)()
    (settled,) = run.settled
    assert settled.outcome is CommissionOutcome.NOTHING
    assert dict(settled.commission.excluded) == {referred: Exclusion.ABUSE}
    assert await wallet(casino, referrer) == 0
    flags = [f for f in casino.db.state.flags.values() if f.kind is RiskFlagKind.REFERRAL_ABUSE]
    assert [(f.player_id, f.evidence["referred_player"]) for f in flags] == [(referrer, referred)]


@pytest.mark.parametrize("protection", ["timeout", "self_exclusion", "blocked", "unconfirmed"])
async def test_a_protected_referrer_is_paid_nothing_and_the_period_is_forfeited(
    protection: str,
) -> None:
    casino = Casino()
    await set_budget(casino)(Money(10_000, XTR))
    if protection == "unconfirmed":  # never confirmed 18+ and the terms
        onboarded = await StartPlayer(casino.db, casino.clock)(100, username="a", language="en")
        referrer = onboarded.player.id
        referred = await started(casino, 200, onboarded.preferences.referral_code)
    else:
        referrer, referred = await referrer_and_referred(casino)
    await casino.deposit(referred, 2_000)
    await next_day(casino)
    if protection == "timeout":
        await StartTimeout(casino.db, casino.clock)(referrer, TimeoutPeriod("24h"))
    elif protection == "self_exclusion":
        await SelfExclude(casino.db, casino.clock)(referrer, next(iter(SelfExclusionPeriod)))
    elif protection == "blocked":
        await BlockPlayer(casino.db, casino.clock)(referrer, "fraud", Actor("alice"))

    (settled,) = (await job(casino)()).settled
    assert (settled.outcome, settled.amount) == (CommissionOutcome.WITHHELD, 0)
    assert await wallet(casino, referrer) == 0
    # Its statistics are refused too (the doors hide the screen).
    with pytest.raises(DomainError):
        await GetReferralStats(casino.db, casino.clock, DAILY, _registry())(referrer)
    casino.clock.advance(days=2)  # the time-out is over: the forfeited period stays unpaid
    assert (await job(casino)()).settled == ()


async def test_a_self_excluded_referred_players_activity_earns_nothing() -> None:
    casino = Casino()
    await set_budget(casino)(Money(10_000, XTR))
    _referrer, referred = await referrer_and_referred(casino)
    await casino.deposit(referred, 2_000)
    await SelfExclude(casino.db, casino.clock)(referred, next(iter(SelfExclusionPeriod)))
    await next_day(casino)

    (settled,) = (await job(casino)()).settled
    assert settled.outcome is CommissionOutcome.NOTHING
    assert dict(settled.commission.excluded) == {referred: Exclusion.PROTECTED}


async def test_the_referrer_sees_their_code_players_and_earnings() -> None:
    casino = Casino()
    await set_budget(casino)(Money(10_000, XTR))
    referrer, referred = await referrer_and_referred(casino)
    await casino.deposit(referred, 2_000)
    stats = GetReferralStats(casino.db, casino.clock, DAILY, _registry())
    today = await stats(referrer)
    assert (today.code, today.referred) == (await code_of(casino, referrer), 1)
    assert (today.this_period, today.paid_total) == ((Money(200, XTR),), ())
    await next_day(casino)
    await job(casino)()
    tomorrow = await stats(referrer)
    assert (tomorrow.this_period, tomorrow.paid_total) == ((), (Money(200, XTR),))
    # The payment is promotion money: out of the promotions account.
    promotions = [a for a in casino.db.state.accounts.values() if a.kind is AccountKind.PROMOTIONS]
    assert sum(a.balance for a in promotions) == -200
