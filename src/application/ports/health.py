"""What readiness asks of the outside world, apart from the database (which every use case
reaches through the unit of work)."""

from __future__ import annotations

from typing import Protocol


class RedisProbe(Protocol):
    """Whether Redis answers now; False, never an error, when it does not. Readiness reports
    it (Redis down degrades features, never money); the composition root binds it to the
    process's client (`adapters.redis_client.RedisPing`)."""

    async def __call__(self) -> bool: ...
