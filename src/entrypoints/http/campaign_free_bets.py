"""The free-bet part of a campaign over the admin API (docs/bonuses.md, "Free bets"): what a
`free_bet` campaign's body carries, and what its page shows of its free bets."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import msgspec

from application.ports import FreeBetCounts
from domain.errors import InvalidField
from domain.free_bets import FreeBetTerms
from domain.money import Currency, Money


class FreeBetBody(msgspec.Struct, forbid_unknown_fields=True):
    game: Annotated[
        str, msgspec.Meta(description="plinko, limbo, dice, coin or roulette", max_length=20)
    ]
    params: Annotated[
        dict[str, str],
        msgspec.Meta(
            description="The game's own parameters, as a bet takes them, e.g. "
            '{"rows": "8", "risk": "low"} for plinko or {"target": "2"} for limbo'
        ),
    ]
    stake: Annotated[int, msgspec.Meta(description="Minor units: the stake the house pays")]
    count: Annotated[int, msgspec.Meta(description="Free bets each player gets, 1-100")]
    expires_after_hours: Annotated[
        int, msgspec.Meta(description="A free bet is playable this many hours after its grant")
    ]


class FreeBetTermsView(msgspec.Struct):
    game: str
    params: dict[str, str]
    stake: int
    count: int
    expires_after_hours: float


class FreeBetCountsView(msgspec.Struct):
    granted: int
    played: int
    won: int
    expired: int
    winnings: int  # minor units granted as bonuses


def decode_free_bet(body: FreeBetBody | None, currency: Currency) -> FreeBetTerms | None:
    if body is None:
        return None
    if not 1 <= body.expires_after_hours <= 365 * 24:
        raise InvalidField(
            "free_bet.expires_after_hours", "a free bet expires after 1 to 8760 hours"
        )
    if body.stake <= 0:
        raise InvalidField("free_bet.stake", "a free bet's stake is positive")
    return FreeBetTerms(
        game=body.game,
        params=body.params,
        stake=Money(body.stake, currency),
        count=body.count,
        expires_after=timedelta(hours=body.expires_after_hours),
    )


def terms_view(terms: FreeBetTerms | None) -> FreeBetTermsView | None:
    if terms is None:
        return None
    return FreeBetTermsView(
        game=terms.game,
        params=dict(terms.params),
        stake=terms.stake.amount,
        count=terms.count,
        expires_after_hours=terms.expires_after / timedelta(hours=1),
    )


def counts_view(counts: FreeBetCounts | None) -> FreeBetCountsView | None:
    if counts is None:
        return None
    return FreeBetCountsView(
        counts.granted, counts.played, counts.won, counts.expired, counts.winnings
    )
