"""Login attempts counted in Redis in fixed windows: per (account, address), per address, and a
larger per-account budget that addresses the account has logged in from before do not spend.

Why three counters: a per-account limit alone hands anyone a button that locks the owner out
(five wrong passwords from anywhere); per (account, address) alone lets a botnet guess from
many addresses. So a guesser from one address gets `per_pair` tries; many addresses together
get `per_account` before the account closes to new addresses, while the owner, from an address
they logged in from before, still gets in; one address spraying many accounts stops at
`per_address`.

Checking and counting is one Lua script, run before the password is checked: a hundred
concurrent attempts cannot all read "4 failures" and pass (the old read-then-increment let 59
of 100 through a limit of 5).

Redis holds only what may be lost: if it is down, logins are not throttled (and each failure
is still in the audit log) rather than every member of staff being locked out."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS: pair, address, account, known addresses of the account.
# ARGV: pair limit, address limit, account limit, window seconds, this address's digest.
_ADMIT = """
local known = redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 1
local pair = tonumber(redis.call('GET', KEYS[1]) or '0')
local address = tonumber(redis.call('GET', KEYS[2]) or '0')
local account = tonumber(redis.call('GET', KEYS[3]) or '0')
if pair >= tonumber(ARGV[1]) or address >= tonumber(ARGV[2])
    or (not known and account >= tonumber(ARGV[3])) then
    return 0
end
for i = 1, 3 do
    redis.call('INCR', KEYS[i])
    if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
end
return 1
"""

# A success takes its attempt back from the address and account counters, clears the pair's,
# and remembers the address for the account. KEYS as above; ARGV: digest, remember seconds.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
for i = 2, 3 do
    if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return 1
"""


def _digest(value: str) -> str:
    # Hashed: usernames and addresses are personal data and need not sit in Redis.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class RedisLoginThrottle:
    def __init__(
        self,
        redis: Redis,
        *,
        per_pair: int = 5,
        per_address: int = 20,
        per_account: int = 50,
        window_seconds: int = 900,
        remember_addresses: timedelta = timedelta(days=30),
    ) -> None:
        self._redis = redis
        self._limits = (per_pair, per_address, per_account, window_seconds)
        self._remember = int(remember_addresses.total_seconds())
        self._admit = redis.register_script(_ADMIT)
        self._succeeded = redis.register_script(_SUCCEEDED)

    @staticmethod
    def _keys(account: str, address: str) -> list[str]:
        a, s = _digest(account), _digest(address)
        return [
            f"croupier:login-fail:pair:{a}:{s}",
            f"croupier:login-fail:address:{s}",
            f"croupier:login-fail:account:{a}",
            f"croupier:login-fail:known:{a}",
        ]

    async def admit(self, account: str, address: str) -> bool:
        try:
            admitted = await self._admit(
                keys=self._keys(account, address), args=[*self._limits, _digest(address)]
            )
        except (RedisError, OSError):
            log.warning("login throttle unavailable (Redis); not throttling")
            return True
        return bool(admitted)

    async def succeeded(self, account: str, address: str) -> None:
        try:
            await self._succeeded(
                keys=self._keys(account, address), args=[_digest(address), self._remember]
            )
        except (RedisError, OSError):
            log.warning("login throttle unavailable (Redis)")
