"""Responsible gambling: a player's limits, exclusion, reality check and usage."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.money import Currency
from domain.responsible import (
    Exclusion,
    LimitKind,
    LimitPeriod,
    PlayerLimit,
    RealityCheck,
    ResponsibleProfile,
    Usage,
)


class ResponsibleGamblingRepository(Protocol):
    """A player's responsible-gambling settings (limits, exclusion, reality check) and the
    usage read model the limits are checked against. The use cases and the guard live in
    `application.responsible`; this port is declared in `application.ports`, beside the others,
    because that module imports `UnitOfWork` from there (declaring it there would be an import
    cycle).

    Every change, and every guarded bet or deposit of a player who has settings, first takes
    the player's lock (`enroll` / `lock`), so they are serialised per player."""

    async def lock(self, player_id: int) -> bool:
        """Lock the player's responsible-gambling record until the unit of work ends (SELECT
        ... FOR UPDATE). False, with nothing locked and in one small query, when the player
        never set anything: no limit, exclusion or reality check can exist then."""
        ...

    async def enroll(self, player_id: int, now: datetime) -> None:
        """Create the player's record if missing, and lock it like `lock`. `NotFound` for an
        unknown player."""
        ...

    async def profile(self, player_id: int) -> ResponsibleProfile:
        """Everything the player set (an empty profile if nothing)."""
        ...

    async def has_deposit_limit(self, player_id: int) -> bool: ...

    async def deposit_prompt_due(self, player_id: int) -> bool:
        """Whether the first-deposit prompt is still owed: no deposit limit was ever set (in
        any currency, pending or not) and "No limit for now" was never chosen."""
        ...

    async def answer_deposit_prompt(self, player_id: int, now: datetime) -> None:
        """Remember that the player chose "No limit for now" (the first answer stays). The
        record must exist (`enroll`)."""
        ...

    async def save_limit(self, limit: PlayerLimit) -> None:
        """Insert or replace the limit of its (player, kind, period, currency)."""
        ...

    async def delete_limit(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> None: ...

    async def save_exclusion(self, exclusion: Exclusion) -> None:
        """Insert or replace the player's exclusion. The database refuses one that ends
        earlier than the stored one (`IllegalTransition`), and never deletes one."""
        ...

    async def save_reality_check(self, check: RealityCheck) -> None: ...

    async def delete_reality_check(self, player_id: int) -> None: ...

    async def usage(
        self,
        player_id: int,
        currency: Currency,
        since: datetime,
        kinds: frozenset[LimitKind] = frozenset(LimitKind),
    ) -> Usage:
        """What the player did in `currency` from `since` (inclusive) on: stakes wagered
        (bets not voided, seamless debits not rolled back), net loss (those stakes minus
        payouts and seamless credits; an open bet counts as lost) and deposits (deposit legs
        on the wallet). Only the parts for `kinds` are computed; the others are 0."""
        ...

    async def last_played_at(self, player_id: int) -> datetime | None:
        """When the player last placed a bet or a seamless debit, in any currency."""
        ...
