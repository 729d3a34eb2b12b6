"""Admin API, ledger: transactions with filters and keyset pagination (JSON, or CSV with
`format=csv`), and one transaction with its legs. Any staff role may read; every export is
audited."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, QueryParameter

from application.ledger_queries import (
    ExportTransactions,
    GetTransaction,
    LedgerQuery,
    LegView,
    SearchTransactions,
    TransactionPage,
    TransactionView,
)
from application.staff import Actor
from domain.errors import InvalidField
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor

NEXT_CURSOR_HEADER = "X-Next-Cursor"


class LegWire(msgspec.Struct):
    id: int
    account_id: int
    account_kind: str
    player_id: int | None
    amount: int  # signed minor units
    currency: str
    balance_after: int


class TransactionWire(msgspec.Struct):
    id: uuid.UUID
    kind: str
    created_at: datetime
    idempotency_key: str
    reference: str
    metadata: dict[str, str | int | bool | None]
    legs: list[LegWire]


class TransactionPageWire(msgspec.Struct):
    transactions: list[TransactionWire]
    next_cursor: str | None


def leg_wire(leg: LegView) -> LegWire:
    return LegWire(
        leg.leg_id,
        leg.account_id,
        leg.account_kind.value,
        leg.player_id,
        leg.amount,
        leg.currency,
        leg.balance_after,
    )


def transaction_wire(transaction: TransactionView) -> TransactionWire:
    return TransactionWire(
        transaction.id,
        transaction.kind.value,
        transaction.created_at,
        transaction.idempotency_key,
        transaction.reference,
        dict(transaction.metadata),
        [leg_wire(leg) for leg in transaction.legs],
    )


CSV_COLUMNS = (
    "transaction_id",
    "created_at",
    "kind",
    "reference",
    "idempotency_key",
    "leg_id",
    "account_id",
    "account_kind",
    "player_id",
    "currency",
    "amount",
    "balance_after",
    "metadata",
)


def _cell(value: str) -> str:
    # A spreadsheet runs a cell that starts like a formula; free text never does here.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(page: TransactionPage) -> str:
    """One row per leg, under a header row; amounts in minor units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for t in page.transactions:
        metadata = json.dumps(dict(t.metadata), sort_keys=True, separators=(",", ":"))
        for leg in t.legs:
            writer.writerow(
                (
                    t.id,
                    t.created_at.isoformat(),
                    t.kind.value,
                    _cell(t.reference),
                    _cell(t.idempotency_key),
                    leg.leg_id,
                    leg.account_id,
                    leg.account_kind.value,
                    "" if leg.player_id is None else leg.player_id,
                    leg.currency,
                    leg.amount,
                    leg.balance_after,
                    _cell(metadata),
                )
            )
    return out.getvalue()


class LedgerController(Controller):
    path = "/api/v1/ledger/transactions"
    tags = ["ledger"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @get(
        "/",
        summary="Transactions by player, kind, currency and time, newest first",
        description=(
            "Keyset pages: pass `next_cursor` back as `cursor`. `format=csv` answers text/csv, "
            "one row per leg under a header row, pages of up to 10,000 transactions "
            f"(`limit`, default 10,000), the next page's cursor in `{NEXT_CURSOR_HEADER}`; "
            "every export is audited."
        ),
        responses={
            200: ResponseSpec(
                data_container=TransactionPageWire,
                description="A page of transactions (JSON), or CSV with format=csv",
            )
        },
    )
    @inject
    async def search(
        self,
        actor: NamedDependency[Actor],
        search: FromDishka[SearchTransactions],
        export: FromDishka[ExportTransactions],
        player_id: FromQuery[int | None] = None,
        kind: FromQuery[str | None] = None,
        currency: FromQuery[str | None] = None,
        since: Annotated[
            datetime | None, QueryParameter(name="from", description="at or after (ISO 8601)")
        ] = None,
        until: Annotated[
            datetime | None, QueryParameter(name="to", description="strictly before (ISO 8601)")
        ] = None,
        cursor: FromQuery[str | None] = None,
        limit: FromQuery[int | None] = None,
        fmt: Annotated[
            str | None, QueryParameter(name="format", description="json (default) or csv")
        ] = None,
    ) -> Response[Any]:
        query = LedgerQuery(player_id, kind, currency, since, until, cursor, limit)
        wanted = (fmt or "json").strip().lower()
        if wanted == "json":
            page = await search(query)
            wire = TransactionPageWire(
                [transaction_wire(t) for t in page.transactions], page.next_cursor
            )
            return Response(wire)
        if wanted != "csv":
            raise InvalidField("format", "format is json or csv")
        page = await export(query, actor, fmt="csv")
        headers = {"Content-Disposition": 'attachment; filename="ledger-transactions.csv"'}
        if page.next_cursor:
            headers[NEXT_CURSOR_HEADER] = page.next_cursor
        return Response(to_csv(page), media_type="text/csv", headers=headers)

    @get("/{transaction_id:uuid}", summary="One transaction with its legs")
    @inject
    async def one(
        self, transaction_id: FromPath[uuid.UUID], load: FromDishka[GetTransaction]
    ) -> TransactionWire:
        return transaction_wire(await load(transaction_id))
