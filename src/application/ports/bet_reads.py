"""Staff's reads of bets: the filter, the summary and the read model."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Protocol

from domain.bets import BetState


@dataclass(frozen=True, slots=True)
class BetFilter:
    player_id: int | None = None
    game: str | None = None
    state: BetState | None = None
    since: datetime | None = None  # placed at or after
    until: datetime | None = None  # placed strictly before


@dataclass(frozen=True, slots=True)
class BetSummary:
    id: uuid.UUID
    player_id: int
    game: str
    params: Mapping[str, str]
    currency: str
    stake: int  # minor units
    state: BetState
    outcome: int | None
    multiplier: Fraction | None
    payout: int | None
    placed_at: datetime
    settled_at: datetime | None


class BetReadModel(Protocol):
    """Reads of bets for staff; nothing here writes."""

    async def search(
        self,
        where: BetFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[BetSummary]:
        """Matching bets, newest first (by placement time, then id), strictly after the
        position `after` in that order."""
        ...
