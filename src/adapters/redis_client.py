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
