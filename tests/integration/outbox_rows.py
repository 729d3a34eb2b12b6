"""Reading the outbox in tests, shared by test_outbox.py (what is written) and
test_outbox_relay.py (what is published): its events one per row (the `outbox_events` view),
and the dice bet both place to make some."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from application.betting import PlaceBetCommand
from domain.money import XTR, Money


def dice_bet(player_id: int, stake: int = 100, bet: str = "even") -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "tg_dice", Money(stake, XTR), {"bet": bet})


async def outbox_rows(engine, where: str, **params) -> list:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT position AS id, event_id, type, version, aggregate_type, aggregate_id,"
                " sequence, player_ids, payload, occurred_at, published FROM outbox_events"
                f" WHERE {where} ORDER BY position, place"
            ),
            params,
        )
        return list(rows)


async def rows_of_aggregate(engine, kind: str, ident: object) -> list:
    return await outbox_rows(
        engine, "aggregate_type = :t AND aggregate_id = :i", t=kind, i=str(ident)
    )
