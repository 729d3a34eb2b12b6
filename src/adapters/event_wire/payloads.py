"""The payload of each event type and version: the `data` of its envelope.

Each payload repeats its `version`. A new field with a default is a compatible change within
a version; anything else is a new version of the type, and both are documented in the event
tables of docs/events.md."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

import msgspec

from application.ports.outbox import EventEnvelope
from domain.events import (
    BetPlaced,
    BetPlayed,
    BetSettled,
    BetVoided,
    BonusConverted,
    BonusExpired,
    BonusForfeited,
    BonusGranted,
    CrashCashedOut,
    CrashRoundCrashed,
    CrashRoundOpened,
    CrashRoundStarted,
    PlayerBlocked,
    PlayerUnblocked,
    RiskFlagRaised,
    TransactionPosted,
    WithdrawalApproved,
    WithdrawalCancelled,
    WithdrawalFailed,
    WithdrawalPaid,
    WithdrawalPayoutDelayed,
    WithdrawalRejected,
    WithdrawalRequested,
)
from domain.ledger import MetadataValue


class BalanceChange(msgspec.Struct, frozen=True, kw_only=True):
    """One leg of a transaction on an account of the event's aggregate: `amount` is the signed
    movement and `balance` the account's balance after it, in minor units of `currency`."""

    account_id: int
    account_kind: str
    currency: str
    amount: int
    balance: int


class LedgerTransactionPostedV1(msgspec.Struct, frozen=True, kw_only=True):
    """A journal entry as it touched one player (`player_id`), with that player's new balances.
    A transaction touching several players is one event per player; one touching none (house
    accounts only) is one event with `player_id` None and every leg."""

    version: int = 1
    transaction_id: uuid.UUID
    kind: str
    reference: str
    metadata: dict[str, MetadataValue]
    created_at: datetime
    player_id: int | None
    balances: list[BalanceChange]


class _BetPayload(msgspec.Struct, frozen=True, kw_only=True):
    """What every bet event says of its bet, first in each payload."""

    version: int = 1
    bet_id: uuid.UUID
    player_id: int
    game: str
    params: dict[str, str]
    currency: str
    stake: int


class BetPlacedV1(_BetPayload, frozen=True, kw_only=True):
    max_payout: int
    state: str
    placed_at: datetime
    transaction_id: uuid.UUID
    server_seed_hash: str | None = None
    client_seed: str | None = None
    nonce: int | None = None


class BetSettledV1(_BetPayload, frozen=True, kw_only=True):
    """A bet won or lost: `payout` is what the player got back (0 when lost), `multiplier` an
    exact decimal string."""

    state: str
    outcome: int
    multiplier: str
    payout: int
    settled_at: datetime
    transaction_id: uuid.UUID


class BetPlayedV1(_BetPayload, frozen=True, kw_only=True):
    """A bet placed and settled at once in one ledger transaction: what `bet.placed`,
    `bet.settled` and that transaction's `ledger.transaction_posted` would have said, as one
    event of the player's (docs/events.md). `balances`: the player's wallet after the bet;
    `transaction_id`: the one transaction, of `kind` "win" or "loss"."""

    max_payout: int
    state: str
    outcome: int
    multiplier: str
    payout: int
    placed_at: datetime
    settled_at: datetime
    server_seed_hash: str | None = None
    client_seed: str | None = None
    nonce: int | None = None
    transaction_id: uuid.UUID
    kind: str
    balances: list[BalanceChange]


class BetVoidedV1(_BetPayload, frozen=True, kw_only=True):
    """A bet called off: the stake went back to the player (`payout` equals `stake`)."""

    state: str
    payout: int
    reason: str
    voided_at: datetime
    transaction_id: uuid.UUID


class WithdrawalEventV1(msgspec.Struct, frozen=True, kw_only=True):
    """Every withdrawal event shares this payload: the request's amount and its new `state`,
    when and by whom (`by`: a staff label, or "system") it moved, the ledger transaction that
    moved the money, and `reason` (rejected, failed), `payout_reference` (paid) or `holds`
    (requested: open risk holds to review). The destination is personal data and stays out."""

    version: int = 1
    withdrawal_id: uuid.UUID
    player_id: int
    currency: str
    amount: int
    state: str
    at: datetime
    by: str | None
    transaction_id: uuid.UUID
    holds: list[str]
    reason: str | None
    payout_reference: str | None


class WithdrawalPayoutDelayedV1(msgspec.Struct, frozen=True, kw_only=True):
    """An approved withdrawal its payout gateway could not pay yet (once a withdrawal): its
    amount and when. Not the gateway's note: it is written for staff (it names the
    provider's balance) and stays out, as the destination does."""

    version: int = 1
    withdrawal_id: uuid.UUID
    player_id: int
    currency: str
    amount: int
    at: datetime


