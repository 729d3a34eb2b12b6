"""The bot's notices on fakes: a crash bet placed from the bot keeps a waiting result
(`PlaceRoundBet` with notify), the round's `crash.round_crashed` event readies it
(`ReadyCrashResults`, through `CrashResultListener`, delivered twice and acted on once), and
`SendNotices` sends it at Telegram's pace (`SendPace`): a 429 waits its retry_after, a 403
marks the player unreachable, other failures retry and then give up. `NoticeSender` sends from
one instance at a time. On PostgreSQL and a mocked Bot API: tests/entrypoints/test_bot_crash.py."""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import replace

import pytest

from application.crash import PlaceRoundBetCommand
from application.notices import (
    CrashResultListener,
    NoticeSender,
    PlayerWroteAgain,
    ReadyCrashResults,
    SendNotices,
    SendPace,
)
from application.ports import Delivery, DeliveryKind, EventEnvelope
from domain.crash import ms_to_reach
from domain.events import CrashRoundCrashed
from domain.money import XTR, Money
from domain.notices import MAX_ATTEMPTS, NewNotice, NoticeState
from tests.fake_crash import FakeLeaderLock
from tests.fake_notices import FakeEventSource, FakeMessenger
from tests.fakes import FakeClock
from tests.unit.test_crash_on_fakes import World


class Ticks:
    """The sender's time: the test's clock (or its own), moved on only by sleeps."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.slept: list[float] = []

    @property
    def now(self) -> float:
        return self.clock.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        # whole microseconds, up: the clock's grain, or a sleep would not move it
        self.clock.advance(microseconds=math.ceil(seconds * 1_000_000))


def _pace(ticks: Ticks) -> SendPace:
    return SendPace(now=lambda: ticks.now, sleep=ticks.sleep)


def _crashed(round_id: int) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type=CrashRoundCrashed.name,
        version=1,
        aggregate_type="crash_round",
        aggregate_id=str(round_id),
        sequence=3,
        occurred_at=World().clock.now(),
        player_ids=[],
        data={"round_id": round_id},
    )


async def _played(w: World, notify: bool = True) -> tuple[int, int, int, int]:
    """A round: a bot bet that reaches its 1.5x target, a bot bet by hand that rides into the
    crash, and a bet from elsewhere (no notice). Its id and the three players."""
    driver = w.driver()
    await driver.step()
    won, lost, other = [await w.player(i) for i in (1, 2, 3)]
    stake = Money(100, XTR)
    placed = await w.place(
        PlaceRoundBetCommand(won, uuid.uuid4(), stake, {"target": "1.50"}, notify=notify)
    )
    await w.place(PlaceRoundBetCommand(lost, uuid.uuid4(), stake, notify=notify))
    await w.place(PlaceRoundBetCommand(other, uuid.uuid4(), stake))
    w.clock.advance(seconds=5)
    await driver.step()
    w.clock.advance(milliseconds=ms_to_reach(w.point))
    await driver.step()
    return placed.round.id, won, lost, other


async def test_a_crash_round_event_readies_each_bot_bet_result_once() -> None:
    w = World()
    round_id, won, lost, other = await _played(w)
    assert any(isinstance(e, CrashRoundCrashed) for e in w.db.state.events)
    notices = list(w.db.state.notices.values())
    assert [(n.player_id, n.state) for n in notices] == [
        (won, NoticeState.WAITING),
        (lost, NoticeState.WAITING),
    ]
    events = FakeEventSource(_crashed(round_id), _crashed(round_id))  # at least once
    listener = CrashResultListener(events, ReadyCrashResults(w.db))
    assert await listener.step() == 2  # the second delivery finds nothing waiting
    assert events.pending == {}
    assert len(events.acked) == 2
    by_player = {n.player_id: n for n in w.db.state.notices.values()}
    assert by_player[won].state is NoticeState.DUE
    assert dict(by_player[won].data) == {
        "bet_id": by_player[won].data["bet_id"],
        "round": 1,
        "crash_point": w.point,
        "round_hash": by_player[won].data["round_hash"],
        "salt": "fake-salt",
        "chain_end": w.db.state.crash_chains[1].end_hash,
        "state": "won",
        "currency": "XTR",
        "stake": 100,
        "payout": 150,
        "cashed_out": 150,
    }
    assert by_player[lost].data["state"] == "lost"
    assert by_player[lost].data["cashed_out"] is None
    assert other not in by_player
    sent = FakeMessenger()
    assert await SendNotices(w.db, w.clock, sent, _pace(Ticks()))() == 2
    assert await SendNotices(w.db, w.clock, sent, _pace(Ticks()))() == 0
    assert [d.notice.player_id for d in sent.sent] == [won, lost]
    assert {n.state for n in w.db.state.notices.values()} == {NoticeState.SENT}


async def test_no_event_no_result_and_other_events_are_acknowledged() -> None:
    w = World()
    round_id, *_ = await _played(w)
    events = FakeEventSource(replace(_crashed(round_id), type="bet.settled"))
    assert await CrashResultListener(events, ReadyCrashResults(w.db)).step() == 0
    assert events.pending == {}
    assert {n.state for n in w.db.state.notices.values()} == {NoticeState.WAITING}


async def test_a_429_holds_every_send_for_its_retry_after() -> None:
    w = World()
    round_id, won, lost, _ = await _played(w)
    await ReadyCrashResults(w.db)(round_id)
    ticks = Ticks(w.clock)
    telegram = FakeMessenger(Delivery(DeliveryKind.RETRY_AFTER, retry_after=3))
    send = SendNotices(w.db, w.clock, telegram, _pace(ticks))
    assert await send() == 1  # the first: 429; the second waits the 3 s, then goes
    assert ticks.slept == [3.0]
    assert [d.notice.player_id for d in telegram.sent] == [lost]
    assert await send() == 1  # the first again, once its retry_after is over
    assert [d.notice.player_id for d in telegram.sent] == [lost, won]
    assert [d.notice.player_id for d in telegram.tried] == [won, lost, won]


async def test_a_player_who_blocked_the_bot_is_marked_unreachable_not_retried() -> None:
    w = World()
    round_id, won, _, _ = await _played(w)
    await ReadyCrashResults(w.db)(round_id)
    blocked = Delivery(DeliveryKind.BLOCKED, reason="Forbidden: bot was blocked by the user")
    telegram = FakeMessenger(blocked)
    send = SendNotices(w.db, w.clock, telegram, _pace(Ticks()))
    await send()
    assert set(w.db.state.unreachable) == {won}
    states = {n.player_id: n.state for n in w.db.state.notices.values()}
    assert states[won] is NoticeState.UNREACHABLE
    # a later notice to them ends unreachable without a try
    async with w.db() as uow:
        await uow.notices.add(NewNotice("later", won, "test", "test", {}), due=True)
        await uow.commit()
    before = len(telegram.tried)
    assert await send() == 1
    assert len(telegram.tried) == before
    assert w.db.state.notices[max(w.db.state.notices)].state is NoticeState.UNREACHABLE
    assert await PlayerWroteAgain(w.db)(won)  # they restarted the bot
    assert w.db.state.unreachable == {}
    assert not await PlayerWroteAgain(w.db)(won)


async def test_other_failures_retry_later_then_fail() -> None:
    w = World()
    round_id, *_ = await _played(w)
    await ReadyCrashResults(w.db)(round_id)
    failing = [Delivery(DeliveryKind.FAILED, reason="Bad Gateway")] * (2 * MAX_ATTEMPTS)
    telegram = FakeMessenger(*failing)
    send = SendNotices(w.db, w.clock, telegram, _pace(Ticks(w.clock)))
    for attempt in range(MAX_ATTEMPTS):
        await send()
        w.clock.advance(seconds=2 ** (attempt + 1))
    assert {n.state for n in w.db.state.notices.values()} == {NoticeState.FAILED}
    assert len(telegram.tried) == 2 * MAX_ATTEMPTS


async def test_the_pace_is_one_message_a_second_a_chat_and_thirty_a_second() -> None:
    ticks = Ticks()
    pace = _pace(ticks)
    start = ticks.now
    for chat in range(60):
        await pace.wait(chat)
    assert ticks.now - start == pytest.approx(59 / 30, abs=1e-3)  # 30 a second overall
    assert pace.chat_wait(59) == pytest.approx(1.0, abs=1e-3)
    await pace.wait(59)
    assert ticks.now - start == pytest.approx(59 / 30 + 1, abs=1e-3)  # one a second in a chat
    pace.hold(5)
    await pace.wait(7)
    assert ticks.slept[-1] == pytest.approx(5.0)


async def test_one_sender_sends_while_another_waits() -> None:
    w = World()
    round_id, *_ = await _played(w)
    await ReadyCrashResults(w.db)(round_id)
    held: set[str] = set()
    first, second = FakeMessenger(), FakeMessenger()
    stop = asyncio.Event()
    senders = [
        NoticeSender(
            SendNotices(w.db, w.clock, m, _pace(Ticks())),
            FakeLeaderLock(held, n),
            poll=0.01,
            lock_poll=0.01,
        )
        for m, n in ((first, "a"), (second, "b"))
    ]
    tasks = [asyncio.create_task(s.run(stop)) for s in senders]
    for _ in range(100):
        if len(first.sent) + len(second.sent) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.gather(*tasks)
    assert sorted(len(m.sent) for m in (first, second)) == [0, 2]


class _QuietStream(FakeEventSource):
    """A stream that lost the round's event: every read waits and brings nothing."""

    async def read(self, count: int, block_ms: int):  # type: ignore[override]
        await asyncio.sleep(block_ms / 1000)
        return []


