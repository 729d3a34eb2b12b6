"""In-memory notices (the adapter's rules: one notice a dedup key, waiting -> due -> an end),
a scripted Telegram for them, and a consumer group's events."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from application.ports import Delivery, DeliveryKind, EventEnvelope, ReceivedEvent
from domain.notices import DueNotice, NewNotice, Notice, NoticeState, NoticeValue
from domain.notifications import NoticeChoices, Topic

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeNoticeStore:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, notice: NewNotice, *, due: bool = False) -> bool:
        if any(n.dedup_key == notice.dedup_key for n in self.s.notices.values()):
            return False
        kept = Notice(
            id=self.s.take_id(),
            dedup_key=notice.dedup_key,
            player_id=notice.player_id,
            kind=notice.kind,
            subject=notice.subject,
            data=dict(notice.data),
            state=NoticeState.DUE if due else NoticeState.WAITING,
            attempts=0,
            not_before=notice.not_before or datetime.min.replace(tzinfo=UTC),
        )
        self.s.notices[kept.id] = kept
        return True

    async def waiting(self, subject: str) -> Sequence[Notice]:
        found = self.s.notices.values()
        return [n for n in found if n.subject == subject and n.state is NoticeState.WAITING]

    async def waiting_subjects(self, limit: int) -> Sequence[str]:
        subjects: dict[str, None] = {}  # in the order of their oldest notice
        for n in sorted(self.s.notices.values(), key=lambda n: n.id):
            if n.state is NoticeState.WAITING:
                subjects.setdefault(n.subject)
        return list(subjects)[:limit]

    async def make_due(self, notice_id: int, data: Mapping[str, NoticeValue]) -> None:
        notice = self.s.notices[notice_id]
        if notice.state is NoticeState.WAITING:
            self.s.notices[notice_id] = replace(notice, state=NoticeState.DUE, data=dict(data))

    async def due(self, now: datetime, limit: int) -> Sequence[DueNotice]:
        ready = [
            n for n in self.s.notices.values() if n.state is NoticeState.DUE and n.not_before <= now
        ]
        ready.sort(key=lambda n: n.id)
        out = []
        for n in ready[:limit]:
            preferences = self.s.preferences.get(n.player_id)
            language = preferences.language if preferences else "en"
            chat = self.s.players[n.player_id].telegram_user_id
            out.append(DueNotice(n, chat, language, n.player_id in self.s.unreachable))
        return out

    async def end(self, notice_id: int, state: NoticeState, at: datetime) -> None:
        self.s.notices[notice_id] = replace(self.s.notices[notice_id], state=state)
        if state is NoticeState.SENT:
            self.s.notices_sent_at[notice_id] = at

    async def postpone(self, notice_id: int, until: datetime, *, attempts: int) -> None:
        notice = self.s.notices[notice_id]
        self.s.notices[notice_id] = replace(notice, not_before=until, attempts=attempts)

    async def mark_unreachable(self, player_id: int, at: datetime, reason: str) -> None:
        self.s.unreachable[player_id] = (at, reason)

    async def reachable_again(self, player_id: int) -> bool:
        return self.s.unreachable.pop(player_id, None) is not None

    async def last_sent(self, player_id: int, kind: str) -> datetime | None:
        sent = [
            at
            for n in self.s.notices.values()
            if n.player_id == player_id and n.kind == kind
            and (at := self.s.notices_sent_at.get(n.id)) is not None
        ]  # fmt: skip
        return max(sent, default=None)


class FakeNoticeChoiceStore:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def of(self, player_id: int) -> NoticeChoices:
        off = self.s.notices_off.get(player_id, frozenset())
        return NoticeChoices(player_id, off, self.s.notices_on.get(player_id, frozenset()))

    async def choose(self, player_id: int, topic: Topic, on: bool, at: datetime) -> None:
        chosen = (await self.of(player_id)).choose(topic, on)  # the table's CHECK, as here
        self.s.notices_off[player_id] = chosen.off
        self.s.notices_on[player_id] = chosen.opted_in


class FakeMessenger:
    """Answers each send with the next scripted delivery (then: sent), recording them."""

    def __init__(self, *script: Delivery) -> None:
        self.script = deque(script)
        self.sent: list[DueNotice] = []
        self.tried: list[DueNotice] = []

    async def send(self, due: DueNotice) -> Delivery:
        self.tried.append(due)
        delivery = self.script.popleft() if self.script else Delivery(DeliveryKind.SENT)
        if delivery.kind is DeliveryKind.SENT:
            self.sent.append(due)
        return delivery


class FakeEventSource:
    """A consumer group of one: what is not acknowledged comes again."""

    def __init__(self, *envelopes: EventEnvelope) -> None:
        self.pending: dict[str, EventEnvelope] = {}
        self.acked: list[str] = []
        self._next = 0
        self.add(*envelopes)

    def add(self, *envelopes: EventEnvelope) -> None:
        for envelope in envelopes:
            self._next += 1
            self.pending[f"{self._next}-0"] = envelope

    async def read(self, count: int, block_ms: int) -> Sequence[ReceivedEvent]:
        return [ReceivedEvent(r, e) for r, e in list(self.pending.items())[:count]]

    async def ack(self, receipts: Sequence[str]) -> None:
        for receipt in receipts:
            if self.pending.pop(receipt, None) is not None:
                self.acked.append(receipt)
