"""Responsible-gambling rules, with explicit times: limits at their boundaries, the lowest of
several wins, decreases at once and increases only after a cooling-off and a confirmation,
time-outs and self-exclusion, reality checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError, InvalidAmount, InvalidRequest
from domain.money import TON, Money
from domain.responsible import (
    COOLING_OFF,
    SESSION_BREAK,
    Exclusion,
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    PendingChange,
    PlayerLimit,
    RealityCheck,
    ResponsibleGamblingRefusal,
    ResponsibleProfile,
    SelfExclusionPeriod,
    TimeoutPeriod,
    Usage,
    add_months,
    binding_limit,
    check_bet_limits,
    check_deposit_limits,
    parse_limit_kind,
    parse_limit_period,
    parse_self_exclusion_period,
    parse_timeout_period,
)
from tests.amounts import xtr

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
PLAYER = 7


def limit(kind: LimitKind, period: LimitPeriod, amount: int, **kw) -> PlayerLimit:
    return PlayerLimit.new(PLAYER, kind, period, xtr(amount), kw.get("now", NOW))


def usage_of(kind: LimitKind, used: int) -> Usage:
    return Usage(
        wagered=used if kind is LimitKind.WAGER else 0,
        net_loss=used if kind is LimitKind.LOSS else 0,
        deposited=used if kind is LimitKind.DEPOSIT else 0,
    )


def check(kind: LimitKind, limits, amount: Money, usage) -> None:
    if kind is LimitKind.DEPOSIT:
        check_deposit_limits(limits, amount, usage)
    else:
        check_bet_limits(limits, amount, usage)


# -- limits at their boundaries --------------------------------------------------------------


@pytest.mark.parametrize("kind", list(LimitKind))
@pytest.mark.parametrize("period", list(LimitPeriod))
def test_exactly_at_the_limit_passes_one_minor_unit_over_fails(kind, period):
    limits = [limit(kind, period, 100)]
    usage = {period: usage_of(kind, 60)}
    check(kind, limits, xtr(40), usage)  # 60 + 40 = 100: exactly the limit
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        check(kind, limits, xtr(41), usage)
    error = refused.value
    assert error.code == "responsible_gambling"
    assert error.rule == f"{kind.value}_limit_{period.value}"
    assert error.limit == xtr(100)
    assert error.remaining == xtr(40)
    assert "40 XTR is left" in error.message


def test_a_limit_in_minor_units_of_a_currency_with_decimals():
    limits = [PlayerLimit.new(PLAYER, LimitKind.WAGER, LimitPeriod.DAY, Money(10**9, TON), NOW)]
    usage = {LimitPeriod.DAY: Usage(wagered=10**9 - 1)}
    check_bet_limits(limits, Money(1, TON), usage)
    with pytest.raises(ResponsibleGamblingRefusal):
        check_bet_limits(limits, Money(2, TON), usage)


def test_a_reached_limit_refuses_everything_and_says_so():
    limits = [limit(LimitKind.LOSS, LimitPeriod.DAY, 100)]
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        check_bet_limits(limits, xtr(1), {LimitPeriod.DAY: Usage(net_loss=100)})
    assert refused.value.remaining == xtr(0)
    assert "reached your 24-hour loss limit of 100 XTR" in refused.value.message


def test_usage_over_the_limit_after_a_decrease_leaves_no_room():
    limits = [limit(LimitKind.WAGER, LimitPeriod.DAY, 100)]
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        check_bet_limits(limits, xtr(1), {LimitPeriod.DAY: Usage(wagered=250)})
    assert refused.value.remaining == xtr(0)


def test_the_lowest_applicable_limit_wins():
    # 24 h: 100 with 10 used (90 left); 7 days: 200 with 150 used (50 left); 30 days: 1000.
    limits = [
        limit(LimitKind.LOSS, LimitPeriod.DAY, 100),
        limit(LimitKind.LOSS, LimitPeriod.WEEK, 200),
        limit(LimitKind.LOSS, LimitPeriod.MONTH, 1000),
    ]
    usage = {
        LimitPeriod.DAY: Usage(net_loss=10),
        LimitPeriod.WEEK: Usage(net_loss=150),
        LimitPeriod.MONTH: Usage(net_loss=150),
    }
    assert binding_limit(limits, usage) is limits[1]
    check_bet_limits(limits, xtr(50), usage)
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        check_bet_limits(limits, xtr(51), usage)
    assert refused.value.rule == "loss_limit_7d"
    assert refused.value.remaining == xtr(50)


def test_wager_and_loss_limits_both_apply_to_a_stake():
    limits = [
        limit(LimitKind.LOSS, LimitPeriod.DAY, 100),
        limit(LimitKind.WAGER, LimitPeriod.MONTH, 500),
    ]
    usage = {LimitPeriod.DAY: Usage(wagered=50, net_loss=0), LimitPeriod.MONTH: Usage(480, 0)}
    check_bet_limits(limits, xtr(20), usage)
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        check_bet_limits(limits, xtr(21), usage)
    assert refused.value.rule == "wager_limit_30d"


def test_a_loss_limit_counts_wins_against_losses():
    limits = [limit(LimitKind.LOSS, LimitPeriod.DAY, 100)]
    ahead = {LimitPeriod.DAY: Usage(wagered=200, net_loss=-50)}
    check_bet_limits(limits, xtr(150), ahead)  # could lose 150, ending 100 down
    with pytest.raises(ResponsibleGamblingRefusal):
        check_bet_limits(limits, xtr(151), ahead)


def test_limits_apply_only_to_their_currency_and_their_kind():
    limits = [
        limit(LimitKind.DEPOSIT, LimitPeriod.DAY, 10),
        PlayerLimit.new(PLAYER, LimitKind.WAGER, LimitPeriod.DAY, Money(10, TON), NOW),
    ]
    check_bet_limits(limits, xtr(1000), {})  # neither a deposit limit nor a TON one binds
    check_deposit_limits(limits, Money(10**12, TON), {})
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        check_deposit_limits(limits, xtr(11), {})
    assert refused.value.rule == "deposit_limit_24h"


def test_no_limits_nothing_refused():
    check_bet_limits([], xtr(10**9), {})
    check_deposit_limits([], xtr(10**9), {})


def test_a_limit_is_positive():
    with pytest.raises(InvalidAmount):
        limit(LimitKind.LOSS, LimitPeriod.DAY, 0)
    with pytest.raises(InvalidRequest):
        PlayerLimit(PLAYER, LimitKind.LOSS, LimitPeriod.DAY, xtr(-5), NOW)


# -- decreases at once, increases after a cooling-off and a confirmation ---------------------


def test_a_decrease_takes_effect_at_once():
    current = limit(LimitKind.LOSS, LimitPeriod.DAY, 100)
    lower = current.change_to(xtr(60), NOW + timedelta(minutes=1))
    assert lower.amount == xtr(60)
    assert lower.pending is None
    with pytest.raises(ResponsibleGamblingRefusal):
        check_bet_limits([lower], xtr(61), {})


def test_a_decrease_cancels_a_pending_increase():
    raised = limit(LimitKind.LOSS, LimitPeriod.DAY, 100).change_to(xtr(500), NOW)
    assert raised.pending is not None
    lower = raised.change_to(xtr(80), NOW + timedelta(hours=30))
    assert lower.amount == xtr(80)
    assert lower.pending is None


def test_an_increase_needs_the_cooling_off_and_a_confirmation():
    current = limit(LimitKind.WAGER, LimitPeriod.WEEK, 100)
    asked = current.change_to(xtr(300), NOW)
    # Nothing changes yet: the old limit applies.
    assert asked.amount == xtr(100)
    assert asked.pending_amount == xtr(300)
    assert asked.pending is not None
    assert asked.pending.confirmable_at == NOW + COOLING_OFF
    with pytest.raises(ResponsibleGamblingRefusal):
        check_bet_limits([asked], xtr(101), {})

    # Before 24 h, the confirmation is refused, and says from when it is possible.
    with pytest.raises(ResponsibleGamblingRefusal) as early:
        asked.confirm(NOW + COOLING_OFF - timedelta(seconds=1))
    assert early.value.rule == "cooling_off"
    assert early.value.until == NOW + COOLING_OFF
    assert "2026-11-25 12:00 UTC" in early.value.message

    # After 24 h without a confirmation, the old limit still applies, however long it waits.
    assert asked.pending.confirmable(NOW + timedelta(days=40))
    with pytest.raises(ResponsibleGamblingRefusal):
        check_bet_limits([asked], xtr(101), {LimitPeriod.WEEK: Usage()})

    # Confirmed at exactly 24 h: the new limit applies.
    confirmed = asked.confirm(NOW + COOLING_OFF)
    assert confirmed is not None
    assert confirmed.amount == xtr(300)
    assert confirmed.pending is None
    assert confirmed.set_at == NOW + COOLING_OFF
    check_bet_limits([confirmed], xtr(300), {})


def test_a_new_increase_request_restarts_the_cooling_off():
    first = limit(LimitKind.LOSS, LimitPeriod.DAY, 100).change_to(xtr(200), NOW)
    later = NOW + timedelta(hours=20)
    second = first.change_to(xtr(150), later)
    assert second.pending is not None
    assert second.pending.confirmable_at == later + COOLING_OFF
    with pytest.raises(ResponsibleGamblingRefusal):
        second.confirm(NOW + COOLING_OFF)


def test_a_removal_waits_like_an_increase():
    current = limit(LimitKind.DEPOSIT, LimitPeriod.MONTH, 100)
    asked = current.request_removal(NOW)
    assert asked.pending is not None
    assert asked.pending.is_removal
    assert asked.amount == xtr(100)
    with pytest.raises(ResponsibleGamblingRefusal) as early:
        asked.confirm(NOW + timedelta(hours=23))
    assert "removal" in early.value.message
    assert asked.confirm(NOW + timedelta(hours=24)) is None


def test_confirming_with_nothing_pending_is_refused():
    with pytest.raises(InvalidRequest):
        limit(LimitKind.LOSS, LimitPeriod.DAY, 100).confirm(NOW + timedelta(days=2))


def test_a_limit_keeps_its_currency():
    with pytest.raises(InvalidRequest):
        limit(LimitKind.LOSS, LimitPeriod.DAY, 100).change_to(Money(5, TON), NOW)


def test_a_pending_change_is_an_increase():
    with pytest.raises(InvalidRequest):
        PlayerLimit(PLAYER, LimitKind.LOSS, LimitPeriod.DAY, xtr(100), NOW, PendingChange(90, NOW))


def test_parsers():
    assert parse_limit_kind(" Loss ") is LimitKind.LOSS
    assert parse_limit_period("7D") is LimitPeriod.WEEK
    assert parse_timeout_period("6w") is TimeoutPeriod.SIX_WEEKS
    assert parse_self_exclusion_period("permanent") is SelfExclusionPeriod.PERMANENT
    for parse in (parse_limit_kind, parse_limit_period, parse_timeout_period):
        with pytest.raises(InvalidRequest):
            parse("nope")
    with pytest.raises(InvalidRequest):
        parse_self_exclusion_period("1w")
    assert LimitPeriod.MONTH.duration == timedelta(days=30)


# -- time-out and self-exclusion -------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "length"),
    [
        (TimeoutPeriod.DAY, timedelta(hours=24)),
        (TimeoutPeriod.WEEK, timedelta(days=7)),
        (TimeoutPeriod.MONTH, timedelta(days=30)),
        (TimeoutPeriod.SIX_WEEKS, timedelta(weeks=6)),
    ],
)
def test_a_timeout_is_immediate_and_ends_on_time(period, length):
    timeout = Exclusion.timeout(PLAYER, period, NOW)
    assert timeout.kind is ExclusionKind.TIMEOUT
    assert timeout.until == NOW + length
    assert timeout.active(NOW)
    assert timeout.active(NOW + length - timedelta(microseconds=1))
    assert not timeout.active(NOW + length)
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        timeout.require_inactive(NOW)
    assert refused.value.rule == "timeout"
    assert refused.value.until == NOW + length
    assert f"until {(NOW + length).strftime('%Y-%m-%d %H:%M')} UTC" in refused.value.message
    timeout.require_inactive(NOW + length)


@pytest.mark.parametrize(
    ("period", "until"),
    [
        (SelfExclusionPeriod.SIX_MONTHS, datetime(2027, 5, 24, 12, tzinfo=UTC)),
        (SelfExclusionPeriod.ONE_YEAR, datetime(2027, 11, 24, 12, tzinfo=UTC)),
        (SelfExclusionPeriod.FIVE_YEARS, datetime(2031, 11, 24, 12, tzinfo=UTC)),
    ],
)
def test_a_self_exclusion_lasts_calendar_months(period, until):
    exclusion = Exclusion.self_exclusion(PLAYER, period, NOW)
    assert exclusion.kind is ExclusionKind.SELF_EXCLUSION
    assert exclusion.until == until
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        exclusion.require_inactive(until - timedelta(seconds=1))
    assert refused.value.rule == "self_excluded"
    assert refused.value.until == until
    assert "cannot be lifted early" in refused.value.message
    assert not exclusion.active(until)


def test_six_months_from_the_end_of_a_month():
    assert add_months(datetime(2026, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )
    assert add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(2028, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 60) == datetime(2031, 11, 30, tzinfo=UTC)


def test_a_permanent_self_exclusion_never_ends():
    exclusion = Exclusion.self_exclusion(PLAYER, SelfExclusionPeriod.PERMANENT, NOW)
    assert exclusion.until is None
    assert exclusion.permanent
    assert exclusion.active(NOW + timedelta(days=365 * 100))
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        exclusion.require_inactive(NOW + timedelta(days=365 * 100))
    assert refused.value.until is None
    assert "permanently" in refused.value.message


def test_only_a_self_exclusion_is_permanent():
    with pytest.raises(InvalidRequest):
        Exclusion(PLAYER, ExclusionKind.TIMEOUT, NOW, None)
    with pytest.raises(InvalidRequest):
        Exclusion(PLAYER, ExclusionKind.TIMEOUT, NOW, NOW)


def test_asking_again_never_shortens_an_exclusion():
    week = Exclusion.timeout(PLAYER, TimeoutPeriod.WEEK, NOW)
    later = NOW + timedelta(hours=1)
    day = Exclusion.timeout(PLAYER, TimeoutPeriod.DAY, later)
    kept = week.extended_by(day, later)
    assert kept.until == week.until
    assert kept.started_at == NOW

    longer = week.extended_by(Exclusion.timeout(PLAYER, TimeoutPeriod.SIX_WEEKS, later), later)
    assert longer.until == later + timedelta(weeks=6)
    assert longer.started_at == NOW


def test_a_timeout_can_become_a_self_exclusion_but_not_the_reverse():
    later = NOW + timedelta(hours=1)
    timeout = Exclusion.timeout(PLAYER, TimeoutPeriod.SIX_WEEKS, NOW)
    six_months = Exclusion.self_exclusion(PLAYER, SelfExclusionPeriod.SIX_MONTHS, later)
    escalated = timeout.extended_by(six_months, later)
    assert escalated.kind is ExclusionKind.SELF_EXCLUSION
    assert escalated.until == six_months.until

    still = escalated.extended_by(Exclusion.timeout(PLAYER, TimeoutPeriod.DAY, later), later)
    assert still.kind is ExclusionKind.SELF_EXCLUSION
    assert still.until == six_months.until

    permanent = Exclusion.self_exclusion(PLAYER, SelfExclusionPeriod.PERMANENT, NOW)
    assert permanent.extended_by(six_months, later).until is None
    # A short self-exclusion asked during a long time-out keeps the longer end.
    long_timeout = Exclusion.timeout(PLAYER, TimeoutPeriod.SIX_WEEKS, NOW)
    assert long_timeout.outlasts(Exclusion.timeout(PLAYER, TimeoutPeriod.DAY, later))


def test_an_ended_exclusion_is_replaced():
    day = Exclusion.timeout(PLAYER, TimeoutPeriod.DAY, NOW)
    after = NOW + timedelta(days=2)
    fresh = Exclusion.timeout(PLAYER, TimeoutPeriod.DAY, after)
    assert day.extended_by(fresh, after) == fresh


def test_a_profile_refuses_while_excluded():
    profile = ResponsibleProfile(
        PLAYER, exclusion=Exclusion.timeout(PLAYER, TimeoutPeriod.DAY, NOW)
    )
    with pytest.raises(ResponsibleGamblingRefusal):
        profile.require_not_excluded(NOW)
    assert profile.active_exclusion(NOW) is not None
    assert profile.active_exclusion(NOW + timedelta(days=1)) is None
    profile.require_not_excluded(NOW + timedelta(days=1))
    ResponsibleProfile(PLAYER).require_not_excluded(NOW)


# -- reality check ---------------------------------------------------------------------------


def test_reality_check_intervals():
    for minutes in (15, 60, 240):
        assert RealityCheck.start(PLAYER, minutes, NOW).interval == timedelta(minutes=minutes)
    for minutes in (14, 241, 0, -15):
        with pytest.raises(InvalidRequest):
            RealityCheck.start(PLAYER, minutes, NOW)
    with pytest.raises(InvalidRequest):
        RealityCheck(PLAYER, timedelta(minutes=15, seconds=30), NOW, NOW)


def test_a_reality_check_falls_due_after_its_interval():
    check = RealityCheck.start(PLAYER, 30, NOW)
    assert check.next_due == NOW + timedelta(minutes=30)
    assert not check.is_due(NOW + timedelta(minutes=29, seconds=59))
    assert check.is_due(NOW + timedelta(minutes=30))

    at = NOW + timedelta(minutes=45)
    refusal = check.refusal(at, xtr(-120))
    assert isinstance(refusal, DomainError)
    assert refusal.rule == "reality_check"
    assert refusal.session_time == timedelta(minutes=45)
    assert refusal.session_started_at == NOW
    assert refusal.net_result == xtr(-120)
    assert "45 min" in refusal.message
    assert "-120 XTR" in refusal.message
    long = check.refusal(NOW + timedelta(hours=2, minutes=5), xtr(30))
    assert "2 h 05 min" in long.message
    assert "+30 XTR" in long.message


def test_acknowledging_starts_the_next_interval():
    check = RealityCheck.start(PLAYER, 30, NOW)
    at = NOW + timedelta(minutes=40)
    acknowledged = check.acknowledge(at)
    assert acknowledged.acknowledged_at == at
    assert acknowledged.session_started_at == NOW  # the session goes on
    assert not acknowledged.is_due(at + timedelta(minutes=29))
    assert acknowledged.is_due(at + timedelta(minutes=30))
    # A check that is not due is not acknowledged again (a double tap changes nothing).
    assert acknowledged.acknowledge(at + timedelta(minutes=1)) is acknowledged


def test_a_break_starts_a_new_session():
    check = RealityCheck.start(PLAYER, 15, NOW)
    playing = NOW + timedelta(minutes=20)
    # Played a minute ago: the same session, and the check is due.
    same = check.before_bet(playing, playing - timedelta(minutes=1))
    assert same is check
    assert same.is_due(playing)
    # Nothing played for SESSION_BREAK: a new session from now, not due.
    back = playing + SESSION_BREAK
    fresh = check.before_bet(back, playing - timedelta(minutes=1))
    assert fresh.session_started_at == back
    assert fresh.acknowledged_at == back
    assert not fresh.is_due(back)
    # Never played: the first bet starts the session.
    assert check.before_bet(playing, None).session_started_at == playing


def test_changing_the_interval_keeps_the_session():
    check = RealityCheck.start(PLAYER, 15, NOW).with_interval(60)
    assert check.minutes == 60
    assert check.session_started_at == NOW
    with pytest.raises(InvalidRequest):
        check.with_interval(5)
