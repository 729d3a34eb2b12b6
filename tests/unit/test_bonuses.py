"""The bonus rules (docs/bonuses.md): an offer's terms, wagering progress weighted by each
game's contribution and capped at the largest stake, and the one end each bonus has."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.bonuses import (
    DEFAULT_CONTRIBUTIONS,
    Bonus,
    BonusOffer,
    BonusState,
    ForfeitReason,
    IllegalBonusTransition,
    WageringIncomplete,
    WageringProgress,
    contribution,
    counted_stake,
)
from domain.errors import InvalidAmount, InvalidField
from domain.money import TON, XTR, Money

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def offer(**changes: object) -> BonusOffer:
    terms: dict[str, object] = {
        "amount": Money(100, XTR),
        "wagering_multiple": 5,
        "wagering_base": Money(100, XTR),
        "expires_after": timedelta(days=7),
        "max_stake": Money(50, XTR),
        "campaign": "welcome",
        "budget": "welcome-2026",
    }
    terms.update(changes)
    return BonusOffer(**terms)  # type: ignore[arg-type]


def bonus(**changes: object) -> Bonus:
    return Bonus.granted(
        uuid.UUID(int=1),
        player_id=7,
        key="promo:welcome:7",
        offer=offer(**changes),
        now=NOW,
        transaction_id=uuid.UUID(int=2),
    )


def test_an_offer_requires_its_multiple_times_its_base() -> None:
    assert offer().wagering_required == Money(500, XTR)
    # A deposit match of 100 on a 100 deposit, wagered 10 x (bonus + deposit): 2000.
    assert offer(wagering_multiple=10, wagering_base=Money(200, XTR)).wagering_required == Money(
        2000, XTR
    )
    assert offer(wagering_multiple=0).wagering_required == Money(0, XTR)


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Money(0, XTR)},
        {"wagering_base": Money(100, TON)},
        {"wagering_multiple": -1},
        {"wagering_multiple": True},
        {"expires_after": timedelta(0)},
        {"max_stake": Money(50, TON)},
        {"max_stake": Money(0, XTR)},
        {"campaign": ""},
        {"campaign": "x" * 81},
        {"budget": "Not A Code"},
    ],
)
def test_an_offer_with_impossible_terms_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises((InvalidField, InvalidAmount)):
        offer(**changes)


def test_a_stake_counts_up_to_the_largest_stake_times_its_games_contribution() -> None:
    assert counted_stake(300, 200) == 200
    assert counted_stake(30, 200) == 30
    assert counted_stake(300, None) == 300
    # 300 on dice (10%) under a max stake of 200: 200 x 10 hundredths = 20 Stars.
    assert contribution(300, 200, DEFAULT_CONTRIBUTIONS["dice"]) == 2000
    assert contribution(40, None, DEFAULT_CONTRIBUTIONS["plinko"]) == 4000
    assert contribution(40, None, DEFAULT_CONTRIBUTIONS["roulette"]) == 200
    with pytest.raises(InvalidField):
        contribution(40, None, 101)


def test_progress_keeps_partial_stakes_and_shows_whole_units() -> None:
    required = Money(500, XTR)
    # Ten 1-Star dice stakes at 10% make 1 Star, not ten times nothing.
    ten_small = WageringProgress(required, 10 * contribution(1, None, 10))
    assert ten_small.wagered == Money(1, XTR)
    assert not ten_small.met
    almost = WageringProgress(required, 500 * 100 - 1)
    assert almost.wagered == Money(499, XTR)
    assert almost.remaining == Money(1, XTR)
    assert not almost.met
    done = WageringProgress(required, 600 * 100)
    assert done.met
    assert done.wagered == Money(500, XTR)  # shown up to the requirement, never past it
    assert WageringProgress(Money(0, XTR), 0).met


def test_a_met_bonus_converts_once_and_only_before_expiry() -> None:
    granted = bonus()
    assert granted.state is BonusState.ACTIVE
    assert granted.expires_at == NOW + timedelta(days=7)
    with pytest.raises(WageringIncomplete, match="120 XTR of 500 XTR wagered; 380 XTR to go"):
        granted.convert(NOW, granted.progress(120 * 100), uuid.UUID(int=3))
    converted = granted.convert(NOW, granted.progress(500 * 100), uuid.UUID(int=3))
    assert converted.state is BonusState.CONVERTED
    assert converted.end_transaction_id == uuid.UUID(int=3)
    assert converted.forfeit_reason is None
    with pytest.raises(IllegalBonusTransition):
        converted.convert(NOW, granted.progress(500 * 100), uuid.UUID(int=4))
    with pytest.raises(IllegalBonusTransition):
        converted.forfeit(NOW, ForfeitReason.GIVEN_UP, uuid.UUID(int=4))
    late = NOW + timedelta(days=7)
    with pytest.raises(IllegalBonusTransition, match="cannot become converted"):
        granted.convert(late, granted.progress(500 * 100), uuid.UUID(int=3))


def test_a_bonus_is_forfeited_on_request_and_expires_only_when_its_time_is_up() -> None:
    granted = bonus()
    given_up = granted.forfeit(NOW, ForfeitReason.GIVEN_UP, uuid.UUID(int=3))
    assert given_up.state is BonusState.FORFEITED
    assert given_up.forfeit_reason is ForfeitReason.GIVEN_UP
    with pytest.raises(IllegalBonusTransition):
        granted.expire(NOW + timedelta(days=7) - timedelta(seconds=1), uuid.UUID(int=3))
    expired = granted.expire(NOW + timedelta(days=7), uuid.UUID(int=3))
    assert expired.state is BonusState.EXPIRED
    assert expired.forfeit_reason is ForfeitReason.EXPIRED
    with pytest.raises(IllegalBonusTransition):
        expired.forfeit(NOW, ForfeitReason.WITHDRAWAL, uuid.UUID(int=4))
    # Bets count until the expiry, never after it.
    assert granted.wagering_until(NOW + timedelta(days=9)) == granted.expires_at
    assert granted.wagering_until(NOW) == NOW


def test_a_bonus_row_that_contradicts_itself_cannot_be_built() -> None:
    granted = bonus()
    with pytest.raises(InvalidField):
        Bonus(**{**_fields(granted), "state": BonusState.CONVERTED})
    with pytest.raises(InvalidField):
        Bonus(**{**_fields(granted), "expires_at": NOW})
    with pytest.raises(InvalidField):
        Bonus(**{**_fields(granted), "key": ""})


def _fields(b: Bonus) -> dict[str, object]:
    return {name: getattr(b, name) for name in Bonus.__dataclass_fields__}
