"""Domain events: what the outbox records in the same transaction as the change, and what the
relay publishes.

Every event travels in one JSON envelope, `EventEnvelope`, both on the Redis stream and on the
live pub/sub channels. Its `data` is one of the payload structs below, chosen by `type` and
`version` (see `PAYLOADS`); each payload repeats its `version`. A consumer dedupes by
`event_id` (delivery is at least once) and orders by `sequence` within one aggregate
(`aggregate_type`, `aggregate_id`).

A new field with a default is a compatible change within a version; anything else is a new
version of the type, and both are documented in the event tables of docs/events.md.

Longer than most modules, for now: the payload structs are this module's wire format and the
builders the adapters call sit beside them. Issue 17 (point 1) makes events plain values the
use cases raise, and moves the encoding to the edge that publishes; this module splits then."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, Final, TypedDict

import msgspec

from domain.bets import Bet, BetState
from domain.games.base import format_multiplier
from domain.ledger import MetadataValue, PostedTransaction
from domain.players import PlayerStatus
from domain.risk import RiskFlag
from domain.withdrawals import Withdrawal, WithdrawalState

# -- the envelope -----------------------------------------------------------------------------


class EventEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """One event as published: the Redis stream entry's `envelope` and the pub/sub message.

    `player_ids` are the players the event concerns (each gets it on
    `croupier:live:player:{id}`); `data` is the payload struct encoded as a JSON object."""

    event_id: uuid.UUID
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    sequence: int
    occurred_at: datetime
    player_ids: list[int]
    data: dict[str, Any]


STREAM: Final = "croupier:events"
STAFF_CHANNEL: Final = "croupier:live:staff"
PLAYER_CHANNEL_PREFIX: Final = "croupier:live:player:"


def player_channel(player_id: int) -> str:
    """The pub/sub channel of one player's live events."""
    return f"{PLAYER_CHANNEL_PREFIX}{player_id}"


# -- event types ------------------------------------------------------------------------------

LEDGER_TRANSACTION_POSTED: Final = "ledger.transaction_posted"
BET_PLACED: Final = "bet.placed"
BET_SETTLED: Final = "bet.settled"
BET_VOIDED: Final = "bet.voided"
WITHDRAWAL_REQUESTED: Final = "withdrawal.requested"
WITHDRAWAL_APPROVED: Final = "withdrawal.approved"
WITHDRAWAL_REJECTED: Final = "withdrawal.rejected"
WITHDRAWAL_PAID: Final = "withdrawal.paid"
WITHDRAWAL_FAILED: Final = "withdrawal.failed"
RISK_FLAG_RAISED: Final = "risk.flag_raised"
PLAYER_BLOCKED: Final = "player.blocked"
PLAYER_UNBLOCKED: Final = "player.unblocked"

# What the staff feed (`croupier:live:staff`) carries besides each player's own channel.
STAFF_EVENT_TYPES: Final = frozenset({WITHDRAWAL_REQUESTED, RISK_FLAG_RAISED})


# -- payloads ---------------------------------------------------------------------------------


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


EventPayload = (
    LedgerTransactionPostedV1
    | BetPlacedV1
    | BetSettledV1
    | BetVoidedV1
    | WithdrawalEventV1
    | RiskFlagRaisedV1
    | PlayerStatusChangedV1
)

# (type, version) -> the payload struct, for consumers decoding `data`.
PAYLOADS: Final[dict[tuple[str, int], type[Any]]] = {
    (LEDGER_TRANSACTION_POSTED, 1): LedgerTransactionPostedV1,
    (BET_PLACED, 1): BetPlacedV1,
    (BET_SETTLED, 1): BetSettledV1,
    (BET_VOIDED, 1): BetVoidedV1,
    (WITHDRAWAL_REQUESTED, 1): WithdrawalEventV1,
    (WITHDRAWAL_APPROVED, 1): WithdrawalEventV1,
    (WITHDRAWAL_REJECTED, 1): WithdrawalEventV1,
    (WITHDRAWAL_PAID, 1): WithdrawalEventV1,
    (WITHDRAWAL_FAILED, 1): WithdrawalEventV1,
    (RISK_FLAG_RAISED, 1): RiskFlagRaisedV1,
    (PLAYER_BLOCKED, 1): PlayerStatusChangedV1,
    (PLAYER_UNBLOCKED, 1): PlayerStatusChangedV1,
}


