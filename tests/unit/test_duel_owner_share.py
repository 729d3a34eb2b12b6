"""The group owner's share of a duel's cut (docs/duels.md, "The group owner's share"): the
split in numbers (rounded down for the owner, so in the house's favour; 0 and 10000 basis
points), the settlement's legs, the share fixed on the duel, the settings' bounds, and which
group serves duels. The use cases on fakes: tests/unit/test_duel_groups_on_fakes.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.duel_groups import DuelGroup
from domain.duels import Duel, DuelRules, Seat, split_cut
from domain.duels_collusion import CollusionPolicy
from domain.duels_postings import duel_settlement
from domain.errors import InvalidRequest
from domain.money import XTR, Money
from entrypoints.settings.duels import Duels

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def stars(n: int) -> Money:
    return Money(n, XTR)


@pytest.mark.parametrize(
    ("cut", "bps", "owner", "house"),
    [
        (1, 2500, 0, 1),  # 0.25 ⭐ rounds down to 0: the house keeps the star
        (3, 5000, 1, 2),  # 1.5 ⭐ rounds down to 1
        (4, 5000, 2, 2),
        (19, 3333, 6, 13),  # 6.3327 → 6
        (7, 0, 0, 7),  # off
        (7, 10_000, 7, 0),  # the whole cut
        (0, 5000, 0, 0),  # no cut, nothing to split
    ],
)
def test_the_cut_splits_with_the_owners_part_rounded_down(
    cut: int, bps: int, owner: int, house: int
) -> None:
    split = split_cut(stars(cut), bps)
    assert (split.owner, split.house) == (stars(owner), stars(house))
    assert split.owner + split.house == stars(cut)


@pytest.mark.parametrize("bps", [-1, 10_001])
def test_a_share_outside_0_to_10000_is_refused(bps: int) -> None:
    with pytest.raises(InvalidRequest):
        split_cut(stars(10), bps)
    with pytest.raises(InvalidRequest):
        DuelRules(owner_share_bps=bps)


def _settled(stake: int, cut_bps: int, owner_bps: int) -> Duel:
    duel = Duel.challenge(
        uuid.uuid4(),
        chat_id=-5,
        challenger_id=1,
        challenged_id=2,
        stake=stars(stake),
        game="🎲",
        rules=DuelRules(cut_bps=cut_bps, owner_share_bps=owner_bps),
        now=NOW,
    )
    duel = duel.accept(2, NOW, timedelta(minutes=5))
    duel = duel.record_roll(Seat.CHALLENGER, 6, 1, NOW)
    return duel.record_roll(Seat.CHALLENGED, 2, 2, NOW)


def _legs(transaction) -> dict[int, int]:
    return {leg.account_id: leg.amount.amount for leg in transaction.legs}


def test_the_share_is_fixed_on_the_duel_when_it_is_made() -> None:
    duel = _settled(30, 500, 5000)
    assert duel.owner_share_bps == 5000
    # Pot 60, cut 3 (5%), owner 1 (half of 3, rounded down), house 2.
    assert (duel.cut, duel.cut_split.owner, duel.cut_split.house) == (stars(3), stars(1), stars(2))


def test_the_settlement_pays_the_house_and_the_owner_in_one_balanced_transaction() -> None:
    duel = _settled(30, 500, 5000)
    posted = duel_settlement(
        duel,
        uuid.uuid4(),
        escrow=10,
        winner_wallet=11,
        bankroll=12,
        at=NOW,
        owner_wallet=13,
        owner_id=77,
    )
    assert _legs(posted) == {10: -60, 11: 57, 12: 2, 13: 1}
    assert (posted.metadata["owner_share"], posted.metadata["owner_id"]) == (1, 77)
    # Without an owner who may receive it, the house keeps the whole cut.
    kept = duel_settlement(duel, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW)
    assert _legs(kept) == {10: -60, 11: 57, 12: 3}
    assert "owner_share" not in kept.metadata


def test_an_owner_who_won_gets_one_leg_prize_and_share_together() -> None:
    duel = _settled(30, 500, 10_000)
    posted = duel_settlement(
        duel, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW, owner_wallet=11
    )
    assert _legs(posted) == {10: -60, 11: 60}


def test_a_share_that_rounds_to_nothing_adds_no_leg() -> None:
    duel = _settled(10, 500, 2500)  # cut 1, a quarter of it rounds to 0
    posted = duel_settlement(
        duel, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW, owner_wallet=13
    )
    assert _legs(posted) == {10: -20, 11: 19, 12: 1}


def test_the_settings_bound_the_share_and_set_the_collusion_policy() -> None:
    assert Duels().duel_rules().owner_share_bps == 0  # off unless set
    assert Duels(duel_owner_share_bps=10_000).duel_rules().owner_share_bps == 10_000
    for bad in (-1, 10_001):
        with pytest.raises(ValidationError):
            Duels(duel_owner_share_bps=bad)
    policy = Duels(
        duel_collusion_min_duels=6,
        duel_collusion_p_value_ppm=10_000,
        duel_collusion_pair_share_bps=7500,
        duel_collusion_window_days=7,
    ).duel_collusion_policy()
    assert (policy.min_duels, policy.window) == (6, timedelta(days=7))
    assert (float(policy.p_value), float(policy.pair_share)) == (0.01, 0.75)
    assert Duels().duel_collusion_policy() == CollusionPolicy()


def test_a_group_serves_duels_only_with_a_known_owner_and_no_non_admin_choice() -> None:
    def group(owner: int | None, by_admin: bool | None) -> DuelGroup:
        return DuelGroup(-1, "g", owner, by_admin, NOW)

    assert group(5, True).serves_duels
    assert group(5, None).serves_duels  # an old group, verified on its first duel
    assert not group(5, False).serves_duels
    assert not group(None, True).serves_duels
