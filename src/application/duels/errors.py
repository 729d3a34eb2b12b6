"""The refusals a duel's use cases add to the domain's (docs/duels.md)."""

from __future__ import annotations

from domain.errors import Forbidden, NotFound


class DuelistUnknown(NotFound):
    """A player named in a duel has not started the bot in private (no account yet): they
    are sent there before they can duel. `telegram_user_id` is None when only a username was
    given."""

    code = "duelist_unknown"

    def __init__(self, message: str, *, telegram_user_id: int | None, username: str | None):
        super().__init__(message)
        self.telegram_user_id = telegram_user_id
        self.username = username


class OpponentUnavailable(Forbidden):
    """The other player may not duel now. Why (a block, a break they chose, a limit) is
    theirs alone: in a group chat nobody else learns it."""

    code = "opponent_unavailable"
