"""Notices: messages the bot sends a player first, one use case a module:

- `crash_results`: `ReadyCrashResults` fills in a crash round's waiting results when the round
  crashed, and `CrashResultListener` calls it on each `crash.round_crashed` event;
- `send`: `SendNotices`, one pass over the due notices, and `NoticeSender`, the one instance
  that runs it; `pace`: `SendPace`, Telegram's limits;
- `reachable`: `PlayerWroteAgain`, a player who had blocked the bot is reachable again;
- `from_events`: `NotifyOfEvents`, the notifications of deposits, withdrawals and bonuses
  (issue 23); `gate`: whether a due notice may still go; `choices`: `GetNoticeChoices`,
  `ChooseNotices`, the topics a player turned off; `big_wins`: the public big-wins feed's
  posts, raised by `NotifyOfEvents` and sent to the operator's channel by `SendNotices`."""

from application.notices.choices import ChooseNotices, GetNoticeChoices
from application.notices.crash_results import CrashResultListener, ReadyCrashResults
from application.notices.from_events import NotifyOfEvents
from application.notices.pace import SendPace
from application.notices.reachable import PlayerWroteAgain
from application.notices.send import NoticeSender, SendNotices

__all__ = [
    "ChooseNotices",
    "CrashResultListener",
    "GetNoticeChoices",
    "NoticeSender",
    "NotifyOfEvents",
    "PlayerWroteAgain",
    "ReadyCrashResults",
    "SendNotices",
    "SendPace",
]
