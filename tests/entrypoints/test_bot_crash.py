"""Crash in the bot, end to end through the Dispatcher, on rounds the real `CrashDriver` drives
on a chain this test committed (so it knows the crash points): a bet by hand cashed out with
the button, a double tap placing one bet, a second bet in the same round refused, and a bet
with a 10x target that rides into the crash; each result read with the Round status button.
The conversation is written as a transcript (CRASH_TRANSCRIPT) for a person to read."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from redis.asyncio import Redis

from adapters.postgres.crash import SqlLeaderLock
from adapters.postgres.crash_chain import commit_chain, set_salt
from application.crash import CrashDriver, CrashPolicy, SettleCrashedRound
from domain.crash import crash_point, first_link, next_link
from entrypoints.bot.handlers.crash import CrashBet
from entrypoints.bot.keyboards import PickGame, PickStake
from tests.crash_cleanup import finish_every_round

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPT = Path(os.environ.get("CRASH_TRANSCRIPT", "/tmp/croupier-bot-crash-transcript.txt"))
SALT = "bot-crash"
# Bets close 2.5 s after a round opens: the taps that bet on a round take ~0.3 s on a loaded
# box (round 2 opens as round 1 crashes, and its bet is three taps away).
POLICY = CrashPolicy(betting_seconds=2.5, watch=0.02, lock_poll=0.05)


def _render(call: Any) -> str:
    lines = [f"BOT ({type(call).__name__}): {call.text}"]
    markup = call.reply_markup
    for row in markup.inline_keyboard if markup else ():
        lines.append("    " + " ".join(f"[{b.text}]" for b in row))
    return "\n".join(lines)


def _chain() -> tuple[bytes, str, str]:
    """Round 1 crashes at 1.20x-1.35x, 3-5 s after its start (the player cashes out at ~1.06x
    first); round 2, where a 10x target only rides, at 1.01x-1.10x, within 1.6 s."""
    for i in itertools.count(secrets.randbelow(10**12)):
        secret = f"bot-crash-{i:012d}".encode()
        second = first_link(secret)  # round n uses link N - n
        first = next_link(second)
        if 120 <= crash_point(first, SALT) <= 135 and 101 <= crash_point(second, SALT) <= 110:
            return secret, first, second
    raise AssertionError("unreachable")


async def _tap_freely(redis: Redis, player_id: int) -> None:
    """Forget the player's taps so far: the bot lets a player tap 10 times in 3 s (the throttle
    is tested elsewhere), and this chat taps more than that."""
    await redis.delete(f"croupier:bot:throttle:{player_id}")


async def _drive_one_round(driver: CrashDriver, started: asyncio.Event) -> None:
    """Until the round running or taking bets has crashed (the next one opens at once)."""
    until = driver.stats.crashed + 1
    for _ in range(10_000):
        if driver.stats.started and not started.is_set():
            started.set()
        if driver.stats.crashed >= until:
            return
        await asyncio.sleep(max(await driver.step(), 0.01))
    raise AssertionError("the round did not crash")


async def test_crash_in_the_chat(
    send,
    telegram,
    ready_player,
    engine,
    uow_factory,
    clock,
    ids,
    house,
    servers,
):
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    await finish_every_round(uow_factory, settle)  # rounds other tests left
    secret, first_hash, second_hash = _chain()
    async with engine.begin() as conn:
        committed = await commit_chain(conn, 2, secret=secret)
        await set_salt(conn, committed.id, SALT)
    driver = CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, POLICY)
    player = await ready_player()
    redis = Redis.from_url(servers.redis_url)
    log: list[str] = []

    async def tap(label: str, data: str) -> list[Any]:
        assert len(data.encode()) <= 64, data  # Telegram's bound on callback data
        before = len(telegram.calls)
        await send(player.tap(data))
        calls = telegram.calls[before:]
        log.append(f"PLAYER taps {label}  ({data})")
        log.extend(_render(c) for c in calls if isinstance(c, SendMessage | EditMessageText))
        log.extend(
            f"ALERT: {c.text}" for c in calls if isinstance(c, AnswerCallbackQuery) and c.text
        )
        return calls

    def alerts(calls: list[Any]) -> list[str]:
        return [c.text for c in calls if isinstance(c, AnswerCallbackQuery) and c.text]

    try:
        await driver.step()  # round 1 opens and takes bets
        await tap("Crash 🚀", PickGame(game="crash").pack())
        await tap("100 ⭐", PickStake(game="crash", stake=100).pack())
        keyboard = telegram.of(SendMessage)[-1].reply_markup.inline_keyboard
        assert [[b.text for b in row] for row in keyboard] == [
            ["1.5x", "2x", "5x", "10x"],
            ["✋ By hand"],
        ]
        by_hand = keyboard[1][0].callback_data
        placed = await tap("✋ By hand", by_hand)
        again = await tap("✋ By hand again (a double tap)", by_hand)
        sent = [c for c in placed if isinstance(c, SendMessage)]
        assert len(sent) == 1
        assert not [c for c in again if isinstance(c, SendMessage)]
        assert sent[0].text.startswith("🚀 Crash round 1 takes bets")
        assert "Your bet 100 ⭐ rides until you press Cash out" in sent[0].text
        buttons = [b for row in sent[0].reply_markup.inline_keyboard for b in row]
        assert [b.text for b in buttons] == ["💰 Cash out", "🔄 Round status"]
        cash, look = (b.callback_data for b in buttons)
        second = await tap("10x (a second bet in the same round)", keyboard[0][3].callback_data)
        assert alerts(second) == ["You already have a bet in this crash round: one bet a round."]
        early = await tap("💰 Cash out (before the round starts)", cash)
        assert len(alerts(early)) == 1
        assert not [c for c in early if isinstance(c, EditMessageText)]

        await _tap_freely(redis, player.user.id)
        started = asyncio.Event()
        driving = asyncio.create_task(_drive_one_round(driver, started))
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(1.0)  # the multiplier climbs (to ~1.06x; it crashes at 1.20x+)
        done = await tap("💰 Cash out", cash)
        edit = next(c for c in done if isinstance(c, EditMessageText))
        assert "is running" in edit.text
        (toast,) = alerts(done)
        multiplier = toast.split(" at ")[1].split("x:")[0]
        payout = (100 * Fraction(multiplier)).__floor__()
        assert toast == f"Cashed out at {multiplier}x: {payout} ⭐"
        assert (
            f"🎉 Your bet 100 ⭐ was cashed out at {multiplier}x: {payout} ⭐! "
            f"Balance: {900 + payout} ⭐" in edit.text
        )
        assert [b.text for row in edit.reply_markup.inline_keyboard for b in row] == [
            "🚀 Play crash again"
        ]
        await asyncio.wait_for(driving, 15)
        point = crash_point(first_hash, SALT)
        status = await tap("🔄 Round status (after the crash)", look)
        final = next(c for c in status if isinstance(c, EditMessageText))
        shown = f"{point // 100}.{point % 100:02d}".rstrip("0").rstrip(".")
        assert final.text.startswith(f"💥 Crash round 1 crashed at {shown}x.")
        assert (
            f"croupier verify --game crash --round 1 --round-hash {first_hash} --salt {SALT} "
            f"--chain-end {committed.end_hash}" in final.text
        )

        # Round 2 (opened as round 1 crashed): a 10x target rides into the crash at ~1.05x.
        await _tap_freely(redis, player.user.id)
        # From the settled bet's "Play crash again": the stakes shown for round 1 are an old
        # keyboard now.
        await tap("🚀 Play crash again", PickGame(game="crash").pack())
        await tap("100 ⭐", PickStake(game="crash", stake=100).pack())
        ten = telegram.of(SendMessage)[-1].reply_markup.inline_keyboard[0][3].callback_data
        assert CrashBet.unpack(ten).target == 1000
        riding = await tap("10x", ten)
        message = next(c for c in riding if isinstance(c, SendMessage))
        assert message.text.startswith("🚀 Crash round 2 takes bets")
        assert "Your bet 100 ⭐ cashes out automatically at 10x" in message.text
        buttons = [b for row in message.reply_markup.inline_keyboard for b in row]
        assert [b.text for b in buttons] == ["🔄 Round status"]  # no button: it is automatic
        await asyncio.wait_for(_drive_one_round(driver, asyncio.Event()), 15)
        status = await tap("🔄 Round status (after the crash)", buttons[0].callback_data)
        final = next(c for c in status if isinstance(c, EditMessageText))
        point = crash_point(second_hash, SALT)
        shown = f"{point // 100}.{point % 100:02d}".rstrip("0").rstrip(".")
        assert final.text.startswith(f"💥 Crash round 2 crashed at {shown}x.")
        assert f"😕 Your bet 100 ⭐ rode into the crash. Balance: {800 + payout} ⭐" in (final.text)
    finally:
        await redis.aclose()
        await finish_every_round(uow_factory, settle)  # a round opened after ours
        await asyncio.to_thread(TRANSCRIPT.write_text, "\n".join(log) + "\n")