class RiskFlagRaisedV1(msgspec.Struct, frozen=True, kw_only=True):
    """A risk rule fired (one open flag per player and kind); `kind` "large_win" is the staff
    feed's large win, with the bet in `evidence`."""

    version: int = 1
    flag_id: int
    player_id: int
    kind: str
    evidence: dict[str, Any]
    raised_at: datetime


class PlayerStatusChangedV1(msgspec.Struct, frozen=True, kw_only=True):
    """Staff blocked a player (`player.blocked`) or lifted the block (`player.unblocked`).
    On the player's live channel a block ends their open sockets (`application.live`). The
    staff's reason stays out: the player's own channel carries this event."""

    version: int = 1
    player_id: int
    status: str
    changed_at: datetime


class CrashRoundV1(msgspec.Struct, frozen=True, kw_only=True):
    """A crash round as the step left it (`crash.round_opened`, `.round_started`,
    `.round_crashed`): the crash point (exact decimal, "2.41") and the hash only once crashed;
    `interrupted` when it was settled by the recovery rule."""

    version: int = 1
    round_id: int
    chain_id: int
    number: int
    phase: str
    betting_ends_at: datetime
    started_at: datetime | None
    crashed_at: datetime | None
    crash_point: str | None
    round_hash: str | None
    interrupted: bool


class CrashCashedOutV1(msgspec.Struct, frozen=True, kw_only=True):
    """A bet left its round at `multiplier` (exact decimal), `ms` after the round started."""

    version: int = 1
    round_id: int
    bet_id: uuid.UUID
    player_id: int
    currency: str
    multiplier: str
    ms: int


class BonusEventV1(msgspec.Struct, frozen=True, kw_only=True):
    """Every bonus event shares this payload: the bonus's terms, its new `state`, when it moved
    (`at`: the grant, or its end), the journal entry that moved its money, and `reason` for a
    forfeited or expired one ("given_up", "withdrawal", "expired")."""

    version: int = 1
    bonus_id: uuid.UUID
    player_id: int
    currency: str
    amount: int
    wagering_required: int
    max_stake: int | None
    campaign: str
    budget: str
    state: str
    granted_at: datetime
    expires_at: datetime
    at: datetime
    transaction_id: uuid.UUID
    reason: str | None


EventPayload = (
    LedgerTransactionPostedV1
    | BetPlacedV1
    | BetSettledV1
    | BetPlayedV1
    | BetVoidedV1
    | WithdrawalEventV1
    | WithdrawalPayoutDelayedV1
    | RiskFlagRaisedV1
    | PlayerStatusChangedV1
    | CrashRoundV1
    | CrashCashedOutV1
    | BonusEventV1
)

# (type, version) -> the payload struct, for consumers decoding `data`.
PAYLOADS: Final[dict[tuple[str, int], type[Any]]] = {
    (TransactionPosted.name, 1): LedgerTransactionPostedV1,
    (BetPlaced.name, 1): BetPlacedV1,
    (BetSettled.name, 1): BetSettledV1,
    (BetPlayed.name, 1): BetPlayedV1,
    (BetVoided.name, 1): BetVoidedV1,
    (WithdrawalRequested.name, 1): WithdrawalEventV1,
    (WithdrawalApproved.name, 1): WithdrawalEventV1,
    (WithdrawalRejected.name, 1): WithdrawalEventV1,
    (WithdrawalPaid.name, 1): WithdrawalEventV1,
    (WithdrawalFailed.name, 1): WithdrawalEventV1,
    (WithdrawalCancelled.name, 1): WithdrawalEventV1,
    (WithdrawalPayoutDelayed.name, 1): WithdrawalPayoutDelayedV1,
    (RiskFlagRaised.name, 1): RiskFlagRaisedV1,
    (PlayerBlocked.name, 1): PlayerStatusChangedV1,
    (PlayerUnblocked.name, 1): PlayerStatusChangedV1,
    (CrashRoundOpened.name, 1): CrashRoundV1,
    (CrashRoundStarted.name, 1): CrashRoundV1,
    (CrashRoundCrashed.name, 1): CrashRoundV1,
    (CrashCashedOut.name, 1): CrashCashedOutV1,
    (BonusGranted.name, 1): BonusEventV1,
    (BonusConverted.name, 1): BonusEventV1,
    (BonusForfeited.name, 1): BonusEventV1,
    (BonusExpired.name, 1): BonusEventV1,
}

_encoder = msgspec.json.Encoder()


def encode_payload(payload: EventPayload) -> bytes:
    return _encoder.encode(payload)


def decode_payload(envelope: EventEnvelope) -> EventPayload:
    """The typed payload of an envelope; `msgspec.ValidationError` on an unknown type or
    version, or data that does not fit it."""
    kind = PAYLOADS.get((envelope.type, envelope.version))
    if kind is None:
        raise msgspec.ValidationError(f"unknown event {envelope.type} v{envelope.version}")
    payload: EventPayload = msgspec.convert(envelope.data, kind)
    return payload
