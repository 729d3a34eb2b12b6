"""Notifications (issue 23) on fakes: the events the use cases raise (a deposit credited, a
withdrawal approved, paid, rejected or failed, a bonus granted), encoded as the relay publishes
them, become one notice each in the player's language; the player's choices keep a topic off
(withdrawals cannot be turned off); a bonus's reminder waits until 24 hours before its end,
and is withheld when sent to a player the standing refuses promotions by then, or once the
bonus ended; a limit's raise is reminded of when its cooling-off is over, unless dropped since
or the player paused. The Bot API's 429 and 403: tests/entrypoints/test_bot_notifications.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import msgspec
import pytest

from adapters.event_wire.rows import outbox_rows
from application.bonuses import ForfeitBonus
from application.notices import ChooseNotices, GetNoticeChoices, NotifyOfEvents, SendNotices
from application.notices.pace import SendPace
from application.ports import EventEnvelope
from application.responsible.exclusion import StartTimeout
from application.responsible.limits import SetLimit
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    NoWithdrawalHolds,
    RejectWithdrawal,
    RequestWithdrawal,
)
from domain.errors import InvalidRequest
from domain.events import DomainEvent
from domain.money import XTR, Money
from domain.notices import Notice, NoticeState
from domain.notifications import Topic
from domain.responsible import LimitKind, LimitPeriod, TimeoutPeriod
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import PayoutDeclined, PayoutSent
from entrypoints.bot.i18n import Translator
from entrypoints.bot.notices import notice_text
from tests.casino_on_fakes import Casino
from tests.fake_money import FakePayoutGateway
from tests.fake_notices import FakeMessenger
from tests.unit.test_bonuses_on_fakes import grant, open_budget, welcome

STAFF = Actor("staff:finance")
POLICY = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
)


def published(events: Sequence[DomainEvent]) -> list[EventEnvelope]:
    """The events as the relay publishes them (the wire's JSON shapes: strings for times)."""
    return [
        EventEnvelope(
            event_id=row.event_id,
            type=row.type,
            version=row.version,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            sequence=row.sequence or 1,
            occurred_at=row.occurred_at,
            player_ids=list(row.player_ids),
            data=msgspec.to_builtins(row.data),
        )
        for event in events
        for row in outbox_rows(event)
    ]


async def notify_all(casino: Casino) -> int:
    """Every event raised since the last call, delivered twice (at least once): how many
    notices were kept."""
    notify = NotifyOfEvents(casino.db, casino.clock)
    envelopes = published(casino.db.state.events)
    casino.db.state.events.clear()  # consumed
    return sum([await notify(e) for e in envelopes + envelopes])


def notices(casino: Casino) -> list[Notice]:
    return sorted(casino.db.state.notices.values(), key=lambda n: n.id)


def sender(casino: Casino, messenger: FakeMessenger) -> SendNotices:
    async def no_wait(seconds: float) -> None:
        casino.clock.advance(seconds=seconds)

    pace = SendPace(now=lambda: casino.clock.now().timestamp(), sleep=no_wait)
    return SendNotices(casino.db, casino.clock, messenger, pace)


async def send_all(casino: Casino, messenger: FakeMessenger) -> int:
    """Passes of the sender until nothing is due: one message a second a chat, so a pass a
    (fake) second."""
    send, handled = sender(casino, messenger), 0
    while any(n.state is NoticeState.DUE and n.not_before <= casino.clock.now()
              for n in casino.db.state.notices.values()):  # fmt: skip
        handled += await send()
        casino.clock.advance(seconds=1)
    return handled


def texts(notice: Notice) -> tuple[str, str]:
    return tuple(notice_text(notice.kind, notice.data, Translator(lang)) for lang in ("en", "ru"))  # type: ignore[return-value]


async def test_a_deposit_and_each_withdrawal_outcome_is_one_notice_in_the_players_language():
    casino = Casino()
    player = await casino.player(7, deposit=1000)
    ids, clock, house, db = casino.ids, casino.clock, casino.house, casino.db
    request = RequestWithdrawal(db, clock, ids, house, POLICY, NoWithdrawalHolds())
    first = await request(player, Money(300, XTR), "dest-1", uuid.uuid4())
    paid = FakePayoutGateway(PayoutSent("ref-1", completed=True))
    await ApproveWithdrawal(db, clock, ids, house, paid)(first.id, STAFF)
    second = await request(player, Money(200, XTR), "dest-1", uuid.uuid4())
    await RejectWithdrawal(db, clock, ids, house)(second.id, "internal note", STAFF)
    third = await request(player, Money(100, XTR), "dest-1", uuid.uuid4())
    declined = FakePayoutGateway(PayoutDeclined("no"))
    await ApproveWithdrawal(db, clock, ids, house, declined)(third.id, STAFF)

    assert await notify_all(casino) == 6  # delivered twice, kept once each
    kept = notices(casino)
    assert [n.kind for n in kept] == [
        "deposit.credited",
        "withdrawal.approved",
        "withdrawal.paid",
        "withdrawal.rejected",
        "withdrawal.approved",
        "withdrawal.failed",
    ]
    assert {n.state for n in kept} == {NoticeState.DUE}
    assert texts(kept[0]) == (
        "💰 Your deposit of 1000 ⭐ is credited. Balance: 1000 ⭐.",
        "💰 Пополнение на 1000 ⭐ зачислено. Баланс: 1000 ⭐.",
    )
    assert texts(kept[2])[0] == "🏧 Your withdrawal of 300 ⭐ is paid."
    rejected_en, rejected_ru = texts(kept[3])
    assert "200 ⭐" in rejected_en
    assert "internal note" not in rejected_en  # the staff's words stay with staff
    assert rejected_ru.startswith("❌ Вывод 200 ⭐ отклонён")

    messenger = FakeMessenger()
    assert await send_all(casino, messenger) == 6
    assert len(messenger.sent) == 6
    assert {n.state for n in notices(casino)} == {NoticeState.SENT}


async def test_a_topic_turned_off_is_not_kept_and_one_kept_before_is_withheld():
    casino = Casino()
    player = await casino.player(7, deposit=100)
    choose = ChooseNotices(casino.db, casino.clock)
    assert await notify_all(casino) == 1  # kept while deposits were on
    await choose(player, Topic.DEPOSITS, on=False)
    await casino.deposit(player, 50)
    assert await notify_all(casino) == 0  # the second deposit's is not kept at all
    assert len(notices(casino)) == 1

    messenger = FakeMessenger()
    await send_all(casino, messenger)
    assert messenger.tried == []
    assert [n.state for n in notices(casino)] == [NoticeState.WITHHELD]
    assert (await GetNoticeChoices(casino.db)(player)).off == {Topic.DEPOSITS}
    # On again: the next deposit's notice is kept and sent.
    await choose(player, Topic.DEPOSITS, on=True)
    await casino.deposit(player, 25)
    await notify_all(casino)
    await send_all(casino, messenger)
    assert [n.data["amount"] for n in (d.notice for d in messenger.sent)] == [25]


async def test_withdrawal_results_cannot_be_turned_off():
    casino = Casino()
    player = await casino.player(7)
    with pytest.raises(InvalidRequest):
        await ChooseNotices(casino.db, casino.clock)(player, Topic.WITHDRAWALS, on=False)
    assert (await GetNoticeChoices(casino.db)(player)).is_on(Topic.WITHDRAWALS)


async def _bonus(casino: Casino) -> tuple[int, uuid.UUID]:
    player = await casino.player(7, deposit=30)
    await open_budget(casino)
    bonus = await grant(casino, player, welcome(), "promo:welcome:7")
    await notify_all(casino)
    return player, bonus.id


async def test_a_bonus_reminder_is_due_a_day_before_its_end_and_sent_then():
    casino = Casino()
    await _bonus(casino)
    reminder = next(n for n in notices(casino) if n.kind == "bonus.expiring")
    assert reminder.not_before == casino.clock.now() + timedelta(days=6)  # 7-day bonus
    messenger = FakeMessenger()
    await send_all(casino, messenger)
    assert [d.notice.kind for d in messenger.sent] == ["deposit.credited"]  # not yet
    casino.clock.advance(days=6)
    await send_all(casino, messenger)
    assert [d.notice.kind for d in messenger.sent][-1] == "bonus.expiring"
    assert texts(reminder)[0].startswith("⏳ Your bonus of 100 ⭐ ends on ")


async def test_a_bonus_reminder_never_reaches_a_player_on_a_break_taken_after_it_was_raised():
    casino = Casino()
    player, _ = await _bonus(casino)
    # The reminder was raised while the player could get promotions; a time-out came since.
    casino.clock.advance(days=5)
    await StartTimeout(casino.db, casino.clock)(player, TimeoutPeriod.WEEK)
    casino.clock.advance(days=1)
    messenger = FakeMessenger()
    await send_all(casino, messenger)
    assert "bonus.expiring" not in [d.notice.kind for d in messenger.tried]
    states = {n.kind: n.state for n in notices(casino)}
    assert states["bonus.expiring"] is NoticeState.WITHHELD


async def test_a_bonus_reminder_is_withheld_once_the_bonus_ended():
    casino = Casino()
    player, bonus = await _bonus(casino)
    await ForfeitBonus(casino.db, casino.clock, casino.ids, casino.house)(player, bonus)
    casino.clock.advance(days=6)
    messenger = FakeMessenger()
    await send_all(casino, messenger)
    assert "bonus.expiring" not in [d.notice.kind for d in messenger.tried]


async def test_a_limit_raise_is_reminded_of_once_its_cooling_off_is_over_and_only_then():
    casino = Casino()
    player = await casino.player(7)
    limit = SetLimit(casino.db, casino.clock)
    await limit(player, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(100, XTR))  # at once
    await limit(player, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(500, XTR))  # waits 24 h
    (reminder,) = notices(casino)
    assert reminder.not_before == casino.clock.now() + timedelta(hours=24)
    assert texts(reminder) == (
        "🛡 Your 24-hour wait is over. To raise your limit (Deposit, 24 hours) to 500 ⭐, "
        "confirm it in /limits; until then your current limit stays.",
        "🛡 24 часа ожидания прошли. Чтобы поднять лимит (депозиты, 24 часа) до 500 ⭐, "
        "подтвердите это в /limits; до тех пор действует прежний лимит.",
    )
    messenger = FakeMessenger()
    await send_all(casino, messenger)
    assert messenger.tried == []  # not before its time
    casino.clock.advance(hours=24)
    await send_all(casino, messenger)
    assert [d.notice.kind for d in messenger.sent] == ["limit.confirmable"]


async def test_a_limit_reminder_is_withheld_when_the_raise_was_dropped_or_the_player_paused():
    casino = Casino()
    dropped, paused = await casino.player(7), await casino.player(8)
    limit = SetLimit(casino.db, casino.clock)
    for player in (dropped, paused):
        await limit(player, LimitKind.LOSS, LimitPeriod.WEEK, Money(100, XTR))
        await limit(player, LimitKind.LOSS, LimitPeriod.WEEK, Money(900, XTR))
    casino.clock.advance(hours=1)
    await limit(dropped, LimitKind.LOSS, LimitPeriod.WEEK, Money(50, XTR))  # lower: no raise
    await StartTimeout(casino.db, casino.clock)(paused, TimeoutPeriod.WEEK)
    casino.clock.advance(hours=24)
    messenger = FakeMessenger()
    await send_all(casino, messenger)
    assert messenger.tried == []
    assert {n.state for n in notices(casino)} == {NoticeState.WITHHELD}
