"""The real service, started as an operator starts it, with its bot pointed at the fake Bot
API server (`CROUPIER_BOT_API_URL`), long polling, on the test PostgreSQL and Valkey."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_HOUSE_SHARDS, TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.e2e.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
CROUPIER = Path(sys.executable).parent / "croupier"
BOT_TOKEN = "424242:E2E-TOKEN-NOT-REAL"
# The process imports aiogram and checks the migrations before it polls: seconds, more on a
# loaded box.
STARTS_WITHIN = 90.0


@dataclass(frozen=True)
class BotService:
    api: FakeBotApi
    process: asyncio.subprocess.Process
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
async def bot_service(servers, tmp_path_factory) -> AsyncIterator[BotService]:  # type: ignore[no-untyped-def]
    service_dir = tmp_path_factory.mktemp("bot-service")
    api = FakeBotApi(BOT_TOKEN)
    base_url = await api.start()
    env = {
        **os.environ,
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_BOT_TOKEN": BOT_TOKEN,
        "CROUPIER_BOT_API_URL": base_url,
        "CROUPIER_BOT_DICE_DELAY_MS": "0",
        "CROUPIER_SEED_KEY": secrets.token_hex(32),
        "CROUPIER_PII_KEYS": TEST_PII_KEYS,
        "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        "CROUPIER_HOUSE_SHARDS": str(TEST_HOUSE_SHARDS),
        "CROUPIER_METRICS_PORT": "0",
        "CROUPIER_DATA_DIR": str(service_dir / "data"),
        "CROUPIER_LOG_LEVEL": "WARNING",
    }
    for name in ("CROUPIER_BOT_WEBHOOK_URL", "CROUPIER_BOT_WEBHOOK_SECRET"):
        env.pop(name, None)  # long polling, as in development
    log = service_dir / "croupier.log"
    with log.open("wb") as out:
        # What the README's `./dev up` runs, the bot part alone (docs/operations.md).
        process = await asyncio.create_subprocess_exec(
            str(CROUPIER), "run", "--only", "bot",
            env=env, cwd=ROOT, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    service = BotService(api, process, log)
    try:
        try:
            await asyncio.wait_for(api.polled.wait(), STARTS_WITHIN)
        except TimeoutError:
            pytest.fail(f"the bot never polled the fake Bot API:\n{service.log_tail()}")
        yield service
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl+C: the bot stops polling and the process ends
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
        await api.stop()
