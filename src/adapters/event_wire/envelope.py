"""The envelope every event travels in, on the Redis stream and on the live pub/sub channels,
and the channels each goes to.

The envelope itself is `application.ports.outbox.EventEnvelope`; this module encodes it as
JSON and routes it. The relay moves the JSON as the outbox stored it (`StoredEvent`), without
looking inside. A consumer dedupes by `event_id` (delivery is at least once) and orders by
`sequence` within one aggregate (`aggregate_type`, `aggregate_id`)."""

from __future__ import annotations

from typing import Final

import msgspec

from application.ports.outbox import EventEnvelope, StoredEvent
from domain.events import (
    CrashRoundCrashed,
    CrashRoundOpened,
    CrashRoundStarted,
    RiskFlagRaised,
    WithdrawalRequested,
)

STREAM: Final = "croupier:events"
STAFF_CHANNEL: Final = "croupier:live:staff"
PLAYER_CHANNEL_PREFIX: Final = "croupier:live:player:"
# Crash rounds' steps (opened, started, crashed), which concern everyone watching the game.
CRASH_CHANNEL: Final = "croupier:live:crash"
CRASH_ROUND_EVENT_TYPES: Final = frozenset(
    {CrashRoundOpened.name, CrashRoundStarted.name, CrashRoundCrashed.name}
)

# What the staff feed (`croupier:live:staff`) carries besides each player's own channel.
STAFF_EVENT_TYPES: Final = frozenset({WithdrawalRequested.name, RiskFlagRaised.name})

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(EventEnvelope)


def player_channel(player_id: int) -> str:
    """The pub/sub channel of one player's live events."""
    return f"{PLAYER_CHANNEL_PREFIX}{player_id}"


def channels(envelope: EventEnvelope | StoredEvent) -> list[str]:
    """The live pub/sub channels an event goes to: each player's, and the staff feed."""
    names = [player_channel(p) for p in envelope.player_ids]
    if envelope.type in STAFF_EVENT_TYPES:
        names.append(STAFF_CHANNEL)
    if envelope.type in CRASH_ROUND_EVENT_TYPES:
        names.append(CRASH_CHANNEL)
    return names


def encode_envelope(envelope: EventEnvelope) -> bytes:
    return _encoder.encode(envelope)


def decode_envelope(raw: bytes | str) -> EventEnvelope:
    return _decoder.decode(raw)


def stored(envelope: EventEnvelope) -> StoredEvent:
    """The event as the relay gets it from the outbox: its routing fields and its JSON."""
    return StoredEvent(
        event_id=str(envelope.event_id),
        type=envelope.type,
        version=envelope.version,
        aggregate_type=envelope.aggregate_type,
        aggregate_id=envelope.aggregate_id,
        sequence=envelope.sequence,
        player_ids=envelope.player_ids,
        envelope=encode_envelope(envelope),
    )
