"""Support staff search players (by Telegram id, username, status), page by page."""

from __future__ import annotations

from dataclasses import dataclass

from application.ledger_queries import (
    DEFAULT_PAGE_SIZE,
    check_page_size,
    check_text,
    decode_id_cursor,
    encode_cursor,
)
from application.ports import (
    PlayerDirectory,
    PlayerFilter,
    PlayerSummary,
)
from domain.errors import InvalidField, InvalidRequest
from domain.players import PlayerStatus, validate_telegram_user_id

MAX_USERNAME_QUERY_LENGTH = 64


@dataclass(frozen=True, slots=True)
class PlayerQuery:
    """A search as it arrives; the use case validates it field by field."""

    telegram_id: int | None = None
    username: str | None = None
    status: str | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class PlayerPage:
    players: tuple[PlayerSummary, ...]
    next_cursor: str | None


def parse_status(text: str) -> PlayerStatus:
    try:
        return PlayerStatus(text.strip().lower())
    except ValueError:
        statuses = ", ".join(s.value for s in PlayerStatus)
        raise InvalidField("status", f"status is one of {statuses}") from None


class SearchPlayers:
    """Players by Telegram id (exact), username (exact, any case) and status, newest first."""

    def __init__(self, directory: PlayerDirectory) -> None:
        self._directory = directory

    async def __call__(self, query: PlayerQuery) -> PlayerPage:
        telegram_id = None
        if query.telegram_id is not None:
            try:
                telegram_id = validate_telegram_user_id(query.telegram_id)
            except InvalidRequest as error:
                raise InvalidField("telegram_id", error.message) from None
        username = None
        if query.username is not None:
            username = check_text("username", query.username).strip().removeprefix("@")
            if not 1 <= len(username) <= MAX_USERNAME_QUERY_LENGTH:
                raise InvalidField(
                    "username", f"a username is 1-{MAX_USERNAME_QUERY_LENGTH} characters"
                )
        status = parse_status(query.status) if query.status else None
        limit = check_page_size(query.limit)
        before = decode_id_cursor(query.cursor, "pl") if query.cursor else None
        rows = await self._directory.search(
            PlayerFilter(telegram_id, username, status), before_id=before, limit=limit + 1
        )
        page = tuple(rows[:limit])
        more = len(rows) > limit
        return PlayerPage(page, encode_cursor("pl", page[-1].id) if more and page else None)
