"""The big-wins feed (issue 23) on fakes: a limbo bet that wins 10x 100 ⭐, encoded as the relay
publishes its `bet.settled`, becomes one post (delivered twice, kept once) to the channel in
the channel's language, naming no one, only for a player who opted in (off by default); the
thresholds, Stars only; a post withheld when the player withdrew consent, took a time-out or
self-excluded since; the per-player cooldown; no channel, no feed; the channel's 429 waits,
its 403 and 400 end the post at once (never the player's reachability); 20 a minute to a
channel. Through the real bot and the mocked Bot API: tests/entrypoints/test_bot_big_wins.py."""

from __future__ import annotations

import logging
import math
import uuid
from datetime import timedelta
from typing import Any

import pytest

from application.betting import PlaceBetCommand
from application.notices import ChooseNotices, GetNoticeChoices, NotifyOfEvents, SendNotices
from application.notices.big_wins import BigWinFeed
from application.notices.pace import SendPace
from application.ports import Delivery, DeliveryKind, EventEnvelope
from application.responsible.exclusion import SelfExclude, StartTimeout
from domain.big_wins import BIG_WIN, BigWinRules
from domain.errors import InvalidRequest
from domain.money import XTR, Money
from domain.notices import Notice, NoticeState
from domain.notifications import NoticeChoices, Topic
from domain.responsible import SelfExclusionPeriod, TimeoutPeriod
from entrypoints.bot.i18n import Translator
from entrypoints.bot.notices import notice_text
from tests.casino_on_fakes import Casino
from tests.fake_notices import FakeMessenger
from tests.unit.test_notifications_on_fakes import published

CHANNEL = "@croupier_wins"
FEED = BigWinFeed(CHANNEL, "en", BigWinRules(min_win=1000, min_multiplier=10))


def settled(player: int, **changes: Any) -> EventEnvelope:
    """A `bet.settled` as docs/events.md has it: a 10x win of 1000 ⭐ at limbo, or `changes`."""
    bet = uuid.uuid4()
    return EventEnvelope(
        event_id=uuid.uuid4(),
        type="bet.settled",
        version=1,
        aggregate_type="bet",
        aggregate_id=str(bet),
        sequence=2,
        occurred_at=Casino().clock.now(),
        player_ids=[player],
        data={
            "version": 1,
            "bet_id": str(bet),
            "player_id": player,
            "game": "limbo",
            "params": {"target": "10"},
            "currency": "XTR",
            "stake": 100,
            "state": "won",
            "outcome": 1000,
            "multiplier": "10",
            "payout": 1000,
            "settled_at": "2026-12-03T12:00:00+00:00",
            "transaction_id": str(uuid.uuid4()),
            **changes,
        },
    )


def posts(casino: Casino) -> list[Notice]:
    found = [n for n in casino.db.state.notices.values() if n.kind == BIG_WIN]
    return sorted(found, key=lambda n: n.id)


async def opted_in(casino: Casino, deposit: int = 0, feed: BigWinFeed = FEED) -> int:
    player = await casino.player(7, deposit=deposit)
    chosen = await ChooseNotices(casino.db, casino.clock, feed)(player, Topic.BIG_WINS, on=True)
    assert chosen.is_on(Topic.BIG_WINS)
    return player


def sender(casino: Casino, messenger: FakeMessenger, feed: BigWinFeed = FEED) -> SendNotices:
    async def no_wait(seconds: float) -> None:
        # whole microseconds, up: the clock's grain, or a short sleep would not move it
        casino.clock.advance(microseconds=math.ceil(seconds * 1_000_000))

    pace = SendPace(now=lambda: casino.clock.now().timestamp(), sleep=no_wait)
    return SendNotices(casino.db, casino.clock, messenger, pace, feed=feed)


async def notify(casino: Casino, *envelopes: EventEnvelope, feed: BigWinFeed = FEED) -> int:
    """Each event delivered twice (the stream is at least once): how many were kept."""
    notify = NotifyOfEvents(casino.db, casino.clock, feed)
    return sum([await notify(e) for e in envelopes + envelopes])


