"""Notices: messages the bot sends a player first (a crash round's result now; deposits,
withdrawals and reminders later, issue 23), and the pace Telegram allows them at.

A notice is named by its `dedup_key`: asked for twice (an event delivered again, two
instances), it is one notice and one message. It waits until what it tells is known, is then
due from `not_before`, and ends sent, unreachable (the player blocked the bot) or failed."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# A value a notice's message is filled in with (its `data`, stored as JSON).
NoticeValue = str | int | bool | None

CRASH_RESULT = "crash.result"


class NoticeState(enum.StrEnum):
    WAITING = "waiting"  # what it tells is not known yet
    DUE = "due"
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the player blocked the bot
    FAILED = "failed"  # given up after `MAX_ATTEMPTS`
    # not sent when due: the player turned its topic off, the standing refuses a promotional
    # one, or what it reminds of is over (domain.notifications, revision 0043)
    WITHHELD = "withheld"


# Tries of a notice that fails other than by a 429 (which only waits) or a block (which ends it).
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class NewNotice:
    dedup_key: str
    player_id: int
    kind: str
    subject: str  # what fills it in when known: "crash_round:42"
    data: Mapping[str, NoticeValue] = field(default_factory=dict)
    not_before: datetime | None = None  # due from then (None: from when it is kept)


@dataclass(frozen=True, slots=True)
class Notice:
    id: int
    dedup_key: str
    player_id: int
    kind: str
    subject: str
    data: Mapping[str, NoticeValue]
    state: NoticeState
    attempts: int
    not_before: datetime


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A notice to send now, with where and in which language."""

    notice: Notice
    # The player's Telegram user id (their private chat with the bot); for a post in the
    # big-wins channel, the channel's id or @name (`application.notices.big_wins`).
    chat_id: int | str
    language: str
    unreachable: bool = False  # the player blocked the bot: not sent


def crash_result_key(bet_id: object) -> str:
    return f"{CRASH_RESULT}:{bet_id}"


def crash_round_subject(round_id: int) -> str:
    return f"crash_round:{round_id}"


def crash_round_of(subject: str) -> int | None:
    """The round a `crash_round_subject` names; None for any other subject."""
    prefix, _, number = subject.partition(":")
    if prefix != "crash_round" or not number.isdigit():
        return None
    return int(number)
