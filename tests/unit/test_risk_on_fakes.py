"""Risk controls on in-memory fakes (the risk port in tests/fake_money.py): a large win raising
its flag once and its significant event every time, a shared payment identity flagging every
holder, the scan for improbable results, a rapid deposit-to-withdrawal holding the request, and
staff listing and reviewing flags. The SQL figures, the keyed digests and the concurrent
recordings are tested on PostgreSQL (tests/integration/test_risk.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.betting import PlaceBetCommand
from application.ports import RiskFlagQuery
from application.risk import (
    DEFAULT_RISK_REVIEW,
    GetRiskFlag,
    HasOpenRiskFlags,
    ListRiskFlags,
    RecordPaymentIdentity,
    ReviewRiskFlag,
    RiskReview,
    ScanPlayersForRisk,
)
from application.seeds import RotateSeedPair
from application.staff import Actor
from application.withdrawals import RequestWithdrawal
from domain.errors import IllegalTransition, InvalidRequest, NotFound
from domain.money import XTR, Money
from domain.risk import (
    LARGE_WAGER_THRESHOLDS,
    LARGE_WIN_THRESHOLDS,
    PaymentIdentityKind,
    RiskFlagKind,
    RiskFlagStatus,
    RiskPolicy,
)
from domain.staff import AuditAction
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from tests.casino_on_fakes import Casino

ALICE = Actor("staff:alice", "10.0.0.1")
DESTINATION = PaymentIdentityKind.WITHDRAWAL_DESTINATION


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


def _flags(casino: Casino, kind: RiskFlagKind) -> list[tuple[int, RiskFlagStatus]]:
    return sorted((f.player_id, f.status) for f in casino.db.state.flags.values() if f.kind is kind)


async def _lucky(casino: Casino, telegram_user_id: int, wins: int) -> int:
    """A player whose every coin flip wins: the fixed seeds win at nonce 0, and rotating the
    pair starts the nonces again."""
    player = await casino.player(telegram_user_id, deposit=1000)
    for _ in range(wins):
        assert (await casino.coin(player)).bet.payout == 19
        await RotateSeedPair(casino.db, casino.clock, casino.seeds)(player)
    return player


async def test_a_large_win_raises_one_flag_and_is_audited_every_time(casino):
    casino.risk = RiskReview(RiskPolicy(large_win={"XTR": 15}))
    ann = await _lucky(casino, 1, wins=2)
    assert _flags(casino, RiskFlagKind.LARGE_WIN) == [(ann, RiskFlagStatus.OPEN)]
    actions = [e.action for e in casino.db.state.audit]
    assert actions.count(AuditAction.LARGE_WIN) == 2
    assert actions.count(AuditAction.RISK_FLAG_RAISED) == 1
    assert await HasOpenRiskFlags(casino.db)(ann)


async def test_staff_list_get_and_review_a_flag_once(casino):
    casino.risk = RiskReview(RiskPolicy(large_win={"XTR": 15}))
    ann = await _lucky(casino, 1, wins=1)
    bob = await _lucky(casino, 2, wins=1)
    listed = await ListRiskFlags(casino.db)(RiskFlagQuery(status=RiskFlagStatus.OPEN))
    assert [f.player_id for f in listed] == [bob, ann]  # newest first
    assert [f.player_id for f in await ListRiskFlags(casino.db)(RiskFlagQuery(player_id=ann))] == [
        ann
    ]
    flag = await GetRiskFlag(casino.db)(listed[1].id)
    assert flag.evidence["currency"] == "XTR"

    reviewed = await ReviewRiskFlag(casino.db, casino.clock)(
        flag.id, RiskFlagStatus.DISMISSED, "a lucky evening", ALICE
    )
    assert (reviewed.status, reviewed.reviewed_by, reviewed.note) == (
        RiskFlagStatus.DISMISSED,
        "staff:alice",
        "a lucky evening",
    )
    entry = casino.db.state.audit[-1]
    assert (entry.action, entry.subject, entry.after["status"]) == (
        AuditAction.RISK_FLAG_DISMISSED,
        f"player:{ann}",
        "dismissed",
    )
    assert not await HasOpenRiskFlags(casino.db)(ann)
    with pytest.raises(IllegalTransition):
        await ReviewRiskFlag(casino.db, casino.clock)(
            flag.id, RiskFlagStatus.RESOLVED, "again", ALICE
        )
    for missing in (0, 2**63, 999):
        with pytest.raises(NotFound):
            await GetRiskFlag(casino.db)(missing)
    with pytest.raises(InvalidRequest):
        await ListRiskFlags(casino.db)(RiskFlagQuery(limit=0))


async def test_a_shared_payment_identity_flags_every_holder_once(casino):
    ann, bob = await casino.player(1), await casino.player(2)
    record = RecordPaymentIdentity(casino.db, casino.clock, RiskReview(RiskPolicy()))
    assert await record(ann, DESTINATION, "EQab 12") == []
    raised = await record(bob, DESTINATION, "eqAB12")  # the same address, written otherwise
    assert sorted(f.player_id for f in raised) == [ann, bob]
    assert _flags(casino, RiskFlagKind.SHARED_PAYMENT_IDENTITY) == [
        (ann, RiskFlagStatus.OPEN),
        (bob, RiskFlagStatus.OPEN),
    ]
    assert await record(ann, DESTINATION, "EQab12") == []  # open already: nothing new
    assert "EQab" not in str(raised[0].evidence)  # a digest, never the identity
    with pytest.raises(NotFound):
        await record(999, DESTINATION, "EQab12")


async def test_the_scan_flags_improbable_results_once(casino):
    ann = await _lucky(casino, 1, wins=3)
    await casino.player(2, deposit=1000)
    policy = RiskPolicy(min_bets=3, z_threshold=1.0)
    scan = ScanPlayersForRisk(casino.db, casino.clock, RiskReview(policy))
    casino.clock.advance(seconds=1)  # the window ends before now
    first = await scan()
    assert [f.player_id for f in first.flags] == [ann]
    assert first.until - first.since == policy.scan_window
    assert (await scan()).flags == ()
    narrow = await scan(days=1)
    assert narrow.until - narrow.since == timedelta(days=1)
    with pytest.raises(InvalidRequest):
        await scan(days=0)


async def test_a_rapid_deposit_then_withdrawal_holds_the_request_for_review(casino):
    ann = await casino.player(1, deposit=1000)
    policy = WithdrawalPolicy(
        {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
    )
    request = RequestWithdrawal(
        casino.db, casino.clock, casino.ids, casino.house, policy, RiskReview(RiskPolicy())
    )
    withdrawal = await request(ann, Money(800, XTR), "EQdest", uuid.uuid4())
    [flag] = casino.db.state.flags.values()
    assert (flag.kind, flag.evidence["deposited"]) == (RiskFlagKind.RAPID_WITHDRAWAL, 1000)
    assert withdrawal.holds == (f"rapid_withdrawal (flag {flag.id})",)


async def test_a_large_win_is_flagged_with_the_default_rules_only(casino):
    # A use case built without settings (tools, tests) runs DEFAULT_RISK_REVIEW: the casino's
    # thresholds apply out of the box, so 50,000 Stars won is a flag without any configuration.
    assert casino.risk is DEFAULT_RISK_REVIEW
    await casino.bankroll(10**8)
    player = await casino.player(1, deposit=2_000)
    straight = {"bet": "straight", "number": "13"}  # the fixed seeds' pocket at nonce 0
    bet = PlaceBetCommand(player, uuid.uuid4(), "roulette", Money(2_000, XTR), straight)
    won = await casino.place_bet()(bet)
    assert won.bet.payout >= LARGE_WIN_THRESHOLDS["XTR"]
    assert _flags(casino, RiskFlagKind.LARGE_WIN) == [(player, RiskFlagStatus.OPEN)]
    assert RiskPolicy().large_win == LARGE_WIN_THRESHOLDS
    assert RiskPolicy().large_wager == LARGE_WAGER_THRESHOLDS
