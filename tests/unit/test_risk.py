"""The risk rules and statistics: z-scores from the games' pay tables, the chi-square test and
its p-values, bin merging, and the other flag rules, on known inputs."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from domain.errors import IllegalTransition, InvalidRequest
from domain.fairness import bucket_of
from domain.games.base import Selection
from domain.games.limbo import limbo_result
from domain.outcome_tests import (
    BinCount,
    check_outcomes,
    chi_square,
    chi_square_sf,
    merge_bins,
    regularized_gamma_q,
    theoretical_bins,
)
from domain.risk import (
    BetCell,
    Funding,
    RiskFlag,
    RiskFlagKind,
    RiskFlagStatus,
    RiskPolicy,
    improbable,
    large_bet_evidence,
    multiplier_distribution,
    normalize_identity,
    rapid_withdrawal,
    score_results,
)

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def cell(game="coin", params=None, edge=Fraction(1, 100), stake=100, bets=100, payouts=0):
    return BetCell(1, "XTR", game, params or {"side": "heads"}, edge, stake, bets, payouts)


# -- z-score ---------------------------------------------------------------------------------


def test_a_coin_bet_has_the_textbook_moments():
    # A 1.98x coin bet of 100 pays 198 with probability 1/2 (exactly, 2**31 words of 2**32).
    assert multiplier_distribution("coin", Selection("heads"), Fraction(1, 100)) == (
        (Fraction(0), Fraction(1, 2)),
        (Fraction(198, 100), Fraction(1, 2)),
    )
    [score] = score_results([cell(bets=100, payouts=50 * 198)])
    # E[net] per bet = 99 - 100 = -1; Var = 198² / 4; over 100 bets sd = 10 · 99 = 990.
    assert score.expected_net == pytest.approx(-100)
    assert score.sd == pytest.approx(990)
    assert score.actual_net == 50 * 198 - 100 * 100
    assert score.z == pytest.approx((score.actual_net + 100) / 990)


def test_winning_every_coin_flip_is_a_huge_z():
    [score] = score_results([cell(bets=100, payouts=100 * 198)])
    # actual 9,800, expected -100, sd 990: z = 9,900 / 990 = 10.
    assert score.z == pytest.approx(10)
    assert improbable(score, RiskPolicy(min_bets=100))
    assert not improbable(score, RiskPolicy(min_bets=101))
    assert not improbable(score, RiskPolicy(z_threshold=10.5, min_bets=100))


def test_losing_is_never_improbable_for_the_house():
    [score] = score_results([cell(bets=400, payouts=0)])
    assert score.z is not None
    assert score.z < -10
    assert not improbable(score, RiskPolicy())


def test_the_slot_distribution_uses_both_of_its_pays():
    dist = dict(multiplier_distribution("tg_slot", Selection("spin"), Fraction(0)))
    assert dist == {
        Fraction(0): Fraction(60, 64),
        Fraction(10): Fraction(3, 64),
        Fraction(32): 1 / Fraction(64),
    }


def test_payouts_are_rounded_down_as_they_are_paid():
    # 1 Star on a 1.98x coin pays 1: E[payout] = 1/2, Var = 1/4.
    [score] = score_results([cell(stake=1, bets=4, payouts=2)])
    assert score.expected_net == pytest.approx(4 * (0.5 - 1))
    assert score.sd == pytest.approx(math.sqrt(4 * 0.25))


def test_scores_are_per_player_and_currency_and_unknown_selections_are_counted_apart():
    cells = [
        cell(bets=10, payouts=990),
        BetCell(1, "TON", "coin", {"side": "tails"}, Fraction(1, 100), 10, 10, 99),
        BetCell(2, "XTR", "coin", {"side": "edge"}, Fraction(1, 100), 10, 5, 0),
    ]
    scores = {(s.player_id, s.currency): s for s in score_results(cells)}
    assert set(scores) == {(1, "XTR"), (1, "TON"), (2, "XTR")}
    unknown = scores[(2, "XTR")]
    assert unknown.unscored_bets == 5
    assert unknown.z is None
    assert not improbable(unknown, RiskPolicy(min_bets=2))


# -- chi-square ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statistic", "dof", "p"),
    [
        (3.841458820694124, 1, 0.05),
        (6.634896601021214, 1, 0.01),
        (10.827566170662733, 1, 0.001),
        (5.991464547107979, 2, 0.05),
        (18.307038053275146, 10, 0.05),
        (29.58829844507442, 10, 0.001),
        (124.34211340400407, 100, 0.05),
        (0.0, 5, 1.0),
    ],
)
def test_chi_square_p_values_match_the_tables(statistic, dof, p):
    assert chi_square_sf(statistic, dof) == pytest.approx(p, rel=1e-9, abs=1e-15)


def test_the_far_tail_is_tiny_but_not_zero_and_monotone():
    # dof = 2 has the closed form exp(-x / 2).
    assert chi_square_sf(200.0, 2) == pytest.approx(math.exp(-100), rel=1e-9)
    assert 0 < chi_square_sf(500.0, 5) < chi_square_sf(400.0, 5) < 1e-70
    assert chi_square_sf(math.inf, 3) == 0.0


def test_the_gamma_function_is_continuous_where_its_two_methods_meet():
    a = 4.5
    below, above = regularized_gamma_q(a, a + 1 - 1e-9), regularized_gamma_q(a, a + 1 + 1e-9)
    assert below == pytest.approx(above, rel=1e-7)
    with pytest.raises(ValueError, match="a > 0"):
        regularized_gamma_q(0, 1)


def test_bins_merge_with_neighbours_until_each_expects_five():
    counts = [BinCount(str(i), i, e) for i, e in enumerate([2.0, 2.0, 2.0, 10.0, 1.0, 1.0])]
    merged = merge_bins(counts)
    assert [(b.label, b.observed, b.expected) for b in merged] == [
        ("0 … 2", 0 + 1 + 2, 6.0),
        ("3 … 5", 3 + 4 + 5, 12.0),  # the short remainder joins the last full bin
    ]
    assert merge_bins([BinCount("a", 1, 1.0), BinCount("b", 1, 1.0)]) == [BinCount("a … b", 2, 2.0)]
    assert chi_square(merge_bins([BinCount("a", 1, 1.0), BinCount("b", 1, 1.0)])) is None


def test_an_observation_where_theory_expects_none_fails_the_test():
    result = chi_square([BinCount("a", 10, 10.0), BinCount("b", 1, 0.0)])
    assert result is not None
    assert result.p_value == 0.0


def test_every_game_has_bins_covering_all_of_its_probability():
    for code in ("dice", "coin", "roulette", "limbo", "crash", "tg_dice", "tg_slot", "tg_football"):
        bins = theoretical_bins(code)
        assert sum(b.probability for b in bins) == 1
        assert [b.low for b in bins] == sorted(b.low for b in bins)


def _counts(code: str, outcomes) -> list[int]:
    lows = [b.low for b in theoretical_bins(code)]
    counts = [0] * len(lows)
    for outcome in outcomes:
        index = max(i for i, low in enumerate(lows) if low <= outcome)
        counts[index] += 1
    return counts


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("coin", lambda w: bucket_of(w, 2)),
        ("roulette", lambda w: bucket_of(w, 37)),
        ("dice", lambda w: bucket_of(w, 10001)),
        ("limbo", limbo_result),
        ("tg_dice", lambda w: bucket_of(w, 6) + 1),
        ("tg_slot", lambda w: bucket_of(w, 64) + 1),
    ],
)
def test_a_fair_stream_passes(code, outcome):
    rng = random.Random(f"fair-{code}")  # a fixed seed: the test always sees the same stream
    stream = [outcome(rng.getrandbits(32)) for _ in range(20_000)]
    result = check_outcomes(code, _counts(code, stream), alpha=0.001)
    assert result.test is not None
    assert result.test.p_value > 0.001
    assert not result.alert


def test_a_biased_coin_is_detected():
    rng = random.Random("biased-coin")
    # A broken RNG that lands heads 53% of the time.
    stream = [0 if rng.random() < 0.53 else 1 for _ in range(20_000)]
    result = check_outcomes("coin", _counts("coin", stream), alpha=0.001)
    assert result.alert
    assert result.test is not None
    assert result.test.dof == 1


def test_a_skewed_telegram_dice_is_detected():
    rng = random.Random("skewed-dice")
    # Sixes 25% more often than the other faces.
    weights = [1, 1, 1, 1, 1, 1.25]
    stream = rng.choices(range(1, 7), weights=weights, k=6_000)
    result = check_outcomes("tg_dice", _counts("tg_dice", stream), alpha=0.001)
    assert result.alert
    assert [b.label for b in result.bins] == [f"🎲 {v}" for v in range(1, 7)]


def test_a_stuck_rng_on_dice_is_detected_even_with_few_bets():
    result = check_outcomes("dice", _counts("dice", [4242] * 60), alpha=0.001)
    assert result.alert


def test_no_bets_is_no_test_and_no_alert():
    result = check_outcomes("roulette", [0] * 37, alpha=0.001)
    assert result.test is None
    assert not result.alert
    assert result.bets == 0


# -- the other rules -------------------------------------------------------------------------


def funding(deposited=1000, wagered=0, minutes_ago=30):
    at = NOW - timedelta(minutes=minutes_ago)
    return Funding("XTR", deposited, wagered, at, at)


def test_a_withdrawal_right_after_an_unplayed_deposit_is_flagged():
    evidence = rapid_withdrawal(funding(wagered=100), 900, NOW, RiskPolicy())
    assert evidence is not None
    assert evidence["deposited"] == 1000
    assert evidence["wagered"] == 100
    assert evidence["play_ratio"] == 0.1
    assert evidence["minutes_since_last_deposit"] == 30


def test_enough_play_or_no_recent_deposit_raises_nothing():
    policy = RiskPolicy(min_play_ratio=Fraction(1, 2))
    assert rapid_withdrawal(funding(wagered=500), 900, NOW, policy) is None  # exactly half
    assert rapid_withdrawal(funding(wagered=499), 900, NOW, policy) is not None
    assert rapid_withdrawal(Funding("XTR", 0, 0, None, None), 900, NOW, policy) is None


def test_identities_are_normalized_before_they_are_digested():
    assert normalize_identity("  EQab 12\t") == normalize_identity("eqab12") == "eqab12"
    assert normalize_identity("ｅｑａｂ１２") == "eqab12"  # NFKC: full-width forms are the same
    assert normalize_identity("eqab12") != normalize_identity("eqab13")
    with pytest.raises(InvalidRequest):
        normalize_identity("   ")
    with pytest.raises(InvalidRequest):
        normalize_identity("x" * 513)


def test_large_wins_and_wagers_are_at_or_over_the_threshold_of_their_currency():
    policy = RiskPolicy(large_win={"XTR": 1000}, large_wager={"XTR": 500})

    def found(stake, payout, currency="XTR"):
        return set(
            large_bet_evidence(
                bet_id="b",
                game="coin",
                currency=currency,
                stake=stake,
                payout=payout,
                policy=policy,
            )
        )

    assert found(499, 999) == set()
    assert found(500, 0) == {RiskFlagKind.LARGE_WAGER}
    assert found(10, 1000) == {RiskFlagKind.LARGE_WIN}
    assert found(600, 1188) == {RiskFlagKind.LARGE_WIN, RiskFlagKind.LARGE_WAGER}
    assert found(10**9, 10**9, "TON") == set()  # no threshold for the currency


def test_a_flag_is_reviewed_once_with_a_note():
    flag = RiskFlag(1, RiskFlagKind.LARGE_WIN, {"payout": 5}, NOW, id=7)
    with pytest.raises(InvalidRequest):
        flag.review(RiskFlagStatus.RESOLVED, by="staff:a", at=NOW, note="  ")
    with pytest.raises(InvalidRequest):
        flag.review(RiskFlagStatus.OPEN, by="staff:a", at=NOW, note="x")
    done = flag.review(RiskFlagStatus.DISMISSED, by="staff:a", at=NOW, note=" false alarm ")
    assert (done.status, done.note, done.reviewed_by) == (
        RiskFlagStatus.DISMISSED,
        "false alarm",
        "staff:a",
    )
    with pytest.raises(IllegalTransition):
        done.review(RiskFlagStatus.RESOLVED, by="staff:b", at=NOW, note="again")


def test_a_policy_refuses_thresholds_that_would_switch_a_rule_off():
    with pytest.raises(InvalidRequest):
        RiskPolicy(z_threshold=0)
    with pytest.raises(InvalidRequest):
        RiskPolicy(large_win={"XTR": 0})
    with pytest.raises(InvalidRequest):
        RiskPolicy(outcome_alpha=1.5)


def test_large_bet_evidence_names_the_bet_as_text_whichever_id_it_is_given():
    """The review hands the bet's UUID (its text is built only for a finding): the evidence
    is what the text gave before, threshold and all."""
    policy = RiskPolicy(large_win={"XTR": 1000}, large_wager={"XTR": 500})
    bet_id = uuid.uuid4()
    kwargs = {"game": "coin", "currency": "XTR", "stake": 600, "payout": 1188, "policy": policy}
    found = large_bet_evidence(bet_id=bet_id, **kwargs)
    assert found == large_bet_evidence(bet_id=str(bet_id), **kwargs)
    assert found[RiskFlagKind.LARGE_WIN] == {
        "bet_id": str(bet_id),
        "game": "coin",
        "currency": "XTR",
        "stake": 600,
        "payout": 1188,
        "threshold": 1000,
    }
    assert found[RiskFlagKind.LARGE_WAGER]["threshold"] == 500
