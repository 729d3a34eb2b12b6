"""Notifications (issue 23): the notices the bot sends on its own about a player's money and
bonuses, grouped in topics the player turns on or off, and the rules on which they may not.

- deposits (a deposit credited) and crash results: the player may turn them off;
- withdrawals (approved, payout delayed, paid, rejected, failed): required. A withdrawal's
  outcome moves the player's money out of the casino, or back: the player must learn it
  without asking (fair, open terms on the player's own money), so it cannot be turned off;
- bonuses (a bonus about to expire): promotional, off for anyone the standing refuses
  `Operation.PROMOTION`, whatever they chose, and checked again when it is sent;
- limits (a raise or removal asked for may be confirmed, its 24-hour cooling-off over): the
  player may turn it off; it invites more play, so it is withheld like a promotion;
- big wins (`domain.big_wins`): not a message to the player but a post in the operator's
  public channel about their win. It needs the player's consent, so it is the one topic that
  is OFF until they turn it on (`OPT_IN_TOPICS`); it advertises play, so it is promotional.

Every notice of a topic the player turned off is withheld when it is due: a choice made after
a notice was raised still counts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from domain.big_wins import BIG_WIN
from domain.errors import InvalidRequest
from domain.notices import CRASH_RESULT

DEPOSIT_CREDITED = "deposit.credited"
WITHDRAWAL_APPROVED = "withdrawal.approved"
WITHDRAWAL_PAID = "withdrawal.paid"
WITHDRAWAL_REJECTED = "withdrawal.rejected"
WITHDRAWAL_FAILED = "withdrawal.failed"  # the payout failed: the money is back
# Approved, but its provider could not pay it yet (nothing sent): told once a withdrawal.
WITHDRAWAL_PAYOUT_DELAYED = "withdrawal.payout_delayed"
BONUS_EXPIRING = "bonus.expiring"
# A limit's raise or removal may be confirmed: its cooling-off has passed.
LIMIT_CONFIRMABLE = "limit.confirmable"

# How long before its end a bonus's reminder is sent.
BONUS_REMINDER_BEFORE = timedelta(hours=24)


class Topic(enum.StrEnum):
    DEPOSITS = "deposits"
    WITHDRAWALS = "withdrawals"
    BONUSES = "bonuses"
    CRASH_RESULTS = "crash_results"
    LIMITS = "limits"
    BIG_WINS = "big_wins"


TOPIC_OF_KIND: dict[str, Topic] = {
    DEPOSIT_CREDITED: Topic.DEPOSITS,
    WITHDRAWAL_APPROVED: Topic.WITHDRAWALS,
    WITHDRAWAL_PAID: Topic.WITHDRAWALS,
    WITHDRAWAL_REJECTED: Topic.WITHDRAWALS,
    WITHDRAWAL_FAILED: Topic.WITHDRAWALS,
    WITHDRAWAL_PAYOUT_DELAYED: Topic.WITHDRAWALS,
    BONUS_EXPIRING: Topic.BONUSES,
    CRASH_RESULT: Topic.CRASH_RESULTS,
    LIMIT_CONFIRMABLE: Topic.LIMITS,
    BIG_WIN: Topic.BIG_WINS,
}
# Topics the regulations require the player to get (see the module's docstring).
REQUIRED_TOPICS: frozenset[Topic] = frozenset({Topic.WITHDRAWALS})
# Topics off until the player turns them on: consent, not a default (see the docstring).
OPT_IN_TOPICS: frozenset[Topic] = frozenset({Topic.BIG_WINS})
# Kinds that offer or remind of a promotion: never to a player refused `Operation.PROMOTION`.
PROMOTIONAL_KINDS: frozenset[str] = frozenset({BONUS_EXPIRING, BIG_WIN})
# Kinds that invite more play (a bonus to wager, a higher limit to confirm): withheld, like a
# promotion, from a player on a break (timed out, self-excluded), blocked or unconfirmed.
INVITING_KINDS: frozenset[str] = PROMOTIONAL_KINDS | {LIMIT_CONFIRMABLE}


def is_promotional(kind: str) -> bool:
    return kind in PROMOTIONAL_KINDS


def invites_play(kind: str) -> bool:
    return kind in INVITING_KINDS


def parse_topic(value: object) -> Topic:
    try:
        return Topic(str(value))
    except ValueError:
        known = ", ".join(t.value for t in Topic)
        raise InvalidRequest(f"no such notification topic; the topics are {known}") from None


@dataclass(frozen=True, slots=True)
class NoticeChoices:
    """What a player turned off, and which opt-in topics they turned on; everything else is
    as a new player has it (on, but an opt-in topic off)."""

    player_id: int
    off: frozenset[Topic] = field(default_factory=frozenset)
    opted_in: frozenset[Topic] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.off & REQUIRED_TOPICS:
            raise InvalidRequest("withdrawal notifications cannot be turned off")
        if self.opted_in - OPT_IN_TOPICS:
            raise InvalidRequest("only an opt-in topic is turned on by choice")

    def is_on(self, topic: Topic) -> bool:
        if topic in OPT_IN_TOPICS:
            return topic in self.opted_in
        return topic not in self.off

    def allows(self, kind: str) -> bool:
        """Whether a notice of `kind` may be sent (a kind of no topic always may)."""
        topic = TOPIC_OF_KIND.get(kind)
        return topic is None or self.is_on(topic)

    def choose(self, topic: Topic, on: bool) -> NoticeChoices:
        if topic in REQUIRED_TOPICS and not on:
            raise InvalidRequest(
                f"{topic.value} notifications are required and cannot be turned off"
            )
        if topic in OPT_IN_TOPICS:
            opted_in = self.opted_in | {topic} if on else self.opted_in - {topic}
            return NoticeChoices(self.player_id, self.off, frozenset(opted_in))
        off = self.off - {topic} if on else self.off | {topic}
        return NoticeChoices(self.player_id, frozenset(off), self.opted_in)
