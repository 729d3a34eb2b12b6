"""Crash in the domain: the hash chain, the crash point, the clock, the exact house edge and
the rules of a round's bets (domain/crash.py, domain/crash_rounds.py, domain/games/crash.py)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from domain.bets import Bet, BetState
from domain.crash import (
    MAX_MULTIPLIER,
    R_SPACE,
    crash_point,
    first_link,
    hash_forward,
    link_index_of_round,
    ms_to_reach,
    multiplier_at,
    point_of_r,
    probability_at_least,
    uncapped_crash_point,
    verify_round_hash,
)
from domain.crash_rounds import (
    CrashRound,
    RoundExposure,
    RoundPhase,
    cash_out_at,
    crash_time_ms,
    outcome_of,
)
from domain.errors import IllegalTransition, InvalidRequest, LimitExceeded
from domain.games.base import MAX_RTP, MIN_RTP, Selection
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.games.crash import LOST, MANUAL, Crash
from domain.money import FUN, Money

SECRET = b"croupier crash test secret 32by!"
SALT = "0000000000000000000fa3b65e43e4240d71762a5bf397d5304b2596d116859c"
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def _sha_hex(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def test_the_chain_is_sha256_of_the_previous_links_hex_text() -> None:
    h0 = hashlib.sha256(SECRET).hexdigest()
    assert first_link(SECRET) == h0
    assert hash_forward(h0, 2) == _sha_hex(_sha_hex(h0))
    # known answers, so a change of encoding (bytes instead of hex text) cannot pass unseen
    assert h0 == "1dc54d9ff1efa9a12686adaaac060a65cd35ab046ab3e8eac46a1edd8aa30feb"
    assert hash_forward(h0, 10) == (
        "f881fad9bffa92de2ce27f994b0f6c37b4bfbc6b9a4914b829b3136fe18b66ae"
    )


def test_round_n_uses_link_n_minus_n_and_is_verified_by_hashing_forward() -> None:
    length = 10
    h0 = first_link(SECRET)
    end = hash_forward(h0, length)
    for n in range(1, length + 1):
        round_hash = hash_forward(h0, link_index_of_round(length, n))
        assert verify_round_hash(round_hash, n, end)
        assert not verify_round_hash(round_hash, n + 1, end)
    with pytest.raises(InvalidRequest):
        link_index_of_round(length, length + 1)


def test_the_crash_point_is_hmac_of_the_hash_keyed_by_the_salt() -> None:
    round_hash = hash_forward(first_link(SECRET), 9)
    x = hmac.new(SALT.encode(), round_hash.encode(), hashlib.sha256).hexdigest()
    r = int(x[:13], 16)
    # bustabit's formula in doubles, for a value away from a hundredth's edge
    expected = max(1.0, (99 / (1 - r / 2**52)) // 1 / 100)
    assert crash_point(round_hash, SALT) == round(expected * 100) == 397
    # the other order (key = hash) gives another number: the order is part of the scheme
    swapped = hmac.new(round_hash.encode(), SALT.encode(), hashlib.sha256).hexdigest()
    assert point_of_r(int(swapped[:13], 16)) != 397


def test_the_crash_point_is_capped() -> None:
    assert point_of_r(R_SPACE - 1) > MAX_MULTIPLIER
    assert point_of_r(0) == 100
    round_hash = "0" * 64
    assert crash_point(round_hash, SALT) == min(uncapped_crash_point(round_hash, SALT), 100_000)


@pytest.mark.parametrize("m", [101, 102, 150, 199, 200, 201, 333, 1000, 12345, 99_999, 100_000])
def test_the_closed_form_counts_exactly_the_r_that_reach_m(m: int) -> None:
    """point_of_r never falls as r grows, so the r reaching m are [first, 2**52): the closed
    form is exact when first is the boundary."""
    p = probability_at_least(m)
    first = R_SPACE - p.numerator * (R_SPACE // p.denominator)
    assert point_of_r(first) >= m > point_of_r(first - 1)


def test_house_edge_is_exact_at_every_target() -> None:
    crash = Crash()
    for target in (101, 150, 200, 1000, 10_000, 100_000):
        rtp = crash.rtp(Selection("target", target), Fraction(0))
        assert Fraction(98, 100) < rtp <= Fraction(99, 100)
    # about 1.98% of rounds crash at 1.00x: P(crash >= 1.01) = 1 - 2/101 up to 2**-52
    assert abs(probability_at_least(101) - Fraction(99, 101)) < Fraction(1, 2**51)
    assert probability_at_least(100) == 1
    assert probability_at_least(MAX_MULTIPLIER + 1) == 0


def test_every_crash_selection_has_its_rtp_in_range() -> None:
    crash = GAMES["crash"]
    worst = min(crash.rtp(s, Fraction(0)) for s in crash.selections())
    best = max(crash.rtp(s, Fraction(0)) for s in crash.selections())
    assert MIN_RTP <= worst <= best <= Fraction(99, 100) <= MAX_RTP


def test_the_curve_and_its_inverse() -> None:
    assert multiplier_at(0) == 100
    assert multiplier_at(-5) == 100
    assert multiplier_at(ms_to_reach(200)) == 200
    assert 11_500 < ms_to_reach(200) < 11_600  # 2x at ~11.6 s
    assert 38_000 < ms_to_reach(1000) < 38_500  # 10x at ~38 s
    for m in range(101, MAX_MULTIPLIER + 1, 37):
        ms = ms_to_reach(m)
        assert multiplier_at(ms) >= m > multiplier_at(ms - 1)


def test_crash_parses_a_target_or_none() -> None:
    crash = Crash()
    assert crash.parse({}) == MANUAL
    assert crash.parse({"target": "2.5"}) == Selection("target", 250)
    assert crash.params(Selection("target", 250)) == {"target": "2.50"}
    for bad in ({"target": "1.00"}, {"target": "1000.01"}, {"target": "x"}, {"auto": "2"}):
        with pytest.raises(InvalidRequest):
            crash.parse(bad)


def test_a_crash_bet_is_a_bet_on_the_one_road() -> None:
    config = GameConfig("crash", limits={"FUN": StakeLimits(1, 10_000, 1_000_000)})
    bet = Bet.place(
        bet_id=uuid.uuid4(),
        player_id=1,
        config=config,
        params={"target": "3"},
        stake=Money(1000, FUN),
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
    )
    assert bet.max_payout == 3000
    won = bet.settle(config.game, 300, at=NOW, transaction_id=uuid.uuid4())
    assert (won.state, won.payout) == (BetState.WON, 3000)
    lost = bet.settle(config.game, LOST, at=NOW, transaction_id=uuid.uuid4())
    assert (lost.state, lost.payout) == (BetState.LOST, 0)
    with pytest.raises(InvalidRequest):  # never above the target
        bet.settle(config.game, 301, at=NOW, transaction_id=uuid.uuid4())
    with pytest.raises(LimitExceeded):  # a bet without a target may ride to 1,000x
        Bet.place(
            bet_id=uuid.uuid4(),
            player_id=1,
            config=config,
            params={},
            stake=Money(1001, FUN),
            placed_at=NOW,
            transaction_id=uuid.uuid4(),
        )


def test_a_cash_out_takes_the_clocks_multiplier_and_never_passes_the_crash() -> None:
    assert cash_out_at(MANUAL, 300, ms_to_reach(150)).multiplier == 150
    # the target was reached earlier: the bet had been cashed out at it
    late = cash_out_at(Selection("target", 120), 300, ms_to_reach(150))
    assert late.multiplier == 120
    assert late.ms == ms_to_reach(120)
    with pytest.raises(IllegalTransition):
        cash_out_at(MANUAL, 300, crash_time_ms(300))
    with pytest.raises(IllegalTransition):  # 1.00x: crashed at the start
        cash_out_at(MANUAL, 100, 0)


def test_what_a_bet_cashes_out_at_when_the_round_ends() -> None:
    target = Selection("target", 200)
    assert outcome_of(target, 250, None) == 200
    assert outcome_of(target, 200, None) == 200
    assert outcome_of(target, 199, None) == LOST
    assert outcome_of(target, 199, 150) == 150
    assert outcome_of(MANUAL, 5000, None) == LOST
    assert outcome_of(MANUAL, MAX_MULTIPLIER, None) == MAX_MULTIPLIER
    # interrupted: cash-outs stand, targets reached pay, the rest are refunded
    assert outcome_of(target, 199, None, interrupted=True) is None
    assert outcome_of(target, 250, None, interrupted=True) == 200
    assert outcome_of(MANUAL, 5000, 170, interrupted=True) == 170


def test_a_round_takes_bets_only_while_betting() -> None:
    ends = NOW + timedelta(seconds=5)
    betting = CrashRound(1, 1, RoundPhase.BETTING, ends)
    betting.require_betting(NOW)
    with pytest.raises(IllegalTransition):
        betting.require_betting(ends)
    with pytest.raises(IllegalTransition):
        CrashRound(1, 1, RoundPhase.RUNNING, ends, started_at=ends).require_betting(NOW)


def test_a_round_refuses_bets_past_its_share_of_the_bankroll() -> None:
    exposure = RoundExposure(0, bankroll=1_000_000, share=Fraction(1, 100))
    assert exposure.limit == 10_000
    exposure = exposure.admit(Money(1000, FUN), 6000)  # owes 5,000 beyond the stake
    exposure = exposure.admit(Money(1000, FUN), 6000)  # 10,000: exactly the limit
    assert exposure.owed == 10_000
    with pytest.raises(LimitExceeded, match=r"at most 100\.00 FUN"):
        exposure.admit(Money(100, FUN), 101)
