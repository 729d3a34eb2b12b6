"""Risk flags, hashed payment identities and the figures the risk rules read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.money import Currency
from domain.risk import (
    BetCell,
    Funding,
    PaymentIdentityKind,
    RiskFlag,
    RiskFlagKind,
    RiskFlagStatus,
)


@dataclass(frozen=True, slots=True)
class RiskFlagQuery:
    status: RiskFlagStatus | None = None
    player_id: int | None = None
    kind: RiskFlagKind | None = None
    before_id: int | None = None
    limit: int = 50


class RiskRepository(Protocol):
    """Risk flags for staff review, the hashed payment identities players used, and the
    figures the risk rules are computed from (read from bets and the ledger)."""

    async def add_flag(self, flag: RiskFlag) -> RiskFlag | None:
        """Insert an open flag; returns it with its id, or None (nothing written) when the
        player already has an open flag of that kind, one a concurrent unit of work is still
        writing included (the call waits for it)."""
        ...

    async def get(self, flag_id: int, *, for_update: bool = False) -> RiskFlag:
        """The flag, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save(self, flag: RiskFlag) -> None:
        """Persist the review of an open flag; `IllegalTransition` if it is no longer open."""
        ...

    async def list(self, query: RiskFlagQuery) -> Sequence[RiskFlag]:
        """Flags matching the query, newest first, strictly older than `before_id`."""
        ...

    async def has_open(self, player_id: int) -> bool: ...

    async def add_identity(
        self, kind: PaymentIdentityKind, identity: str, player_id: int, now: datetime
    ) -> tuple[str, Sequence[int]]:
        """Record that the player used the (normalized) identity, once per player, as a
        keyed digest — never the identity itself — and return that digest and every player
        who has used it, ascending. Recordings of one identity are serialised until the unit
        of work ends, so two accounts recording it at once see each other."""
        ...

    async def bet_cells(
        self, since: datetime, until: datetime, player_id: int | None = None
    ) -> Sequence[BetCell]:
        """Bets won or lost with settlement time in [since, until), grouped by player,
        currency, game, selection, house edge and stake; of one player or of everyone."""
        ...

    async def funding(self, player_id: int, currency: Currency, since: datetime) -> Funding:
        """Deposits to the player's wallet in `currency` from `since` on, and the stakes
        wagered from the first of them on (bets not voided, seamless debits not rolled
        back)."""
        ...