async def test_a_crashed_rounds_results_are_readied_when_the_stream_lost_its_event() -> None:
    w = World()
    round_id, won, lost, _ = await _played(w)
    # a waiting notice of a round that has not crashed (or does not exist) is left waiting
    async with w.db() as uow:
        await uow.notices.add(NewNotice("crash_result:x", won, "crash_result", "crash_round:999"))
        await uow.notices.add(NewNotice("other:1", won, "other", "something-else:1"))
        await uow.commit()
    ready = ReadyCrashResults(w.db)
    listener = CrashResultListener(_QuietStream(), ready, block_ms=10, sweep_every=3600)
    stop = asyncio.Event()
    running = asyncio.create_task(listener.run(stop))
    for _ in range(200):  # the sweep runs at the listener's start
        if sum(n.state is NoticeState.DUE for n in w.db.state.notices.values()) == 2:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await running
    states = {(n.player_id, n.subject): n.state for n in w.db.state.notices.values()}
    assert states == {
        (won, f"crash_round:{round_id}"): NoticeState.DUE,
        (lost, f"crash_round:{round_id}"): NoticeState.DUE,
        (won, "crash_round:999"): NoticeState.WAITING,
        (won, "something-else:1"): NoticeState.WAITING,
    }
    assert await ready.missed() == 0  # nothing readied twice
