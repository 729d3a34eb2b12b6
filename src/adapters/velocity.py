"""Velocity counters in Redis: one sorted set per (action, player), a sliding-window log.

Each accepted action is a member scored by its time in milliseconds. One Lua script drops
what left the window, counts what is left and adds the new action only if it fits, so
concurrent callers on several processes can never both take the last place. The key expires
with its window, so an idle player costs nothing. Times come from the application's clock,
which keeps the adapter testable; clocks of several processes a few milliseconds apart shift
a window by as much, which is harmless for a cap of this kind.

Redis holds only what may be lost: if it is down or slow (the client's 2-second timeouts
apply) the call raises `VelocityStoreDown`, and `application.velocity` decides per limit
whether that lets the action through. Each such failure is counted in
`croupier_velocity_store_errors_total`."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.ports import Clock, VelocityStoreDown
from domain.velocity import VelocityLimit

log = logging.getLogger(__name__)

KEY_PREFIX = "croupier:velocity"

STORE_ERRORS = Counter(
    "croupier_velocity_store_errors_total",
    "Velocity checks that could not reach Redis, by action (the limit's fail mode applied).",
    ["action"],
)
REFUSALS = Counter(
    "croupier_velocity_refusals_total",
    "Actions refused for going over a velocity limit, by action.",
    ["action"],
)

# KEYS[1]: the set. ARGV: now (ms), window (ms), max count, a member unique to this call.
# Returns -1 when the action was counted, else the milliseconds until one more would fit.
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return -1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then
  wait = 1
end
return wait
"""


class RedisVelocityLimiter:
    def __init__(self, redis: Redis, clock: Clock, *, prefix: str = KEY_PREFIX) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = prefix
        self._script = redis.register_script(_SLIDING_WINDOW)

    def key(self, limit: VelocityLimit, player_id: int) -> str:
        return f"{self._prefix}:{limit.action.value}:{player_id}"

    async def hit(self, limit: VelocityLimit, player_id: int) -> timedelta | None:
        now_ms = int(self._clock.now().timestamp() * 1000)
        window_ms = max(1, int(limit.window.total_seconds() * 1000))
        try:
            answer = await self._script(
                keys=[self.key(limit, player_id)],
                args=[now_ms, window_ms, limit.max_count, f"{now_ms}:{secrets.token_hex(6)}"],
            )
        except (RedisError, OSError) as error:
            STORE_ERRORS.labels(limit.action.value).inc()
            log.warning("velocity counters unreachable (Redis): %s", error)
            raise VelocityStoreDown(str(error)) from error
        wait_ms = int(answer)
        if wait_ms < 0:
            return None
        REFUSALS.labels(limit.action.value).inc()
        return timedelta(milliseconds=wait_ms)
