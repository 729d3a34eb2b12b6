"""Where service API keys are kept (hashed secrets only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from application.ports.clock_ids import Clock
from domain.access import ApiKey


class ApiKeyStore(Protocol):
    """Where API keys are kept: hashed secrets only."""

    async def add(self, key: ApiKey) -> None:
        """Store a new key; `InvalidRequest` if the name is taken by an active key."""
        ...

    async def find(self, key_id: str) -> ApiKey | None: ...

    async def find_active(self, name: str) -> ApiKey | None:
        """The key of that name not revoked (it may have expired: the caller checks), or
        None. As `find`, it may answer from a cache a few seconds old."""
        ...

    async def revoke(self, name: str, clock: Clock) -> bool:
        """Revoke the active key of that name; False if there is none."""
        ...

    async def all(self) -> Sequence[ApiKey]: ...


class KeyUsage(Protocol):
    """What each service key brought into wallets per currency and UTC day, counted inside the
    unit of work that moves the money, so a refusal undoes the count with the money."""

    async def add(self, key_name: str, currency: str, day: date, amount: int) -> int:
        """Count `amount` for the key's day and return the day's total so far. Concurrent
        units of work counting the same key, currency and day are serialised."""
        ...
