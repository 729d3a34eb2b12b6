"""Redis: for what may be lost (rate limits, sessions, caches, fan-out), never for money."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError


def create_redis(url: str) -> Redis:
    # Short timeouts: a slow or absent Redis must degrade features, not hang money paths.
    return Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=2,
        health_check_interval=30,
        decode_responses=False,
    )


async def redis_is_healthy(client: Redis) -> bool:
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False


class RedisPing:
    """A `RedisProbe` on the process's client: a PING."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def __call__(self) -> bool:
        return await redis_is_healthy(self._client)