async def test_a_big_win_of_a_player_who_opted_in_is_one_post_in_the_channel_naming_no_one():
    casino = Casino()
    await casino.bankroll()
    player = await opted_in(casino, deposit=10_000)
    place = casino.place_bet()
    for _ in range(60):  # limbo at 10x: a win comes within a few dozen (fixed seeds)
        bet = PlaceBetCommand(player, uuid.uuid4(), "limbo", Money(100, XTR), {"target": "10"})
        receipt = await place(bet)
        if receipt.bet.payout:
            break
    else:
        raise AssertionError("no limbo win at 10x in 60 bets")
    envelopes = published(casino.db.state.events)
    # Played at once: its settlement is its one `bet.played`, which the feed reads.
    assert [e.type for e in envelopes if e.data.get("bet_id") == str(receipt.bet.id)] == [
        "bet.played"
    ]
    await notify(casino, *envelopes)  # the deposit's notice, and ...
    (post,) = posts(casino)  # ... one post: the win's, once; none for the losses
    assert post.dedup_key == f"big_win.post:{receipt.bet.id}"
    assert post.state is NoticeState.DUE
    assert post.data == {
        "bet_id": str(receipt.bet.id),
        "game": "limbo",
        "currency": "XTR",
        "stake": 100,
        "payout": 1000,
        "multiplier": "10",
    }
    text = notice_text(BIG_WIN, post.data, Translator("en"))
    assert text == (
        "🏆 Big win! A player won 1000 ⭐ on Limbo 🔐 with a stake of 100 ⭐: 10×.\n"
        f"🧾 Bet {receipt.bet.id}"
    )
    messenger = FakeMessenger()
    assert await sender(casino, messenger)() >= 1
    sent = [d for d in messenger.sent if d.notice.kind == BIG_WIN]
    assert [(d.chat_id, d.language) for d in sent] == [(CHANNEL, "en")]
    assert posts(casino)[0].state is NoticeState.SENT


@pytest.mark.parametrize(
    ("what", "event", "posted"),
    [
        ("at both thresholds", {"stake": 100, "payout": 1000, "multiplier": "10"}, True),
        ("a win under the amount", {"stake": 99, "payout": 999, "multiplier": "10.09"}, False),
        ("a large stake doubled", {"stake": 5000, "payout": 9900, "multiplier": "1.98"}, False),
        ("just under the multiplier", {"stake": 110, "payout": 1098, "multiplier": "9.99"}, False),
        ("another currency", {"currency": "TON", "payout": 10**9, "multiplier": "50"}, False),
        ("a loss", {"state": "lost", "payout": 0, "multiplier": "50"}, False),
    ],
)
async def test_a_post_needs_both_thresholds_in_stars(what: str, event: Any, posted: bool):
    casino = Casino()
    player = await opted_in(casino)
    assert await notify(casino, settled(player, **event)) == int(posted), what


async def test_consent_is_off_by_default_and_withdrawing_it_withholds_a_kept_post():
    casino = Casino()
    player = await casino.player(7)
    choices = await GetNoticeChoices(casino.db)(player)
    assert not choices.is_on(Topic.BIG_WINS)  # off until the player turns it on
    assert choices.is_on(Topic.DEPOSITS)  # the others stay on by default
    assert await notify(casino, settled(player)) == 0
    assert posts(casino) == []

    choose = ChooseNotices(casino.db, casino.clock, FEED)
    await choose(player, Topic.BIG_WINS, on=True)
    assert await notify(casino, settled(player)) == 1
    await choose(player, Topic.BIG_WINS, on=False)  # changed their mind before it went
    messenger = FakeMessenger()
    await sender(casino, messenger)()
    assert messenger.tried == []
    assert [p.state for p in posts(casino)] == [NoticeState.WITHHELD]


@pytest.mark.parametrize("pause", ["timeout", "self-exclusion"])
async def test_a_post_never_goes_out_for_a_player_on_a_break_taken_after_the_win(pause: str):
    casino = Casino()
    player = await opted_in(casino)
    assert await notify(casino, settled(player)) == 1
    if pause == "timeout":
        await StartTimeout(casino.db, casino.clock)(player, TimeoutPeriod.DAY)
    else:
        await SelfExclude(casino.db, casino.clock)(player, SelfExclusionPeriod.SIX_MONTHS)
    messenger = FakeMessenger()
    await sender(casino, messenger)()
    assert messenger.tried == []
    assert [p.state for p in posts(casino)] == [NoticeState.WITHHELD]


