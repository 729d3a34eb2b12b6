"""Failed-login counters in Redis, per account and per address, in fixed windows.

Redis holds only what may be lost: if it is down, logins are not throttled (and each failure
is still in the audit log) rather than every member of staff being locked out."""

from __future__ import annotations

import hashlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RedisLoginThrottle:
    def __init__(
        self,
        redis: Redis,
        *,
        per_account: int = 5,
        per_address: int = 20,
        window_seconds: int = 900,
    ) -> None:
        self._redis = redis
        self._limits = {"account": per_account, "address": per_address}
        self._window = window_seconds

    def _keys(self, account: str, address: str) -> dict[str, str]:
        # Hashed: usernames and addresses are personal data and need not sit in Redis.
        def digest(value: str) -> str:
            return hashlib.sha256(value.encode()).hexdigest()[:32]

        return {
            "account": f"croupier:login-fail:account:{digest(account)}",
            "address": f"croupier:login-fail:address:{digest(address)}",
        }

    async def blocked(self, account: str, address: str) -> bool:
        keys = self._keys(account, address)
        try:
            counts = await self._redis.mget([keys["account"], keys["address"]])
        except (RedisError, OSError):
            log.warning("login throttle unavailable (Redis); not throttling")
            return False
        return any(
            int(count or 0) >= self._limits[name]
            for name, count in zip(("account", "address"), counts, strict=True)
        )

    async def failed(self, account: str, address: str) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key in self._keys(account, address).values():
                    pipe.incr(key)
                    pipe.expire(key, self._window, nx=True)
                await pipe.execute()
        except (RedisError, OSError):
            log.warning("login throttle unavailable (Redis); failure not counted")

    async def succeeded(self, account: str) -> None:
        try:
            await self._redis.delete(self._keys(account, "")["account"])
        except (RedisError, OSError):
            log.warning("login throttle unavailable (Redis)")