# -- what the outbox records ------------------------------------------------------------------


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event about to be written to the outbox. `sequence` None: the outbox numbers it
    (the next of its aggregate, under a lock on the aggregate's counter); a number: the
    aggregate's own row lock already orders it (a bet is placed once, settled once)."""

    event_id: uuid.UUID
    type: str
    aggregate_type: str
    aggregate_id: str
    sequence: int | None
    occurred_at: datetime
    player_ids: tuple[int, ...]
    payload: EventPayload

    @property
    def version(self) -> int:
        return self.payload.version


_encoder = msgspec.json.Encoder()
_envelope_decoder = msgspec.json.Decoder(EventEnvelope)


def encode_payload(payload: EventPayload) -> bytes:
    return _encoder.encode(payload)


def encode_envelope(envelope: EventEnvelope) -> bytes:
    return _encoder.encode(envelope)


def decode_envelope(raw: bytes | str) -> EventEnvelope:
    return _envelope_decoder.decode(raw)


def decode_payload(envelope: EventEnvelope) -> EventPayload:
    """The typed payload of an envelope; `msgspec.ValidationError` on an unknown type or
    version, or data that does not fit it."""
    kind = PAYLOADS.get((envelope.type, envelope.version))
    if kind is None:
        raise msgspec.ValidationError(f"unknown event {envelope.type} v{envelope.version}")
    payload: EventPayload = msgspec.convert(envelope.data, kind)
    return payload


def channels(envelope: EventEnvelope) -> list[str]:
    """The live pub/sub channels an event goes to: each player's, and the staff feed."""
    names = [player_channel(p) for p in envelope.player_ids]
    if envelope.type in STAFF_EVENT_TYPES:
        names.append(STAFF_CHANNEL)
    return names


# -- building events from what changed --------------------------------------------------------


def ledger_events(
    posted: PostedTransaction, accounts: Mapping[int, tuple[str, int | None]]
) -> list[NewEvent]:
    """The events of one posted transaction: one per player it moved money for (aggregate
    ("player", id), numbered by the outbox), or one for the house when it touched no player
    (aggregate ("ledger_transaction", id), sequence 1). `accounts` maps each leg's account id
    to its kind and owning player."""
    by_player: dict[int | None, list[BalanceChange]] = {}
    for leg in posted.legs:
        kind, player_id = accounts[leg.account_id]
        change = BalanceChange(
            account_id=leg.account_id,
            account_kind=kind,
            currency=leg.amount.currency.code,
            amount=leg.amount.amount,
            balance=leg.balance_after,
        )
        by_player.setdefault(player_id, []).append(change)
    players = sorted(p for p in by_player if p is not None)
    events = []
    for player_id in players:
        events.append(
            _ledger_event(posted, player_id, by_player[player_id], "player", str(player_id))
        )
    if not players:
        changes = by_player[None]
        events.append(_ledger_event(posted, None, changes, "ledger_transaction", str(posted.id)))
    return events


def _ledger_event(
    posted: PostedTransaction,
    player_id: int | None,
    changes: list[BalanceChange],
    aggregate_type: str,
    aggregate_id: str,
) -> NewEvent:
    return NewEvent(
        event_id=uuid.uuid4(),
        type=LEDGER_TRANSACTION_POSTED,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        sequence=None if player_id is not None else 1,
        occurred_at=posted.created_at,
        player_ids=() if player_id is None else (player_id,),
        payload=LedgerTransactionPostedV1(
            transaction_id=posted.id,
            kind=posted.kind.value,
            reference=posted.reference,
            metadata=dict(posted.metadata),
            created_at=posted.created_at,
            player_id=player_id,
            balances=changes,
        ),
    )


class _BetFields(TypedDict):
    """What every bet event says of its bet, whatever the step."""

    bet_id: uuid.UUID
    player_id: int
    game: str
    params: dict[str, str]
    currency: str
    stake: int


def _bet_fields(bet: Bet) -> _BetFields:
    return _BetFields(
        bet_id=bet.id,
        player_id=bet.player_id,
        game=bet.game,
        params=dict(bet.params),
        currency=bet.stake.currency.code,
        stake=bet.stake.amount,
    )


def bet_event(bet: Bet) -> NewEvent:
    """The event of a bet's latest step: placed (sequence 1), or settled or voided (2). The
    bet's row orders them: it is inserted once and leaves `placed` once."""
    payload: EventPayload
    if bet.state is BetState.PLACED:
        fairness = bet.fairness
        kind, sequence, at = BET_PLACED, 1, bet.placed_at
        payload = BetPlacedV1(
            **_bet_fields(bet),
            max_payout=bet.max_payout,
            state=bet.state.value,
            placed_at=bet.placed_at,
            transaction_id=bet.placed_transaction_id,
            server_seed_hash=fairness.server_seed_hash if fairness else None,
            client_seed=fairness.client_seed if fairness else None,
            nonce=fairness.nonce if fairness else None,
        )
    else:
        at = bet.settled_at or bet.placed_at
        transaction_id = bet.settlement_transaction_id
        assert transaction_id is not None, "a final bet has its settlement transaction"
        sequence = 2
        if bet.state is BetState.VOIDED:
            kind = BET_VOIDED
            payload = BetVoidedV1(
                **_bet_fields(bet),
                state=bet.state.value,
                payout=bet.stake.amount,
                reason=bet.void_reason or "",
                voided_at=at,
                transaction_id=transaction_id,
            )
        else:
            assert bet.outcome is not None
            assert bet.payout is not None
            assert bet.multiplier is not None
            kind = BET_SETTLED
            payload = BetSettledV1(
                **_bet_fields(bet),
                state=bet.state.value,
                outcome=bet.outcome,
                multiplier=format_multiplier(bet.multiplier),
                payout=bet.payout,
                settled_at=at,
                transaction_id=transaction_id,
            )
    return NewEvent(
        event_id=uuid.uuid4(),
        type=kind,
        aggregate_type="bet",
        aggregate_id=str(bet.id),
        sequence=sequence,
        occurred_at=at,
        player_ids=(bet.player_id,),
        payload=payload,
    )


def new_bet_events(bet: Bet) -> list[NewEvent]:
    """The events of a newly stored bet. A provably fair bet is stored already settled: it was
    placed and settled in one transaction, and says so with both events."""
    if bet.state is BetState.PLACED:
        return [bet_event(bet)]
    placed = replace(
        bet,
        state=BetState.PLACED,
        outcome=None,
        multiplier=None,
        payout=None,
        settled_at=None,
        settlement_transaction_id=None,
        void_reason=None,
    )
    return [bet_event(placed), bet_event(bet)]


# A withdrawal's state says which step it took, and how many steps came before.
_WITHDRAWAL_STEPS: Final = {
    WithdrawalState.REQUESTED: (WITHDRAWAL_REQUESTED, 1),
    WithdrawalState.APPROVED: (WITHDRAWAL_APPROVED, 2),
    WithdrawalState.REJECTED: (WITHDRAWAL_REJECTED, 2),
    WithdrawalState.PAID: (WITHDRAWAL_PAID, 3),
    WithdrawalState.FAILED: (WITHDRAWAL_FAILED, 3),
}


def withdrawal_event(withdrawal: Withdrawal) -> NewEvent:
    """The event of a withdrawal's latest step; its state machine has no cycles, so the state
    fixes the sequence (requested 1, approved or rejected 2, paid or failed 3)."""
    w = withdrawal
    kind, sequence = _WITHDRAWAL_STEPS[w.state]
    at, by, tx = w.requested_at, None, w.request_transaction_id
    if w.state is WithdrawalState.APPROVED:
        at, by, tx = w.approved_at or at, w.decided_by, w.decision_transaction_id or tx
    elif w.state is WithdrawalState.REJECTED:
        at, by, tx = w.rejected_at or at, w.decided_by, w.decision_transaction_id or tx
    elif w.state is WithdrawalState.PAID:
        at, by, tx = w.paid_at or at, w.settled_by, w.settlement_transaction_id or tx
    elif w.state is WithdrawalState.FAILED:
        at, by, tx = w.failed_at or at, w.settled_by, w.settlement_transaction_id or tx
    return NewEvent(
        event_id=uuid.uuid4(),
        type=kind,
        aggregate_type="withdrawal",
        aggregate_id=str(w.id),
        sequence=sequence,
        occurred_at=at,
        player_ids=(w.player_id,),
        payload=WithdrawalEventV1(
            withdrawal_id=w.id,
            player_id=w.player_id,
            currency=w.amount.currency.code,
            amount=w.amount.amount,
            state=w.state.value,
            at=at,
            by=by,
            transaction_id=tx,
            holds=list(w.holds),
            reason=w.reason,
            payout_reference=w.payout_reference,
        ),
    )


def risk_flag_raised(flag: RiskFlag) -> NewEvent:
    """A newly raised flag (with its id): aggregate ("risk_flag", id), sequence 1."""
    assert flag.id is not None, "a raised flag has its id"
    return NewEvent(
        event_id=uuid.uuid4(),
        type=RISK_FLAG_RAISED,
        aggregate_type="risk_flag",
        aggregate_id=str(flag.id),
        sequence=1,
        occurred_at=flag.raised_at,
        player_ids=(flag.player_id,),
        payload=RiskFlagRaisedV1(
            flag_id=flag.id,
            player_id=flag.player_id,
            kind=flag.kind.value,
            evidence=dict(flag.evidence),
            raised_at=flag.raised_at,
        ),
    )


def player_status_changed(player_id: int, status: PlayerStatus, at: datetime) -> NewEvent:
    """A block or its lifting: aggregate ("player", id), numbered by the outbox with the
    player's ledger events, so a consumer sees it after the last balance change before it."""
    return NewEvent(
        event_id=uuid.uuid4(),
        type=PLAYER_BLOCKED if status is PlayerStatus.BLOCKED else PLAYER_UNBLOCKED,
        aggregate_type="player",
        aggregate_id=str(player_id),
        sequence=None,
        occurred_at=at,
        player_ids=(player_id,),
        payload=PlayerStatusChangedV1(player_id=player_id, status=status.value, changed_at=at),
    )
