"""A bonus's events in the outbox: granted is step 1 of the bonus aggregate, its one end step
2, and the JSON says what docs/events.md says."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from adapters.event_wire.payloads import PAYLOADS, BonusEventV1, encode_payload
from adapters.event_wire.rows import outbox_rows
from domain.bonuses import Bonus, BonusOffer, ForfeitReason
from domain.events import BONUS_EVENTS, BonusExpired, BonusGranted
from domain.money import XTR, Money

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
BONUS = Bonus.granted(
    uuid.UUID(int=1),
    player_id=7,
    key="promo:welcome:7",
    offer=BonusOffer(
        amount=Money(100, XTR),
        wagering_multiple=5,
        wagering_base=Money(100, XTR),
        expires_after=timedelta(days=7),
        max_stake=None,
        campaign="welcome",
        budget="welcome",
    ),
    now=NOW,
    transaction_id=uuid.UUID(int=2),
)


def test_a_grant_is_the_bonus_aggregates_first_event_in_the_documented_json() -> None:
    [row] = outbox_rows(BonusGranted(BONUS))
    assert (row.type, row.aggregate_type, row.aggregate_id, row.sequence, row.player_ids) == (
        "bonus.granted",
        "bonus",
        str(BONUS.id),
        1,
        (7,),
    )
    assert json.loads(encode_payload(row.payload)) == {
        "version": 1,
        "bonus_id": str(BONUS.id),
        "player_id": 7,
        "currency": "XTR",
        "amount": 100,
        "wagering_required": 500,
        "max_stake": None,
        "campaign": "welcome",
        "budget": "welcome",
        "state": "active",
        "granted_at": "2026-12-03T12:00:00Z",
        "expires_at": "2026-12-10T12:00:00Z",
        "at": "2026-12-03T12:00:00Z",
        "transaction_id": str(uuid.UUID(int=2)),
        "reason": None,
    }


def test_an_end_is_step_two_with_its_own_transaction_and_reason() -> None:
    expired = BONUS.expire(NOW + timedelta(days=8), uuid.UUID(int=3))
    [row] = outbox_rows(BonusExpired(expired))
    assert (row.type, row.sequence) == ("bonus.expired", 2)
    assert isinstance(row.payload, BonusEventV1)
    assert (row.payload.transaction_id, row.payload.reason, row.payload.at) == (
        uuid.UUID(int=3),
        ForfeitReason.EXPIRED.value,
        NOW + timedelta(days=8),
    )
    assert {(event.name, 1) for event in BONUS_EVENTS.values()} <= set(PAYLOADS)
