"""Campaigns on in-memory fakes (docs/bonuses.md, "Campaigns and promo codes"): staff create,
approve (four-eyes, counted per staff member), pause, resume, end and read them; players
redeem promo codes once each, within the code's uses and budget, and only when their standing
allows promotions; a deposit match grants in the deposit's transaction and never refuses the
deposit; no-deposit grants at registration and to a staff list. The races run on PostgreSQL
(tests/integration/test_campaign_races.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.campaigns import (
    CampaignStep,
    ChangeCampaign,
    CreateCampaign,
    GrantCampaignToPlayers,
    ListCampaigns,
    RedeemPromoCode,
    ShowCampaign,
    WelcomeOnAcceptance,
)
from application.house import HouseBook
from application.payments import CreateStarsInvoice, CreditStarsPayment
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import ALWAYS_GUARDED, AnswerDepositPrompt, SelfExclude, StartTimeout
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from domain.accounts import AccountKind
from domain.adjustments import FourEyesPolicy
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignFourEyes,
    CampaignKind,
    CampaignRefused,
    CampaignState,
    Target,
    UnknownPromoCode,
    WageringBase,
)
from domain.errors import (
    Forbidden,
    IdempotencyConflict,
    IllegalTransition,
    InvalidField,
    InvalidRequest,
)
from domain.money import XTR, Money
from domain.responsible import ResponsibleGamblingRefusal, SelfExclusionPeriod, TimeoutPeriod
from domain.staff import AuditAction
from domain.standing import StandingRefusal
from tests.fake_players import FakeStarsRefunds
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

ALICE, BOB = Actor("staff:alice"), Actor("staff:bob")
START = datetime(2026, 11, 24, 12, tzinfo=UTC)
FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 10_000}))
TERMS = BonusTerms(wagering_multiple=30, expires_after=timedelta(days=7))


def stars(amount: int) -> Money:
    return Money(amount, XTR)


def campaign(
    code: str = "welcome10",
    kind: CampaignKind = CampaignKind.PROMO_CODE,
    *,
    amount: int = 10,
    budget: int = 1_000,
    audience: Audience = Audience.ALL,
    players: frozenset[int] = frozenset(),
    **more: object,
) -> Campaign:
    fields: dict[str, object] = {
        "code": code,
        "kind": kind,
        "budget": stars(budget),
        "starts_at": START,
        "ends_at": START + timedelta(days=30),
        "target": Target(audience, players),
        "terms": TERMS,
        "created_by": "staff:alice",
        "created_at": START,
        "amount": stars(amount),
        **more,
    }
    return Campaign(**fields)  # type: ignore[arg-type]


class Casino:
    def __init__(self) -> None:
        self.db, self.clock, self.ids = FakeDatabase(), FakeClock(START), SequentialIds()
        self.house = HouseBook(4)
        self.create = CreateCampaign(self.db, self.clock, FOUR_EYES)
        self.change = ChangeCampaign(self.db, self.clock)
        self.redeem = RedeemPromoCode(self.db, self.clock, self.ids, self.house)
        self.show = ShowCampaign(self.db)
        self.deposit = CreditDeposit(self.db, self.clock, self.ids, self.house)
        self.grant = GrantCampaignToPlayers(self.db, self.clock, self.ids, self.house)
        self._telegram = 1000

    async def player(self, accept_terms: bool = True) -> int:
        self._telegram += 1
        registered = await RegisterPlayer(self.db, self.clock)(
            RegisterPlayerCommand(self._telegram, currencies=(XTR,), accept_terms=accept_terms)
        )
        return registered.player.id

    def bonus_balance(self, player_id: int) -> int:
        return sum(
            a.balance
            for a in self.db.state.accounts.values()
            if a.player_id == player_id and a.kind is AccountKind.PLAYER_BONUS
        )

    def wallet_balance(self, player_id: int) -> int:
        return sum(
            a.balance
            for a in self.db.state.accounts.values()
            if a.player_id == player_id and a.kind is AccountKind.PLAYER_WALLET
        )

    def audited(self, action: AuditAction) -> list[str]:
        return [e.subject for e in self.db.state.audit if e.action is action]


@pytest.fixture
def casino() -> Casino:
    return Casino()


# -- the domain's rules, in numbers --------------------------------------------------------


def test_a_deposit_match_gives_its_share_up_to_its_cap() -> None:
    match = campaign("match50", CampaignKind.DEPOSIT_MATCH, amount=100, match_percent=50)
    assert match.grant_for(stars(150)).amount == stars(75)  # 50% of 150
    assert match.grant_for(stars(300)).amount == stars(100)  # 150 capped at 100
    assert match.grant_for(stars(1)).amount == stars(0)  # rounded down: nothing
    both = replace(match, terms=replace(TERMS, wagering_base=WageringBase.BONUS_AND_DEPOSIT))
    assert both.grant_for(stars(300)).wagering_base == stars(400)  # 100 bonus + 300 deposit
    assert match.grant_for(stars(300)).wagering_base == stars(100)


def test_a_campaign_refuses_nonsense() -> None:
    with pytest.raises(InvalidField):
        campaign(code="x")  # too short
    with pytest.raises(InvalidField):
        campaign(amount=2_000, budget=1_000)  # one bonus larger than the budget
    with pytest.raises(InvalidField):
        campaign("match", CampaignKind.DEPOSIT_MATCH)  # no percent
    with pytest.raises(InvalidField):
        campaign(match_percent=50)  # a promo code has none
    with pytest.raises(InvalidField):
        campaign(audience=Audience.LIST)  # a list of nobody
    with pytest.raises(InvalidField):
        BonusTerms(wagering_multiple=30, expires_after=timedelta(minutes=5))
    with pytest.raises(InvalidField):
        campaign(ends_at=START)


def test_who_a_campaign_targets() -> None:
    new = campaign(audience=Audience.NEW_PLAYERS)
    new.require_target(1, START + timedelta(hours=1), deposited=False)
    with pytest.raises(CampaignRefused, match="not for player") as old:
        new.require_target(1, START - timedelta(hours=1), deposited=False)
    assert old.value.rule == "not_for_you"
    with pytest.raises(CampaignRefused):
        new.require_target(1, START + timedelta(hours=1), deposited=True)
    listed = campaign(audience=Audience.LIST, players=frozenset({7}))
    listed.require_target(7, START, deposited=True)
    with pytest.raises(CampaignRefused):
        listed.require_target(8, START, deposited=False)


# -- staff ---------------------------------------------------------------------------------


async def test_a_small_campaign_is_active_at_once_and_audited(casino: Casino) -> None:
    created = await casino.create(campaign(budget=5_000), ALICE)
    assert not created.needs_approval
    assert created.campaign.state is CampaignState.ACTIVE
    report = await casino.show("WELCOME10")  # any case
    assert report.budget.total == stars(5_000)
    assert report.budget.spent == stars(0)
    assert casino.audited(AuditAction.CAMPAIGN_CREATED) == ["campaign:welcome10"]


async def test_four_eyes_counts_what_one_staff_member_budgeted(casino: Casino) -> None:
    first = await casino.create(campaign("spring", budget=6_000), ALICE)
    second = await casino.create(campaign("summer", budget=6_000), ALICE)  # 12,000 > 10,000
    other = await casino.create(campaign("autumn", budget=6_000), BOB)  # Bob's own 6,000
    assert first.campaign.state is CampaignState.ACTIVE
    assert second.needs_approval
    assert second.campaign.state is CampaignState.AWAITING_APPROVAL
    assert other.campaign.state is CampaignState.ACTIVE
    player = await casino.player()
    with pytest.raises(CampaignRefused) as waiting:
        await casino.redeem(player, "summer")
    assert waiting.value.rule == "paused"
    with pytest.raises(Forbidden):
        await casino.change("summer", CampaignStep.APPROVE, ALICE)  # not her own
    approved = await casino.change("summer", CampaignStep.APPROVE, BOB)
    assert approved.campaign.state is CampaignState.ACTIVE
    assert approved.campaign.approved_by == "staff:bob"
    assert (await casino.redeem(player, "summer")).redemption.amount == stars(10)
    casino.clock.advance(hours=25)  # outside the window, Alice's budgets start again
    later = await casino.create(campaign("winter", budget=6_000), ALICE)
    assert later.campaign.state is CampaignState.ACTIVE


async def test_a_code_is_taken_once(casino: Casino) -> None:
    await casino.create(campaign(), ALICE)
    with pytest.raises(IdempotencyConflict):
        await casino.create(campaign(), BOB)


async def test_pause_resume_end(casino: Casino) -> None:
    await casino.create(campaign(), ALICE)
    player = await casino.player()
    paused = await casino.change("welcome10", CampaignStep.PAUSE, BOB)
    assert paused.campaign.state is CampaignState.PAUSED
    with pytest.raises(CampaignRefused) as refused:
        await casino.redeem(player, "welcome10")
    assert refused.value.rule == "paused"
    await casino.change("welcome10", CampaignStep.RESUME, BOB)
    await casino.redeem(player, "welcome10")
    ended = await casino.change("welcome10", CampaignStep.END, BOB)
    assert ended.campaign.state is CampaignState.ENDED
    with pytest.raises(IllegalTransition):
        await casino.change("welcome10", CampaignStep.RESUME, BOB)
    with pytest.raises(CampaignRefused) as over:
        await casino.redeem(await casino.player(), "welcome10")
    assert over.value.rule == "expired"
    steps = [
        AuditAction.CAMPAIGN_PAUSED,
        AuditAction.CAMPAIGN_RESUMED,
        AuditAction.CAMPAIGN_ENDED,
    ]
    assert all(casino.audited(step) == ["campaign:welcome10"] for step in steps)
    listed = await ListCampaigns(casino.db)(CampaignState.ENDED)
    assert [r.campaign.code for r in listed] == ["welcome10"]


# -- promo codes -----------------------------------------------------------------------------


async def test_a_promo_code_grants_its_bonus_once(casino: Casino) -> None:
    await casino.create(campaign(amount=25, budget=1_000), ALICE)
    player = await casino.player()
    first = await casino.redeem(player, " Welcome10 ")
    again = await casino.redeem(player, "welcome10")
    assert not first.replayed
    assert again.replayed
    assert again.redemption == first.redemption
    assert casino.bonus_balance(player) == 25  # the bonus account, not the wallet
    assert casino.wallet_balance(player) == 0
    report = await casino.show("welcome10")
    assert report.budget.spent == stars(25)
    assert report.campaign.uses == 1
    assert [r.player_id for r in report.redemptions] == [player]
    assert casino.audited(AuditAction.CAMPAIGN_GRANTED) == [f"player:{player}"]


async def test_polite_refusals(casino: Casino) -> None:
    player = await casino.player()
    with pytest.raises(UnknownPromoCode):
        await casino.redeem(player, "nosuchcode")
    await casino.create(campaign("match", CampaignKind.DEPOSIT_MATCH, match_percent=50), ALICE)
    with pytest.raises(UnknownPromoCode):
        await casino.redeem(player, "match")  # not a code to type
    await casino.create(
        campaign("later", starts_at=START + timedelta(days=1), ends_at=START + timedelta(days=2)),
        ALICE,
    )
    with pytest.raises(CampaignRefused) as early:
        await casino.redeem(player, "later")
    assert early.value.rule == "not_started"
    await casino.create(campaign("vip", audience=Audience.LIST, players=frozenset({999})), ALICE)
    with pytest.raises(CampaignRefused) as not_listed:
        await casino.redeem(player, "vip")
    assert not_listed.value.rule == "not_for_you"
    await casino.create(campaign("short", ends_at=START + timedelta(hours=1)), ALICE)
    casino.clock.advance(hours=2)
    with pytest.raises(CampaignRefused) as late:
        await casino.redeem(player, "short")
    assert late.value.rule == "expired"
    assert casino.bonus_balance(player) == 0


async def test_a_code_runs_out_of_uses_and_of_budget(casino: Casino) -> None:
    await casino.create(campaign("two", max_uses=2), ALICE)
    await casino.create(campaign("thirty", amount=10, budget=30), ALICE)
    players = [await casino.player() for _ in range(7)]  # one active bonus each
    for player in players[:2]:
        await casino.redeem(player, "two")
    with pytest.raises(CampaignRefused) as no_uses:
        await casino.redeem(players[2], "two")
    assert no_uses.value.rule == "run_out"
    for player in players[3:6]:
        await casino.redeem(player, "thirty")
    with pytest.raises(CampaignRefused) as no_budget:
        await casino.redeem(players[6], "thirty")
    assert no_budget.value.rule == "run_out"
    assert (await casino.show("thirty")).budget.remaining == stars(0)
    assert casino.bonus_balance(players[6]) == 0


async def test_new_players_only_means_registered_since_and_no_deposit(casino: Casino) -> None:
    before = await casino.player()
    casino.clock.advance(hours=1)
    await casino.create(
        campaign("fresh", audience=Audience.NEW_PLAYERS, starts_at=casino.clock.now()), ALICE
    )
    new, depositor = await casino.player(), await casino.player()
    await casino.deposit(CreditDepositCommand(depositor, stars(50), "psp:1"))
    await casino.redeem(new, "fresh")
    for player in (before, depositor):
        with pytest.raises(CampaignRefused) as refused:
            await casino.redeem(player, "fresh")
        assert refused.value.rule == "not_for_you"


async def test_a_protected_player_redeems_nothing(casino: Casino) -> None:
    await casino.create(campaign(), ALICE)
    unconfirmed = await casino.player(accept_terms=False)
    on_a_break, excluded = await casino.player(), await casino.player()
    await StartTimeout(casino.db, casino.clock)(on_a_break, TimeoutPeriod.DAY)
    await SelfExclude(casino.db, casino.clock)(excluded, SelfExclusionPeriod.SIX_MONTHS)
    for player in (unconfirmed, on_a_break, excluded):
        with pytest.raises((StandingRefusal, ResponsibleGamblingRefusal)):
            await casino.redeem(player, "welcome10")
        assert casino.bonus_balance(player) == 0
    report = await casino.show("welcome10")
    assert report.campaign.uses == 0
    assert report.redemptions == []


# -- deposit matches -------------------------------------------------------------------------


async def test_a_deposit_match_grants_with_the_deposit_once(casino: Casino) -> None:
    await casino.create(
        campaign("match50", CampaignKind.DEPOSIT_MATCH, amount=100, match_percent=50), ALICE
    )
    player = await casino.player()
    credited = await casino.deposit(CreditDepositCommand(player, stars(150), "psp:a"))
    again = await casino.deposit(CreditDepositCommand(player, stars(150), "psp:a"))  # retried
    assert credited.balance == stars(150)
    assert again.replayed
    assert casino.bonus_balance(player) == 75  # 50% of 150
    await casino.deposit(CreditDepositCommand(player, stars(400), "psp:b"))  # once per player
    assert casino.bonus_balance(player) == 75
    report = await casino.show("match50")
    assert [r.key for r in report.redemptions] == ["deposit-match:psp:a"]
    assert report.budget.spent == stars(75)


async def test_a_deposit_match_never_refuses_the_deposit(casino: Casino) -> None:
    await casino.create(
        campaign("tiny", CampaignKind.DEPOSIT_MATCH, amount=100, budget=100, match_percent=100),
        ALICE,
    )
    rich, late = await casino.player(), await casino.player()
    await casino.deposit(CreditDepositCommand(rich, stars(100), "psp:1"))  # spends it all
    credited = await casino.deposit(CreditDepositCommand(late, stars(100), "psp:2"))
    assert credited.balance == stars(100)  # the deposit, whole
    assert casino.bonus_balance(late) == 0  # the budget ran out: nothing, logged
    await casino.deposit(CreditDepositCommand(late, stars(1), "psp:3"))
    assert casino.wallet_balance(late) == 101
    assert (await casino.show("tiny")).budget.spent == stars(100)


async def test_a_stars_credit_is_matched_but_never_for_a_player_on_a_break(casino: Casino) -> None:
    await casino.create(
        campaign("stars", CampaignKind.DEPOSIT_MATCH, amount=100, match_percent=100), ALICE
    )
    credit = CreditStarsPayment(
        casino.db, casino.clock, casino.ids, casino.house, FakeStarsRefunds(), DEFAULT_RISK_REVIEW
    )
    invoices = CreateStarsInvoice(casino.db, casino.clock, casino.ids, ALWAYS_GUARDED)
    player, resting = await casino.player(), await casino.player()
    for someone in (player, resting):  # the prompt at the first deposit: "No limit for now"
        await AnswerDepositPrompt(casino.db, casino.clock)(someone)
    paid = await invoices(player, 40)
    await credit("charge-1", paid.payload, casino._telegram - 1, 40, "XTR")
    assert casino.bonus_balance(player) == 40  # 100% of 40
    # Telegram took the Stars before the break began: the credit is whole, the bonus none.
    unpaid = await invoices(resting, 60)
    await StartTimeout(casino.db, casino.clock)(resting, TimeoutPeriod.DAY)
    credited = await credit("charge-2", unpaid.payload, casino._telegram, 60, "XTR")
    assert credited.balance == stars(60)
    assert casino.bonus_balance(resting) == 0
    assert [r.player_id for r in (await casino.show("stars")).redemptions] == [player]


# -- no-deposit grants -----------------------------------------------------------------------


async def test_staff_grant_a_no_deposit_bonus_to_a_list(casino: Casino) -> None:
    await casino.create(campaign("gift", CampaignKind.NO_DEPOSIT, amount=20), ALICE)
    ann, ben, unconfirmed = (
        await casino.player(),
        await casino.player(),
        await casino.player(accept_terms=False),
    )
    result = await casino.grant("gift", [ann, ben, unconfirmed, ann], BOB)
    assert sorted(g.redemption.player_id for g in result.granted) == [ann, ben]
    assert result.skipped == (unconfirmed,)
    again = await casino.grant("gift", [ann], BOB)
    assert again.granted == ()
    assert again.skipped == (ann,)  # had it: once per player
    assert casino.bonus_balance(ann) == 20
    grants = [e for e in casino.db.state.audit if e.action is AuditAction.CAMPAIGN_GRANTED]
    assert {e.actor for e in grants} == {"staff:bob"}
    await casino.create(campaign("typed"), ALICE)
    with pytest.raises(InvalidRequest):
        await casino.grant("typed", [ann], BOB)  # a promo code is typed, not given


async def test_a_new_player_gets_the_welcome_grant_when_they_accept_the_terms(
    casino: Casino,
) -> None:
    await casino.create(
        campaign("hello", CampaignKind.NO_DEPOSIT, amount=15, audience=Audience.NEW_PLAYERS),
        ALICE,
    )
    newcomer = await casino.player(accept_terms=False)
    assert casino.bonus_balance(newcomer) == 0  # unconfirmed: nothing yet
    await WelcomeOnAcceptance(casino.db, casino.clock, casino.ids, casino.house)(newcomer)
    await WelcomeOnAcceptance(casino.db, casino.clock, casino.ids, casino.house)(newcomer)  # again
    assert casino.bonus_balance(newcomer) == 15


async def test_a_deposit_match_skips_a_player_with_an_active_bonus(casino: Casino) -> None:
    await casino.create(campaign(amount=10), ALICE)
    await casino.create(
        campaign("match", CampaignKind.DEPOSIT_MATCH, amount=100, match_percent=100), ALICE
    )
    player = await casino.player()
    await casino.redeem(player, "welcome10")
    credited = await casino.deposit(CreditDepositCommand(player, stars(50), "psp:x"))
    assert credited.balance == stars(50)
    assert casino.bonus_balance(player) == 10  # the promo code's bonus only: one at a time
    report = await casino.show("match")
    assert (report.campaign.uses, report.redemptions) == (0, [])
