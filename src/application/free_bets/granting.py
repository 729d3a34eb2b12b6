"""Granting a free-bet campaign's free bets, inside the campaign road's unit of work
(`application.campaigns.granting`): no money moves, rows are written."""

from __future__ import annotations

from datetime import datetime

from application.ports import IdGenerator, UnitOfWork
from domain.campaigns import Campaign
from domain.free_bets import FreeBet


async def grant_free_bets(
    uow: UnitOfWork, ids: IdGenerator, campaign: Campaign, player_id: int, now: datetime
) -> tuple[FreeBet, ...]:
    """The campaign's `count` free bets for the player, granted now. The caller has made
    every check a grant makes (open, target, standing, once per player, a use): this only
    writes. Nothing is spent: the budget pays the winnings, when a free bet wins."""
    terms = campaign.free_bet
    if terms is None:  # pragma: no cover - the caller asks only of a free-bet campaign
        raise ValueError(f"campaign {campaign.code!r} gives no free bets")
    free_bets = tuple(
        FreeBet.granted(
            ids.new_id(),
            player_id=player_id,
            campaign=campaign.code,
            terms=terms,
            max_win=campaign.amount,
            now=now,
        )
        for _ in range(terms.count)
    )
    await uow.free_bets.add(free_bets)
    return free_bets
