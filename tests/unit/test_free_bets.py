"""Free bets' domain rules (docs/bonuses.md, "Free bets"): the terms, the winnings (net of the
stake, floored at 0, capped at max_win), the states and their one move each, and a play
decided by the game's own engine exactly as the public verifier recomputes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from domain.bets import FairnessProof
from domain.campaigns import Audience, BonusTerms, Campaign, CampaignKind, Target
from domain.errors import IllegalTransition, InvalidField
from domain.fairness import commitment
from domain.free_bets import (
    FreeBet,
    FreeBetState,
    FreeBetTerms,
    FreeBetUnavailable,
    free_bet_winnings,
)
from domain.money import TON, XTR, Money
from domain.verification import check_outcome

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
SEED = "ab" * 32


def stars(amount: int) -> Money:
    return Money(amount, XTR)


def terms(**changes: object) -> FreeBetTerms:
    fields: dict[str, object] = {
        "game": "coin",
        "params": {"side": "heads"},
        "stake": stars(10),
        "count": 3,
        "expires_after": timedelta(days=2),
        **changes,
    }
    return FreeBetTerms(**fields)  # type: ignore[arg-type]


def granted(max_win: int = 200, **changes: object) -> FreeBet:
    return FreeBet.granted(
        uuid.UUID(int=1),
        player_id=7,
        campaign="spins",
        terms=terms(**changes),
        max_win=stars(max_win),
        now=NOW,
    )


def proof(nonce: int = 0) -> FairnessProof:
    return FairnessProof(1, nonce, commitment(SEED), "fakes")


@pytest.mark.parametrize(
    ("payout", "won"),
    [(56, 46), (10, 0), (5, 0), (0, 0), (1000, 200), (210, 200), (209, 199)],
)
def test_winnings_are_the_payout_less_the_stake_floored_at_zero_and_capped(
    payout: int, won: int
) -> None:
    assert free_bet_winnings(stars(payout), stars(10), stars(200)) == stars(won)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"game": "mines", "params": {"mines": "3"}}, "free_bet.game"),
        ({"game": "crash", "params": {}}, "free_bet.game"),
        ({"game": "tg_dice", "params": {}}, "free_bet.game"),
        ({"params": {"side": "edge"}}, "free_bet.params"),
        ({"count": 0}, "free_bet.count"),
        ({"count": 101}, "free_bet.count"),
        ({"expires_after": timedelta(minutes=59)}, "free_bet.expires_after"),
        ({"expires_after": timedelta(days=366)}, "free_bet.expires_after"),
    ],
)
def test_terms_refuse_games_with_roads_of_their_own_and_bad_numbers(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        terms(**changes)
    assert refused.value.field == field


def test_terms_keep_the_game_s_canonical_parameters() -> None:
    plinko = terms(game="plinko", params={"rows": "8", "risk": "low"})
    assert dict(plinko.params) == {"rows": "8", "risk": "low"}


def test_a_free_bet_campaign_has_free_bets_and_only_it_has() -> None:
    common: dict[str, object] = {
        "code": "spins",
        "budget": stars(1000),
        "starts_at": NOW,
        "ends_at": NOW + timedelta(days=7),
        "target": Target(Audience.ALL),
        "terms": BonusTerms(10, timedelta(days=7)),
        "created_by": "staff:alice",
        "created_at": NOW,
        "amount": stars(200),
    }
    spins = Campaign(kind=CampaignKind.FREE_BET, free_bet=terms(), **common)  # type: ignore[arg-type]
    assert spins.free_bet is not None
    with pytest.raises(InvalidField):
        Campaign(kind=CampaignKind.FREE_BET, **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        Campaign(kind=CampaignKind.PROMO_CODE, free_bet=terms(), **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        Campaign(  # type: ignore[arg-type]
            kind=CampaignKind.FREE_BET, free_bet=terms(stake=Money(10, TON)), **common
        )


def test_a_play_is_the_verifier_s_outcome_with_winnings_net_of_the_stake() -> None:
    free_bet = granted()
    edge = Fraction(1, 100)
    for nonce in range(6):
        play = free_bet.decide(server_seed=SEED, proof=proof(nonce), house_edge=edge, now=NOW)
        check = check_outcome(
            "coin", server_seed=SEED, client_seed="fakes", nonce=nonce,
            params={"side": "heads"}, house_edge=edge,
        )  # fmt: skip
        assert (play.outcome, play.multiplier) == (check.outcome, check.multiplier)
        if play.multiplier:
            # 1.98x of 10 is 19 (rounded down): the house's 10 stays the house's.
            assert (play.payout, play.winnings, play.won) == (stars(19), stars(9), True)
        else:
            assert (play.payout, play.winnings, play.won) == (stars(0), stars(0), False)


def test_a_free_bet_is_played_or_expires_once() -> None:
    free_bet = granted()
    play = free_bet.decide(server_seed=SEED, proof=proof(), house_edge=Fraction(1, 100), now=NOW)
    played = free_bet.played(play)
    assert played.state is FreeBetState.PLAYED
    with pytest.raises(IllegalTransition):
        played.played(play)
    with pytest.raises(IllegalTransition):
        played.expire(NOW + timedelta(days=3))
    with pytest.raises(FreeBetUnavailable) as again:
        played.require_playable(NOW)
    assert again.value.rule == "played"
    with pytest.raises(IllegalTransition):
        free_bet.expire(NOW + timedelta(days=2) - timedelta(seconds=1))
    expired = free_bet.expire(NOW + timedelta(days=2))
    assert expired.state is FreeBetState.EXPIRED
    with pytest.raises(IllegalTransition):
        expired.played(play)


def test_a_free_bet_past_its_expiry_is_not_played_even_before_the_job_ran() -> None:
    with pytest.raises(FreeBetUnavailable) as late:
        granted().decide(
            server_seed=SEED,
            proof=proof(),
            house_edge=Fraction(1, 100),
            now=NOW + timedelta(days=2),
        )
    assert late.value.rule == "expired"