async def test_one_post_a_player_within_the_cooldown():
    casino = Casino()
    player = await opted_in(casino)
    first, second, third = settled(player), settled(player), settled(player)
    assert await notify(casino, first, second) == 2  # nothing sent yet: both kept ...
    messenger = FakeMessenger()
    await sender(casino, messenger)()
    casino.clock.advance(seconds=5)
    await sender(casino, messenger)()
    # ... the first went out, the second is withheld at send: the cooldown (1 h) has not passed
    assert [p.state for p in posts(casino)] == [NoticeState.SENT, NoticeState.WITHHELD]
    assert await notify(casino, third) == 0  # raised within the cooldown: not even kept
    casino.clock.advance(hours=1)
    assert await notify(casino, settled(player)) == 1
    await sender(casino, messenger)()
    assert [p.state for p in posts(casino)][-1] is NoticeState.SENT
    assert len([d for d in messenger.sent if d.notice.kind == BIG_WIN]) == 2


async def test_no_channel_no_feed():
    casino = Casino()
    off = BigWinFeed()
    player = await casino.player(7)
    with pytest.raises(InvalidRequest):  # nothing to consent to
        await ChooseNotices(casino.db, casino.clock, off)(player, Topic.BIG_WINS, on=True)
    await ChooseNotices(casino.db, casino.clock, FEED)(player, Topic.BIG_WINS, on=True)
    assert await notify(casino, settled(player), feed=off) == 0  # bet.settled is not even read
    # A post kept while there was a channel, sent after it was removed: withheld.
    assert await notify(casino, settled(player)) == 1
    messenger = FakeMessenger()
    await sender(casino, messenger, off)()
    assert messenger.tried == []
    assert [p.state for p in posts(casino)] == [NoticeState.WITHHELD]
    # Consent may still be withdrawn without a channel.
    chosen = await ChooseNotices(casino.db, casino.clock, off)(player, Topic.BIG_WINS, on=False)
    assert chosen == NoticeChoices(player)


async def test_the_channels_429_waits_and_its_403_or_400_ends_the_post_at_once(caplog):
    casino = Casino()
    player = await opted_in(casino)
    rules = BigWinRules(min_win=1000, min_multiplier=10, cooldown=timedelta(0))
    feed = BigWinFeed(CHANNEL, "ru", rules)
    assert await notify(casino, settled(player), settled(player), feed=feed) == 2
    forbidden = Delivery(DeliveryKind.BLOCKED, reason="Forbidden: bot is not a member")
    rejected = Delivery(DeliveryKind.REJECTED, reason="Bad Request: need administrator rights")
    messenger = FakeMessenger(
        Delivery(DeliveryKind.RETRY_AFTER, retry_after=3), forbidden, rejected
    )
    send = sender(casino, messenger, feed)
    with caplog.at_level(logging.WARNING, logger="application.notices.send"):
        await send()  # the first: 429; the second waits for the channel's 3 s
        assert [p.state for p in posts(casino)] == [NoticeState.DUE, NoticeState.DUE]
        casino.clock.advance(seconds=3)
        await send()  # the first again: 403, and it ends
        assert [p.state for p in posts(casino)] == [NoticeState.FAILED, NoticeState.DUE]
        casino.clock.advance(seconds=3)
        await send()  # the second: 400, and it ends
        casino.clock.advance(minutes=1)
        await send()
    assert [p.state for p in posts(casino)] == [NoticeState.FAILED, NoticeState.FAILED]
    assert len(messenger.tried) == 3  # never tried again
    assert casino.db.state.unreachable == {}  # the channel refused, not the player
    assert {d.chat_id for d in messenger.tried} == {CHANNEL}
    assert {d.language for d in messenger.tried} == {"ru"}
    warnings = [r.getMessage() for r in caplog.records if "big-wins feed" in r.getMessage()]
    assert len(warnings) == 2
    assert "channel @croupier_wins refused" in warnings[0]
    assert "administrator" in warnings[0]


async def test_a_post_goes_to_the_channel_though_the_player_blocked_the_bot():
    casino = Casino()
    player = await opted_in(casino)
    casino.db.state.unreachable[player] = (casino.clock.now(), "blocked")
    assert await notify(casino, settled(player)) == 1
    messenger = FakeMessenger()
    await sender(casino, messenger)()
    assert [p.state for p in posts(casino)] == [NoticeState.SENT]


async def test_a_channel_gets_twenty_messages_a_minute_a_player_one_a_second():
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    pace = SendPace(now=lambda: now[0], sleep=sleep)
    for _ in range(21):
        await pace.wait(CHANNEL)
    assert now[0] == pytest.approx(60.0)  # the 21st a minute after the first
    await pace.wait(-1001234567890)  # a channel by its id: its own 3 s, none waited yet
    assert pace.chat_wait(-1001234567890) == pytest.approx(3.0)
    await pace.wait(42)
    assert pace.chat_wait(42) == pytest.approx(1.0)
