"""`outbox_append_envelopes` (revision 0060), the outbox append of `place_bets`: it numbers a
unit of work's events as `outbox_append` does, writing each number into the envelope's text,
and refuses envelopes it cannot number. The bets' own rows through it: test_outbox.py,
test_bet_on_snapshot.py."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.event_wire.rows import appended_envelopes, appended_events
from domain.accounts import AccountKind
from domain.events import TransactionPosted
from domain.ledger import PostedLeg, PostedTransaction, TransactionKind
from domain.money import XTR, Money

pytestmark = pytest.mark.integration

_OLD = text("SELECT outbox_append(CAST(:events AS jsonb))")
_NEW = text(
    "SELECT outbox_append_envelopes(CAST(:texts AS text[]), CAST(:types AS text[]),"
    " CAST(:ids AS text[]))"
)
_ROW = text("SELECT events FROM outbox WHERE id = :id")


def _posted(players: list[int], at) -> TransactionPosted:
    """A transaction of these players' wallets against one house account: one envelope per
    player, each numbered by the outbox on ("player", id)."""
    legs = [
        PostedLeg(i + 1, Money(5, XTR), 5, AccountKind.PLAYER_WALLET, p)
        for i, p in enumerate(players)
    ]
    legs.append(PostedLeg(999, Money(-5 * len(players), XTR), 0, AccountKind.HOUSE_BANKROLL, None))
    return TransactionPosted(
        PostedTransaction(
            id=uuid.uuid4(),
            kind=TransactionKind.ADJUSTMENT,
            idempotency_key=f"k-{uuid.uuid4()}",
            reference="",
            metadata={"sequence": None},  # a payload may hold the same text: left alone
            legs=tuple(legs),
            created_at=at,
        )
    )


def _stable(events: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k != "event_id"} for e in events]


async def test_the_envelopes_are_numbered_as_outbox_append_numbers_them(engine):
    at = datetime(2026, 12, 3, tzinfo=UTC)
    a, b = 10**12 + uuid.uuid4().int % 10**9, 2 * 10**12 + uuid.uuid4().int % 10**9
    # Two units of work each way on the same aggregates (a counter that exists and one that
    # does not yet), several events of one aggregate in a row, and a pre-numbered one mixed in.
    units = [
        [_posted([a], at), _posted([a, b], at), _posted([b], at)],
        [_posted([b], at), _posted([a], at)],
    ]
    old_rows, new_rows = [], []
    async with engine.connect() as conn, conn.begin() as transaction:
        for events in units:
            old_id = await conn.execute(_OLD, {"events": appended_events(events).decode()})
            old_rows.append((await conn.execute(_ROW, {"id": old_id.scalar_one()})).scalar_one())
        # The same events again on fresh aggregates for the new function: rename the players.
        await conn.execute(
            text(
                "DELETE FROM outbox_sequences WHERE aggregate_type = 'player'"
                " AND aggregate_id IN (:a, :b)"
            ),
            {"a": str(a), "b": str(b)},
        )
        for events in units:
            envelopes = appended_envelopes(events)
            assert envelopes.aggregate_types.count("player") == len(envelopes.texts)
            new_id = await conn.execute(
                _NEW,
                {
                    "texts": envelopes.texts,
                    "types": envelopes.aggregate_types,
                    "ids": envelopes.aggregate_ids,
                },
            )
            new_rows.append((await conn.execute(_ROW, {"id": new_id.scalar_one()})).scalar_one())
        await transaction.rollback()
    old = [_stable(r if isinstance(r, list) else json.loads(r)) for r in old_rows]
    new = [_stable(r if isinstance(r, list) else json.loads(r)) for r in new_rows]
    # Not the same events (fresh ids), the same numbers and content.
    assert [[e["sequence"] for e in row] for row in new] == [[1, 2, 1, 2], [3, 3]]
    assert [[e["sequence"] for e in row] for row in old] == [[1, 2, 1, 2], [3, 3]]
    for old_row, new_row in zip(old, new, strict=True):
        for o, n in zip(old_row, new_row, strict=True):
            assert o["data"]["metadata"] == {"sequence": None} == n["data"]["metadata"]
            o["data"].pop("transaction_id"), n["data"].pop("transaction_id")
            assert o == n


async def test_an_envelope_it_cannot_number_is_refused(engine):
    envelope = json.dumps({"type": "x", "sequence": 1})
    async with engine.connect() as conn:
        for texts, types, ids in (
            ([envelope], ["player"], ["1"]),  # numbered by the outbox, but no "sequence":null
            ([envelope], [None], ["1"]),  # an id without a type
            ([envelope, envelope], [None], [None]),  # fewer types than envelopes
        ):
            with pytest.raises(DBAPIError, match="one type and id per envelope"):
                await conn.execute(_NEW, {"texts": texts, "types": types, "ids": ids})
            await conn.rollback()
        # No events: no row.
        empty = await conn.execute(_NEW, {"texts": [], "types": [], "ids": []})
        assert empty.scalar_one() is None
        await conn.rollback()
