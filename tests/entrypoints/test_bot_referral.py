"""/referral in the bot: the referrer's link, the friends it brought (a friend who starts the
bot with `/start ref_<code>`) and this period's commission so far; nothing about referrals
for a player in a time-out. The conversation is written as a transcript in English and
Russian (bot-referral-{en,ru}.txt in REFERRAL_TRANSCRIPT_DIR, default /tmp; kept in
docs/transcripts) for a person to read."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import text

from application.postings import CreditDepositCommand
from application.responsible import StartTimeout
from domain.money import XTR, Money
from domain.responsible import TimeoutPeriod
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Gate
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition.containers import make_bot_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.telegram_fakes import BOT_TOKEN, BOT_USER, Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(os.environ.get("REFERRAL_TRANSCRIPT_DIR", "/tmp"))


@pytest.fixture(scope="module")
async def runtime(servers, tmp_path_factory):
    """The bot with a referral programme: 10% of friends' deposits, up to 10,000 ⭐ a week."""
    settings = Settings(
        bot_token=BOT_TOKEN,
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path_factory.mktemp("bot-referral"),
        referral_basis="deposits",
        referral_share_bps=1_000,
        referral_caps={"XTR": 10_000},
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    container = make_bot_container(settings, endpoints)
    runtime = await container.get(TelegramRuntime)
    yield runtime
    await container.close()


async def _code(engine, player_id: int) -> str:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT referral_code FROM player_preferences WHERE player_id = :p"),
                {"p": player_id},
            )
        ).scalar_one()


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_referrer_sees_the_link_the_friends_and_the_commission(
    send, telegram, engine, credit, uow_factory, clock, unique_key, language
):
    t = Translator(language)
    log: list[str] = []

    async def say(player: Player, who: str, words: str, update) -> None:
        before = len(telegram.of(SendMessage))
        await send(update)
        log.append(f"> {who}: {words}")
        log.extend(f"< {call.text}" for call in telegram.of(SendMessage)[before:])

    referrer = Player(language)
    await send(referrer.message("/start"))
    await send(referrer.tap(Gate(accept=True).pack()))
    referrer_id = await _player_id(engine, referrer)
    code = await _code(engine, referrer_id)

    await say(referrer, "referrer", "/referral", referrer.message("/referral"))
    first = telegram.of(SendMessage)[-1].text
    assert f"https://t.me/{BOT_USER.username}?start=ref_{code}" in first
    assert t("referral.invited", count=0) in first
    assert t("referral.rule_deposits", share="10") in first

    friend = Player(language)
    await say(friend, "friend", f"/start ref_{code}", friend.message(f"/start ref_{code}"))
    friend_id = await _player_id(engine, friend)
    await send(friend.tap(Gate(accept=True).pack()))
    await credit(CreditDepositCommand(friend_id, Money(1_000, XTR), unique_key("ref")))
    log.append("  (the friend deposits 1000 ⭐)")

    await say(referrer, "referrer", "/referral", referrer.message("/referral"))
    screen = telegram.of(SendMessage)[-1].text
    assert t("referral.invited", count=1) in screen
    period = t("referral.period_week")
    assert t("referral.this_period", period=period, amount="100 ⭐") in screen

    # A player in a time-out hears nothing about referrals: the command is not known.
    await StartTimeout(uow_factory, clock)(referrer_id, TimeoutPeriod("24h"))
    await say(referrer, "referrer (in a time-out)", "/referral", referrer.message("/referral"))
    refused = [c.text for c in telegram.of(SendMessage)[-2:]]
    assert refused[0] == t("nav.not_understood")
    assert not any("ref_" in text or t("referral.title") in text for text in refused)

    path = TRANSCRIPTS / f"bot-referral-{language}.txt"
    await asyncio.to_thread(path.write_text, "\n".join(log) + "\n")
