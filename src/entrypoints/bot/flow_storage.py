"""Where the bot keeps a conversation in progress (aiogram's FSM): what a player chose a step
ago while the bot waits for what they type next (the withdrawal's amount, waiting for its
destination).

It lives in Redis, which holds only what may be lost: a conversation forgotten (Redis
restarted, emptied, or down) means the player starts that flow again, and nothing else. So a
Redis error is never an error for the player: reading finds no conversation, writing is
skipped (and logged). Conversations expire after `FLOW_TTL` untouched."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

FLOW_TTL: Final = timedelta(hours=1)
_LOST = (RedisError, OSError)


class FlowStorage(BaseStorage):
    """aiogram's Redis storage that forgets instead of failing."""

    def __init__(self, redis: Redis) -> None:
        self._redis = RedisStorage(redis, state_ttl=FLOW_TTL, data_ttl=FLOW_TTL)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        try:
            await self._redis.set_state(key, state)
        except _LOST:
            log.warning("conversation state not saved (Redis unavailable)")

    async def get_state(self, key: StorageKey) -> str | None:
        try:
            return await self._redis.get_state(key)
        except _LOST:
            log.warning("conversation state not read (Redis unavailable)")
            return None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        try:
            await self._redis.set_data(key, data)
        except _LOST:
            log.warning("conversation data not saved (Redis unavailable)")

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        try:
            return await self._redis.get_data(key)
        except _LOST:
            log.warning("conversation data not read (Redis unavailable)")
            return {}

    async def close(self) -> None:
        # The Redis client is the container's, shared with the rest of the bot: not closed here.
        return None
