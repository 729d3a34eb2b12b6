"""The public feed of big wins (issue 23, docs/notifications.md "The big-wins feed"): a
`bet.settled` or `bet.played` that won big (`BigWinRules`) is kept as one post
(`big_win.post:{bet id}`) in the notice queue, sent by the same sender at the same pace as
every notice, to the operator's channel instead of the player's chat.

Kept only with the player's consent (the opt-in topic `big_wins`) and when no post of theirs
went out within the cooldown; when due, checked again (`gate.may_send`): the consent still
given, the standing still allowing promotions, the cooldown still clear."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from application.ports import EventEnvelope
from application.ports.unit_of_work import UnitOfWork
from domain.big_wins import BIG_WIN, BigWinRules
from domain.events import BetPlayed, BetSettled
from domain.notices import NewNotice

# The events that carry a bet's settlement, with the same fields (docs/events.md): a bet
# settled, or one placed and settled at once in one transaction.
SETTLEMENTS = frozenset({BetSettled.name, BetPlayed.name})


@dataclass(frozen=True, slots=True)
class BigWinFeed:
    """The operator's feed: `channel` a chat id ("-1001234567890") or "@name"; empty, the
    default, turns the feed off. Posts are written in `language`, the channel's."""

    channel: str = ""
    language: str = "en"
    rules: BigWinRules = field(default_factory=BigWinRules)

    @property
    def on(self) -> bool:
        return bool(self.channel)

    @property
    def chat(self) -> int | str:
        """The channel as the Bot API takes it: a number, or the @name as written."""
        lstripped = self.channel.removeprefix("-")
        return int(self.channel) if lstripped.isdigit() else self.channel


def big_win_of(envelope: EventEnvelope, rules: BigWinRules) -> NewNotice | None:
    """The post a `bet.settled` (or `bet.played`) asks for, or None (not a big win;
    docs/events.md is the payloads' contract). Raises KeyError, TypeError or ValueError on a
    payload it cannot read."""
    data = envelope.data
    if envelope.type not in SETTLEMENTS or data.get("state") != "won":
        return None
    stake, payout = int(data["stake"]), int(data["payout"])
    currency, multiplier = str(data["currency"]), str(data["multiplier"])
    if not rules.is_big(currency, stake, payout, multiplier):
        return None
    player = data["player_id"]
    if not isinstance(player, int) or isinstance(player, bool):
        raise TypeError("player_id is not a number")
    bet = str(data["bet_id"])
    return NewNotice(
        f"{BIG_WIN}:{bet}",
        player,
        BIG_WIN,
        f"bet:{bet}",
        {
            "bet_id": bet,
            "game": str(data["game"]),
            "currency": currency,
            "stake": stake,
            "payout": payout,
            "multiplier": multiplier,
        },
    )


async def in_cooldown(uow: UnitOfWork, player_id: int, rules: BigWinRules, now: datetime) -> bool:
    """Whether a post of this player's wins went out less than the cooldown ago. Exact when
    sending: one sender sends (a leader lock), one post at a time."""
    last = await uow.notices.last_sent(player_id, BIG_WIN)
    return last is not None and now - last < rules.cooldown
