"""The bot's conversation storage forgets instead of failing: with Redis unreachable, a
conversation reads as none and writing it is skipped, so the player starts the flow again
rather than meeting an error (entrypoints/bot/flow_storage.py)."""

from __future__ import annotations

import socket

from aiogram.fsm.storage.base import StorageKey
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from entrypoints.bot.flow_storage import FlowStorage
from entrypoints.bot.handlers.withdrawals import WithdrawFlow


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nobody listens


async def test_a_lost_redis_is_a_forgotten_conversation_not_an_error():
    # No retries: the client's own back-off would only make the test slow.
    redis = Redis(port=_closed_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    storage = FlowStorage(redis)
    key = StorageKey(bot_id=1, chat_id=2, user_id=2)
    await storage.set_state(key, WithdrawFlow.destination)
    await storage.set_data(key, {"code": "XTR", "amount": 500})
    assert await storage.get_state(key) is None
    assert await storage.get_data(key) == {}
    await storage.close()
    await redis.aclose()
