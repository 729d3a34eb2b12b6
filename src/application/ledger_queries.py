"""Staff read the journal: transactions with filters and keyset pagination, one transaction
with its legs, and a CSV export that is itself audited.

Also the page cursors every admin listing shares: opaque base64 text holding a position in a
keyset order, so pages stay stable while rows are added and no page costs an OFFSET scan."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from application.ports import Clock, UnitOfWorkFactory

# Moved to application.ports (a port and its values); named here too, for the modules that
# still import them from here.
from application.ports import LedgerFilter as LedgerFilter
from application.ports import LedgerReadModel as LedgerReadModel
from application.ports import LegView as LegView
from application.ports import TransactionView as TransactionView
from application.staff import Actor
from domain.errors import InvalidField, NotFound, UnknownCurrency
from domain.ledger import TransactionKind
from domain.money import CurrencyRegistry
from domain.staff import AuditAction, AuditEntry

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_EXPORT_SIZE = 10_000  # transactions per exported file; the next file starts at its cursor
MAX_ID = 2**63 - 1  # ids are PostgreSQL bigints

_SEPARATOR = "|"


# -- page cursors --------------------------------------------------------------------------


def encode_cursor(kind: str, *parts: object) -> str:
    text = _SEPARATOR.join([kind, *(str(p) for p in parts)])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor_parts(cursor: str, kind: str, count: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError, binascii.Error):
        raise _bad_cursor() from None
    head, *parts = text.split(_SEPARATOR)
    if head != kind or len(parts) != count:
        raise _bad_cursor()
    return parts


def _bad_cursor() -> InvalidField:
    # Cursors are opaque to clients; a forged or truncated one is a client error, not a crash.
    return InvalidField("cursor", "the page cursor is not valid; start again without one")


def decode_id_cursor(cursor: str, kind: str) -> int:
    """The id a page of an id-ordered listing ended at."""
    (text,) = _cursor_parts(cursor, kind, 1)
    try:
        value = int(text)
    except ValueError:
        raise _bad_cursor() from None
    if not 0 < value <= MAX_ID:
        raise _bad_cursor()
    return value


def decode_time_cursor(cursor: str, kind: str) -> tuple[datetime, uuid.UUID]:
    """The (timestamp, id) a page of a time-ordered listing ended at."""
    at_text, id_text = _cursor_parts(cursor, kind, 2)
    try:
        at = datetime.fromisoformat(at_text)
        row_id = uuid.UUID(id_text)
    except ValueError:
        raise _bad_cursor() from None
    if at.tzinfo is None:
        raise _bad_cursor()
    try:
        return at.astimezone(UTC), row_id
    except OverflowError:
        raise _bad_cursor() from None


def check_page_size(limit: int, maximum: int = MAX_PAGE_SIZE) -> int:
    if isinstance(limit, bool) or not 1 <= limit <= maximum:
        raise InvalidField("limit", f"limit must be between 1 and {maximum}")
    return limit


def time_bound(field: str, moment: datetime | None) -> datetime | None:
    """A time filter in UTC; one without a zone is taken as UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidField(field, f"'{field}' is outside the supported range of times") from None


def check_time_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise InvalidField("to", "'to' must be later than 'from'")


def check_player_id(player_id: int | None) -> int | None:
    if player_id is not None and not 0 < player_id <= MAX_ID:
        raise InvalidField("player_id", "a player id is a positive 64-bit integer")
    return player_id


def is_storable_id(value: int) -> bool:
    """Whether `value` can be a row id at all; anything else names no row."""
    return 0 < value <= MAX_ID


def check_text(field: str, value: str) -> str:
    """Free text the database can store: no NUL character, valid Unicode."""
    if "\x00" in value:
        raise InvalidField(field, f"{field} must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidField(field, f"{field} is not valid Unicode text") from None
    return value


# -- use cases -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerQuery:
    """A listing request as it arrives: validated by the use case, field by field."""

    player_id: int | None = None
    kind: str | None = None
    currency: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class TransactionPage:
    transactions: tuple[TransactionView, ...]
    next_cursor: str | None


_CURSOR_KIND = "ltx"


class _Listing:
    def __init__(self, ledger: LedgerReadModel, currencies: CurrencyRegistry) -> None:
        self._ledger = ledger
        self._currencies = currencies

    def _filter(self, query: LedgerQuery) -> LedgerFilter:
        kind = None
        if query.kind:
            try:
                kind = TransactionKind(query.kind.strip().lower())
            except ValueError:
                kinds = ", ".join(k.value for k in TransactionKind)
                raise InvalidField("kind", f"kind is one of {kinds}") from None
        currency = None
        if query.currency:
            try:
                currency = self._currencies.get(query.currency.strip().upper()).code
            except UnknownCurrency as error:
                raise InvalidField("currency", error.message) from None
        since, until = time_bound("from", query.since), time_bound("to", query.until)
        check_time_range(since, until)
        return LedgerFilter(check_player_id(query.player_id), kind, currency, since, until)

    async def _page(self, query: LedgerQuery, default: int, maximum: int) -> TransactionPage:
        where = self._filter(query)
        limit = check_page_size(default if query.limit is None else query.limit, maximum)
        after = decode_time_cursor(query.cursor, _CURSOR_KIND) if query.cursor else None
        # One extra row tells whether another page exists without a COUNT.
        rows = await self._ledger.transactions(where, after=after, limit=limit + 1)
        page = tuple(rows[:limit])
        more = len(rows) > limit
        last = page[-1] if page else None
        cursor = (
            encode_cursor(_CURSOR_KIND, last.created_at.isoformat(), last.id)
            if more and last
            else None
        )
        return TransactionPage(page, cursor)


class SearchTransactions(_Listing):
    """Transactions matching the filters, newest first, a page at a time (1-100)."""

    async def __call__(self, query: LedgerQuery) -> TransactionPage:
        return await self._page(query, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


class ExportTransactions(_Listing):
    """The same listing in pages of up to 10,000 transactions, for a file. Every export is
    recorded in the audit log (who, when, from where, which filters, how many rows) before
    any of it is handed out; if the record cannot be written, nothing is exported."""

    def __init__(
        self,
        ledger: LedgerReadModel,
        currencies: CurrencyRegistry,
        uow: UnitOfWorkFactory,
        clock: Clock,
    ) -> None:
        super().__init__(ledger, currencies)
        self._uow = uow
        self._clock = clock

    async def __call__(self, query: LedgerQuery, actor: Actor, *, fmt: str) -> TransactionPage:
        page = await self._page(query, MAX_EXPORT_SIZE, MAX_EXPORT_SIZE)
        async with self._uow() as uow:
            await uow.audit.record(
                AuditEntry(
                    AuditAction.EXPORT,
                    self._clock.now(),
                    actor.label,
                    "ledger:transactions",
                    actor.source,
                    after={
                        "format": fmt,
                        "filters": self._filter(query).describe(),
                        "cursor": query.cursor,
                        "transactions": len(page.transactions),
                        "legs": sum(len(t.legs) for t in page.transactions),
                    },
                )
            )
            await uow.commit()
        return page


class GetTransaction:
    """One journal entry with every leg, the accounts they moved and the balances after."""

    def __init__(self, ledger: LedgerReadModel) -> None:
        self._ledger = ledger

    async def __call__(self, transaction_id: uuid.UUID) -> TransactionView:
        found = await self._ledger.transaction(transaction_id)
        if found is None:
            raise NotFound(f"no transaction with id {transaction_id}")
        return found
