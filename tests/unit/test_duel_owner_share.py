"""The group owner's share of a duel's cut (docs/duels.md, "The group owner's share"): the
split in numbers (rounded down for the owner, so in the house's favour; 0 and 10000 basis
points), the settlement's legs, the share fixed on the duel, the settings' bounds, which
group serves duels, and the same split on a lobby's pot (every seated stake). The use cases
on fakes: tests/unit/test_duel_groups_on_fakes.py."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.duel_groups import DuelGroup
from domain.duel_lobbies import Lobby, LobbyState
from domain.duel_lobby_postings import lobby_settlement
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


# -- lobbies: the same split, on a pot of every seated stake ---------------------------------


def _settled_lobby(seats: int, stake: int, cut_bps: int, owner_bps: int) -> Lobby:
    """A lobby of `seats` players (ids 1, 2, …), seat 1 rolls the highest and wins."""
    rules = DuelRules(cut_bps=cut_bps, owner_share_bps=owner_bps)
    lobby = Lobby.open(
        uuid.uuid4(),
        chat_id=-5,
        opener_id=1,
        stake=stars(stake),
        game="🎲",
        max_seats=seats,
        rules=rules,
        now=NOW,
    )
    for player in range(2, seats + 1):  # the last seat fills the lobby and starts it
        lobby = lobby.join(player, NOW, rules.roll_window)
    for number in range(1, seats + 1):
        lobby = lobby.record_roll(number, 6 if number == 1 else 2, number, NOW)
    assert lobby.state is LobbyState.SETTLED
    return lobby


@pytest.mark.parametrize(
    ("seats", "stake", "owner_bps", "cut", "owner", "house", "prize"),
    [
        (3, 10, 5000, 2, 1, 1, 28),  # pot 30: cut 1.5 rounded up to 2, half of it is 1
        (4, 10, 2500, 2, 0, 2, 38),  # pot 40: cut 2, a quarter is 0.5: rounded down to 0
        (10, 10, 3333, 5, 1, 4, 95),  # pot 100: cut 5, 1.6665 rounded down to 1
        (5, 30, 10_000, 8, 8, 0, 142),  # pot 150: cut 7.5 up to 8, all of it to the owner
        (2, 30, 0, 3, 0, 3, 57),  # off: a two-seat lobby is a duel's numbers
    ],
)
def test_a_lobby_fixes_the_share_when_opened_and_splits_its_cut_rounded_down(
    seats: int, stake: int, owner_bps: int, cut: int, owner: int, house: int, prize: int
) -> None:
    lobby = _settled_lobby(seats, stake, 500, owner_bps)
    assert lobby.owner_share_bps == owner_bps
    assert (lobby.cut, lobby.cut_split.owner, lobby.cut_split.house, lobby.prize) == (
        stars(cut),
        stars(owner),
        stars(house),
        stars(prize),
    )
    posted = lobby_settlement(
        lobby,
        uuid.uuid4(),
        escrow=10,
        winner_wallet=11,
        bankroll=12,
        at=NOW,
        owner_wallet=13,
        owner_id=77,
    )
    expected = {10: -stake * seats, 11: prize, 12: house, 13: owner}
    assert _legs(posted) == {k: v for k, v in expected.items() if v}  # no leg of 0
    assert sum(_legs(posted).values()) == 0
    if owner:
        assert (posted.metadata["owner_share"], posted.metadata["owner_id"]) == (owner, 77)
    else:
        assert "owner_share" not in posted.metadata
    # Without an owner who may receive it, the house keeps the whole cut.
    kept = lobby_settlement(lobby, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW)
    assert _legs(kept) == {10: -stake * seats, 11: prize, 12: cut}
    assert "owner_share" not in kept.metadata


def test_a_lobbys_owner_who_won_gets_one_leg_prize_and_share_together() -> None:
    lobby = _settled_lobby(3, 10, 500, 5000)
    posted = lobby_settlement(
        lobby, uuid.uuid4(), escrow=10, winner_wallet=11, bankroll=12, at=NOW, owner_wallet=11
    )
    assert _legs(posted) == {10: -30, 11: 29, 12: 1}


def test_a_lobby_refuses_a_share_outside_0_to_10000() -> None:
    lobby = _settled_lobby(2, 10, 500, 0)
    for bad in (-1, 10_001):
        with pytest.raises(InvalidRequest):
            replace(lobby, owner_share_bps=bad)
