"""Withdrawals in the domain: the state machine (every arrow, and every missing one) and each
rule at its boundary."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from domain.errors import IdempotencyConflict, IllegalTransition, InvalidAmount, InvalidRequest
from domain.money import FUN, TON, XTR, Money
from domain.players import KycStatus, parse_kyc_status
from domain.withdrawal_policy import (
    CurrencyWithdrawalLimits,
    WithdrawalPolicy,
    outstanding_wagering,
)
from domain.withdrawals import (
    IllegalWithdrawalTransition,
    PayoutDeclined,
    PayoutSent,
    Withdrawal,
    WithdrawalRefused,
    WithdrawalState,
    can_move,
    review_holds,
    validate_destination,
)
from entrypoints.settings import SettingsError, load_settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
S = WithdrawalState


def xtr(amount: int) -> Money:
    return Money(amount, XTR)


def requested(amount: int = 500) -> Withdrawal:
    return Withdrawal(
        id=uuid.uuid4(),
        player_id=7,
        request_id=uuid.uuid4(),
        amount=xtr(amount),
        destination="UQ-wallet-address",
        requested_at=NOW,
        request_transaction_id=uuid.uuid4(),
    )


def in_state(state: WithdrawalState) -> Withdrawal:
    w = requested()
    if state is S.REQUESTED:
        return w
    if state is S.REJECTED:
        return w.reject("staff:fin", NOW, "no", uuid.uuid4())
    if state is S.CANCELLED:
        return w.cancel(NOW, uuid.uuid4())
    w = w.approve("staff:fin", NOW, uuid.uuid4())
    if state is S.PAID:
        return w.mark_paid("staff:fin", NOW, "bank-1", uuid.uuid4())
    if state is S.FAILED:
        return w.mark_failed("system", NOW, "bounced", uuid.uuid4())
    return w


def move(w: Withdrawal, target: WithdrawalState) -> Withdrawal:
    tx = uuid.uuid4()
    if target is S.APPROVED:
        return w.approve("staff:fin", NOW, tx)
    if target is S.REJECTED:
        return w.reject("staff:fin", NOW, "looks wrong", tx)
    if target is S.PAID:
        return w.mark_paid("staff:fin", NOW, "bank-ref-9", tx)
    if target is S.FAILED:
        return w.mark_failed("staff:fin", NOW, "account closed", tx)
    if target is S.CANCELLED:
        return w.cancel(NOW, tx)
    raise AssertionError("nothing moves a withdrawal back to requested")


LEGAL = {(S.REQUESTED, S.APPROVED), (S.REQUESTED, S.REJECTED), (S.REQUESTED, S.CANCELLED),
         (S.APPROVED, S.PAID), (S.APPROVED, S.FAILED)}  # fmt: skip
TARGETS = [S.APPROVED, S.REJECTED, S.PAID, S.FAILED, S.CANCELLED]


# -- the state machine ------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), sorted(LEGAL))
def test_every_legal_transition(source, target):
    before = in_state(source)
    after = move(before, target)
    assert after.state is target
    assert before.state is source  # frozen: the old value is untouched
    assert can_move(source, target)


@pytest.mark.parametrize(
    ("source", "target"),
    [(s, t) for s, t in itertools.product(S, TARGETS) if (s, t) not in LEGAL],
)
def test_every_illegal_transition_names_from_and_to(source, target):
    with pytest.raises(IllegalWithdrawalTransition) as caught:
        move(in_state(source), target)
    assert caught.value.source is source
    assert caught.value.target is target
    assert f"is {source}" in caught.value.message
    assert f"cannot become {target}" in caught.value.message
    assert isinstance(caught.value, IllegalTransition)  # 409 on every entrypoint
    assert not can_move(source, target)


def test_nothing_leads_back_to_requested_and_final_states_are_final():
    assert not any(can_move(s, S.REQUESTED) for s in S)
    assert {s for s in S if s.final} == {S.REJECTED, S.PAID, S.FAILED, S.CANCELLED}


def test_each_step_records_who_when_and_the_transaction():
    tx = [uuid.uuid4() for _ in range(2)]
    approved = requested().approve("staff:ann", NOW, tx[0])
    assert (approved.decided_by, approved.approved_at, approved.decision_transaction_id) == (
        "staff:ann",
        NOW,
        tx[0],
    )
    paid = approved.mark_paid("staff:bob", NOW, "  iban-77  ", tx[1])
    assert (paid.settled_by, paid.paid_at, paid.settlement_transaction_id) == (
        "staff:bob",
        NOW,
        tx[1],
    )
    assert paid.payout_reference == "iban-77"
    rejected = requested().reject("staff:ann", NOW, " fraud ", tx[0])
    assert (rejected.reason, rejected.rejected_at) == ("fraud", NOW)
    failed = approved.mark_failed("system", NOW, "bounced", tx[1])
    assert (failed.reason, failed.failed_at, failed.settled_by) == ("bounced", NOW, "system")


def test_a_rejection_or_a_failure_needs_a_reason_and_paid_a_reference():
    with pytest.raises(InvalidRequest):
        requested().reject("staff:a", NOW, "  ", uuid.uuid4())
    approved = in_state(S.APPROVED)
    with pytest.raises(InvalidRequest):
        approved.mark_failed("staff:a", NOW, "", uuid.uuid4())
    with pytest.raises(InvalidRequest):
        approved.mark_paid("staff:a", NOW, "x" * 201, uuid.uuid4())


def test_a_payout_reference_can_be_noted_only_while_approved():
    assert in_state(S.APPROVED).with_payout_reference("p-1").payout_reference == "p-1"
    with pytest.raises(IllegalWithdrawalTransition):
        in_state(S.REQUESTED).with_payout_reference("p-1")


def test_a_repeat_must_be_the_same_request():
    w = requested(500)
    w.require_same_request(xtr(500), "UQ-wallet-address")
    with pytest.raises(IdempotencyConflict):
        w.require_same_request(xtr(501), "UQ-wallet-address")
    with pytest.raises(IdempotencyConflict):
        w.require_same_request(xtr(500), "another")
    with pytest.raises(IdempotencyConflict):
        w.require_same_request(Money(500, FUN), "UQ-wallet-address")


def test_a_withdrawal_is_of_a_positive_amount_to_a_sane_destination():
    with pytest.raises(InvalidAmount):
        requested(0)
    assert validate_destination("  EQ-abc  ") == "EQ-abc"
    assert validate_destination("x" * 200) == "x" * 200
    for bad in ("", "   ", "x" * 201, "line\nbreak", "nul\x00"):
        with pytest.raises(InvalidRequest):
            validate_destination(bad)


def test_holds_are_listed_once_in_a_stable_order():
    assert review_holds(["win_rate", " rapid_withdrawal ", "win_rate"]) == (
        "rapid_withdrawal",
        "win_rate",
    )
    assert review_holds([]) == ()
    w = requested()
    assert not w.held


def test_payout_results():
    assert PayoutSent().completed is False
    assert PayoutSent("prov-1", completed=True).reference == "prov-1"
    with pytest.raises(InvalidRequest):
        PayoutSent(completed=True)  # a completed payout names the provider's reference
    with pytest.raises(InvalidRequest):
        PayoutDeclined("")


# -- the rules ------------------------------------------------------------------------------


LIMITS = CurrencyWithdrawalLimits(minimum=100, maximum=1_000, daily=2_000, kyc_threshold=1_500)
POLICY = WithdrawalPolicy({"XTR": LIMITS}, wagering_multiple=1)


def check(
    amount: int,
    *,
    today: int = 0,
    kyc: KycStatus = KycStatus.VERIFIED,
    deposited: int = 0,
    wagered: int = 0,
    policy: WithdrawalPolicy = POLICY,
    money: Money | None = None,
    cashing_out: int | None = None,
) -> None:
    policy.check(
        money or xtr(amount),
        requested_today=today,
        kyc=kyc,
        deposited=deposited,
        wagered=wagered,
        cashing_out=None if cashing_out is None else xtr(cashing_out),
    )


def refused(rule: str, amount: int, **kwargs) -> WithdrawalRefused:
    with pytest.raises(WithdrawalRefused) as caught:
        check(amount, **kwargs)
    assert caught.value.rule == rule, caught.value.message
    assert caught.value.code == "withdrawal_refused"
    return caught.value


def test_a_currency_without_limits_cannot_be_withdrawn():
    with pytest.raises(WithdrawalRefused) as caught:
        check(0, money=Money(500, FUN))
    assert caught.value.rule == "currency"
    assert "FUN cannot be withdrawn" in caught.value.message
    with pytest.raises(WithdrawalRefused):
        check(0, money=Money(500, TON))


def test_minimum_per_request_at_its_boundary():
    check(100)
    error = refused("min_amount", 99)
    assert error.limit == xtr(100)
    assert "smallest withdrawal is 100 XTR" in error.message


def test_maximum_per_request_at_its_boundary():
    check(1_000)
    error = refused("max_amount", 1_001)
    assert error.limit == xtr(1_000)


def test_daily_limit_at_its_boundary_counts_this_request():
    check(1_000, today=1_000)  # exactly the daily limit
    error = refused("daily_limit", 1_000, today=1_001)
    assert (error.limit, error.remaining) == (xtr(2_000), xtr(999))
    assert "999 XTR is left" in error.message
    assert refused("daily_limit", 100, today=2_000).remaining == xtr(0)


def test_no_daily_limit_when_none_is_set():
    policy = WithdrawalPolicy({"XTR": CurrencyWithdrawalLimits(100, 1_000)}, 0)
    check(1_000, today=10**12, policy=policy, kyc=KycStatus.VERIFIED)


@pytest.mark.parametrize("status", [KycStatus.UNVERIFIED, KycStatus.PENDING])
def test_kyc_above_the_threshold_at_its_boundary(status):
    check(1_000, today=500, kyc=status)  # 1,500 in 24 h: at the threshold, not above
    error = refused("kyc_required", 1_000, today=501, kyc=status)
    assert error.limit == xtr(1_500)
    assert f"the player's is {status}" in error.message
    check(1_000, today=501, kyc=KycStatus.VERIFIED)


def test_a_zero_kyc_threshold_always_needs_verification():
    policy = WithdrawalPolicy({"XTR": CurrencyWithdrawalLimits(1, 1_000, None, 0)}, 0)
    error = refused("kyc_required", 1, kyc=KycStatus.PENDING, policy=policy)
    assert error.message.startswith("withdrawals need a verified identity")


def test_wagering_requirement_at_its_boundary():
    check(100, deposited=1_000, wagered=1_000)
    error = refused("wagering_requirement", 100, deposited=1_000, wagered=999)
    assert error.remaining == xtr(1)
    assert "1 XTR more to wager" in error.message


def test_wagering_multiple_is_configurable_and_zero_switches_it_off():
    twice = WithdrawalPolicy({"XTR": LIMITS}, wagering_multiple=2)
    check(100, deposited=1_000, wagered=2_000, policy=twice)
    error = refused("wagering_requirement", 100, deposited=1_000, wagered=1_999, policy=twice)
    assert "wagered 2 times" in error.message
    check(100, deposited=1_000, wagered=0, policy=WithdrawalPolicy({"XTR": LIMITS}, 0))


def test_a_player_who_may_no_longer_play_is_not_held_by_rules_only_play_could_meet():
    """Cashing out (timed out, self-excluded, blocked): no wagering, and the whole balance
    leaves even below the minimum; the limits that only delay a payout still hold."""
    check(300, deposited=500, wagered=200, cashing_out=1_000)
    check(60, cashing_out=60)
    assert refused("min_amount", 30, cashing_out=60).limit == xtr(100)
    refused("max_amount", 1_001, cashing_out=5_000)
    refused("daily_limit", 900, today=1_500, cashing_out=900)
    refused("kyc_required", 900, today=700, kyc=KycStatus.UNVERIFIED, cashing_out=900)


def test_outstanding_wagering():
    assert outstanding_wagering(1_000, 0, 1) == 1_000
    assert outstanding_wagering(1_000, 400, 3) == 2_600
    assert outstanding_wagering(1_000, 5_000, 1) == 0
    assert outstanding_wagering(0, 0, 1) == 0


def test_rules_are_checked_in_order_and_the_first_broken_one_is_named():
    broken = {"today": 5_000, "kyc": KycStatus.UNVERIFIED, "deposited": 10, "wagered": 0}
    assert refused("min_amount", 1, **broken).rule == "min_amount"
    assert refused("daily_limit", 500, **broken).rule == "daily_limit"
    assert refused("kyc_required", 500, **{**broken, "today": 1_400}).rule == "kyc_required"


def test_limits_must_make_sense():
    with pytest.raises(InvalidRequest):
        CurrencyWithdrawalLimits(0, 10)
    with pytest.raises(InvalidRequest):
        CurrencyWithdrawalLimits(10, 9)
    with pytest.raises(InvalidRequest):
        CurrencyWithdrawalLimits(10, 20, daily=9)
    with pytest.raises(InvalidRequest):
        CurrencyWithdrawalLimits(10, 20, kyc_threshold=-1)
    with pytest.raises(InvalidRequest):
        WithdrawalPolicy({}, wagering_multiple=-1)


def test_kyc_status_parses():
    assert parse_kyc_status(" Verified ") is KycStatus.VERIFIED
    with pytest.raises(InvalidRequest):
        parse_kyc_status("maybe")


# -- settings -------------------------------------------------------------------------------


def test_withdrawal_settings_default_and_parse():
    policy = load_settings({}).withdrawal_policy
    assert set(policy.limits) == {"XTR", "TON", "USDT"}  # FUN is play money
    assert policy.wagering_multiple == 1
    policy = load_settings(
        {
            "CROUPIER_WITHDRAWAL_MAX": "xtr=5000",
            "CROUPIER_WITHDRAWAL_MIN": "XTR=50",
            "CROUPIER_WITHDRAWAL_DAILY_MAX": "XTR=9000",
            "CROUPIER_WITHDRAWAL_KYC_THRESHOLD": "XTR=700",
            "CROUPIER_WITHDRAWAL_WAGERING_MULTIPLE": "3",
        }
    ).withdrawal_policy
    assert policy.limits == {"XTR": CurrencyWithdrawalLimits(50, 5_000, 9_000, 700)}
    assert policy.wagering_multiple == 3
    bare = load_settings({"CROUPIER_WITHDRAWAL_MAX": "GEM=10"}).withdrawal_policy
    assert bare.limits == {"GEM": CurrencyWithdrawalLimits(1, 10, None, 0)}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CROUPIER_WITHDRAWAL_MAX": "XTR=lots"}, "CROUPIER_WITHDRAWAL_MAX"),
        ({"CROUPIER_WITHDRAWAL_MIN": "XTR"}, "CROUPIER_WITHDRAWAL_MIN"),
        ({"CROUPIER_WITHDRAWAL_MIN": "XTR=200000"}, "CROUPIER_WITHDRAWAL_MIN"),
        ({"CROUPIER_WITHDRAWAL_WAGERING_MULTIPLE": "101"}, "CROUPIER_WITHDRAWAL_WAGERING"),
    ],
)
def test_bad_withdrawal_settings_name_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(env)
