"""A player's movements, newest first, with cursor pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from application.ports import HistoryEntry, UnitOfWorkFactory
from domain.bets import Bet
from domain.errors import InvalidRequest
from domain.money import Currency

MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "leg:"


@dataclass(frozen=True, slots=True)
class HistoryPage:
    entries: tuple[HistoryEntry, ...]
    next_cursor: str | None


def encode_cursor(leg_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{leg_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    # Cursors are opaque to clients; a forged or truncated one is a client error, not a crash.
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(text)
        value = int(text.removeprefix(_CURSOR_PREFIX))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidRequest("the page cursor is not valid") from None
    if value <= 0:
        raise InvalidRequest("the page cursor is not valid")
    return value


class ListHistory:
    """A player's wallet movements (all currencies, or one), newest first."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        player_id: int,
        *,
        currency: Currency | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> HistoryPage:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        before = decode_cursor(cursor) if cursor else None
        async with self._uow() as uow:
            await uow.players.get(player_id)
            wallets = await uow.accounts.wallets(player_id)
            ids = [w.id for w in wallets if currency is None or w.currency == currency]
            # One extra row tells whether another page exists without a COUNT.
            rows = (
                await uow.ledger.history(ids, before_leg_id=before, limit=limit + 1) if ids else []
            )
        entries = tuple(rows[:limit])
        more = len(rows) > limit
        return HistoryPage(entries, encode_cursor(entries[-1].leg_id) if more else None)


MAX_RECENT_BETS = 100


@dataclass(frozen=True, slots=True)
class BetsPage:
    bets: tuple[Bet, ...]
    has_more: bool


class BeyondRecentBets(InvalidRequest):
    """A page past the latest `shown` bets: older ones are not reachable page by page."""

    def __init__(self, shown: int) -> None:
        super().__init__(f"only the latest {shown} bets are shown here")
        self.shown = shown


class RecentBets:
    """A player's own bets, newest first, a page at a time: game recall for the player (the
    last game and the nine before it on the first page). Pages are numbered rather than
    keyed because a chat button carries at most 64 bytes; the most recent 100 bets are
    reachable this way, the rest through support and the admin API."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int, *, page: int = 1, size: int = 10) -> BetsPage:
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"page size must be between 1 and {MAX_PAGE_SIZE}")
        if page < 1 or page * size > MAX_RECENT_BETS:
            raise BeyondRecentBets(MAX_RECENT_BETS)
        async with self._uow() as uow:
            await uow.players.get(player_id)
            rows = await uow.bets.recent(player_id, limit=page * size + 1)
        start = (page - 1) * size
        shown = tuple(rows[start : start + size])
        return BetsPage(shown, len(rows) > page * size and (page + 1) * size <= MAX_RECENT_BETS)
