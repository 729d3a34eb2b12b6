"""Where service API keys are kept (hashed secrets only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from application.ports.clock_ids import Clock
from domain.access import ApiKey


class ApiKeyStore(Protocol):
    """Where API keys are kept: hashed secrets only."""

    async def add(self, key: ApiKey) -> None:
        """Store a new key; `InvalidRequest` if the name is taken by an active key."""
        ...

    async def find(self, key_id: str) -> ApiKey | None: ...

    async def revoke(self, name: str, clock: Clock) -> bool:
        """Revoke the active key of that name; False if there is none."""
        ...

    async def all(self) -> Sequence[ApiKey]: ...
