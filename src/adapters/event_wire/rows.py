"""What a domain event becomes in the outbox: one envelope (two or more for a transaction
that touched several players), with its aggregate, its place in that aggregate's order, the
players it concerns and its payload; and the envelopes of a unit of work as the one outbox row
`outbox_append` writes (`appended_events`), or each envelope apart as `place_bets` takes them
(`appended_envelopes`).

Over 400 lines on purpose: this is the one table from every domain event to its wire row
(bets, ledger, withdrawals, bonuses, crash rounds, risk flags, standing); split by kind, the
row's shape and its aggregate's ordering rule would be written once per module."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final, TypedDict

import msgspec

from adapters.entropy import random_uuid4
from adapters.event_wire.payloads import (
    BalanceChange,
    BetPlacedV1,
    BetPlayedV1,
    BetSettledV1,
    BetVoidedV1,
    BonusEventV1,
    CrashCashedOutV1,
    CrashRoundV1,
    EventPayload,
    LedgerTransactionPostedV1,
    PlayerStatusChangedV1,
    RiskFlagRaisedV1,
    WithdrawalEventV1,
    WithdrawalPayoutDelayedV1,
)
from domain.bets import Bet, BetState
from domain.bonuses import Bonus, BonusState
from domain.crash_rounds import CrashSeat
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
    DomainEvent,
    PlayerBlocked,
    PlayerUnblocked,
    RiskFlagRaised,
    TransactionPosted,
    WithdrawalEvent,
    WithdrawalPayoutDelayed,
)
from domain.games.base import format_hundredths, format_multiplier
from domain.ledger import PostedLeg, PostedTransaction
from domain.players import PlayerStatus
from domain.risk import RiskFlag
from domain.withdrawals import Withdrawal, WithdrawalState


class OutboxRow(msgspec.Struct, frozen=True, kw_only=True):
    """An event about to be written to the outbox: one envelope of its unit of work's row, as
    `outbox_append` takes it (encoded as it is: built once, not copied into another shape).
    `sequence` None: the outbox numbers it (the next of its aggregate, under a lock on the
    aggregate's counter); a number: the aggregate's own row lock already orders it (a bet is
    placed once, settled once)."""

    event_id: uuid.UUID
    type: str
    version: int
    aggregate_type: str
    aggregate_id: str
    sequence: int | None
    occurred_at: datetime
    player_ids: tuple[int, ...]
    data: EventPayload

    @property
    def payload(self) -> EventPayload:
        return self.data


_envelopes_encoder = msgspec.json.Encoder()


def appended_events(events: Sequence[DomainEvent]) -> bytes:
    """The argument of the SQL function `outbox_append` for these events (all a unit of work
    raised): the JSON array of their envelopes, in order, one outbox row's worth."""
    return _envelopes_encoder.encode([row for event in events for row in outbox_rows(event)])


class Envelopes(msgspec.Struct, frozen=True):
    """Each envelope's JSON text and, for one the outbox numbers, its aggregate (else None).
    `outbox_append_envelopes` (revision 0060) writes the number over the first
    `"sequence":null` (the envelope's own: its fields precede the payload's)."""

    texts: list[str]
    aggregate_types: list[str | None]
    aggregate_ids: list[str | None]


def appended_envelopes(events: Sequence[DomainEvent]) -> Envelopes:
    """The envelopes of these events, in order, one outbox row's worth (see `Envelopes`)."""
    rows = [row for event in events for row in outbox_rows(event)]
    return Envelopes(
        [_envelopes_encoder.encode(row).decode() for row in rows],
        [row.aggregate_type if row.sequence is None else None for row in rows],
        [row.aggregate_id if row.sequence is None else None for row in rows],
    )


def outbox_rows(event: DomainEvent) -> list[OutboxRow]:
    """The outbox rows of one event."""
    match event:
        case TransactionPosted(transaction=posted):
            return _ledger_rows(posted)
        case BetPlaced(bet=bet):
            return [_bet_placed(bet)]
        case BetPlayed(bet=bet, transaction=posted):
            return [_bet_played(bet, posted)]
        case BetSettled(bet=bet) | BetVoided(bet=bet):
            return [_bet_ended(event.name, bet)]
        case RiskFlagRaised(flag=flag):
            return [_risk_row(flag)]
        case PlayerBlocked() | PlayerUnblocked():
            return [_player_status_row(event)]
        case CrashRoundOpened() | CrashRoundStarted() | CrashRoundCrashed():
            return [_crash_round_row(event)]
        case CrashCashedOut(seat=seat, at=at):
            return [_cash_out_row(seat, at)]
        case BonusGranted(bonus=bonus) | BonusConverted(bonus=bonus):
            return [_bonus_row(event.name, bonus)]
        case BonusForfeited(bonus=bonus) | BonusExpired(bonus=bonus):
            return [_bonus_row(event.name, bonus)]
        case WithdrawalPayoutDelayed(withdrawal=w):
            return [_payout_delayed_row(event.name, w)]
        case _:
            return [_withdrawal_row(event)]


def _row(
    kind: str,
    aggregate_type: str,
    aggregate_id: object,
    sequence: int | None,
    at: datetime,
    player_id: int | None,
    payload: EventPayload,
) -> OutboxRow:
    return OutboxRow(
        event_id=random_uuid4(),
        type=kind,
        version=payload.version,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        sequence=sequence,
        occurred_at=at,
        player_ids=() if player_id is None else (player_id,),
        data=payload,
    )


def _risk_row(flag: RiskFlag) -> OutboxRow:
    assert flag.id is not None, "a raised flag has its id"
    payload = RiskFlagRaisedV1(
        flag_id=flag.id,
        player_id=flag.player_id,
        kind=flag.kind.value,
        evidence=dict(flag.evidence),
        raised_at=flag.raised_at,
    )
    kind = RiskFlagRaised.name
    return _row(kind, "risk_flag", flag.id, 1, flag.raised_at, flag.player_id, payload)


def _player_status_row(event: PlayerBlocked | PlayerUnblocked) -> OutboxRow:
    """Numbered by the outbox with the player's ledger events, so a consumer sees it after
    the last balance change before it."""
    blocked = isinstance(event, PlayerBlocked)
    status = PlayerStatus.BLOCKED if blocked else PlayerStatus.ACTIVE
    payload = PlayerStatusChangedV1(
        player_id=event.player_id, status=status.value, changed_at=event.at
    )
    return _row(event.name, "player", event.player_id, None, event.at, event.player_id, payload)


# A round's steps: opened 1, started 2, crashed 3 (the round row moves through each once).
_CRASH_ROUND_SEQUENCE: Final = {
    CrashRoundOpened.name: 1,
    CrashRoundStarted.name: 2,
    CrashRoundCrashed.name: 3,
}


def _crash_round_row(event: CrashRoundOpened | CrashRoundStarted | CrashRoundCrashed) -> OutboxRow:
    """Aggregate ("crash_round", id), concerning no one player (the pub/sub channel
    `croupier:live:crash` carries it)."""
    r = event.round
    point = None if r.crash_point is None else format_hundredths(r.crash_point)
    payload = CrashRoundV1(
        round_id=r.id,
        chain_id=r.chain_id,
        number=r.number,
        phase=r.phase.value,
        betting_ends_at=r.betting_ends_at,
        started_at=r.started_at,
        crashed_at=r.crashed_at,
        crash_point=point,
        round_hash=r.round_hash,
        interrupted=r.interrupted,
    )
    at = r.crashed_at or r.started_at or r.betting_ends_at
    sequence = _CRASH_ROUND_SEQUENCE[event.name]
    return _row(event.name, "crash_round", r.id, sequence, at, None, payload)


def _cash_out_row(seat: CrashSeat, at: datetime) -> OutboxRow:
    """Aggregate ("crash_seat", bet id), sequence 1: a seat cashes out once. Not numbered per
    round: a counter row per round would make every cash-out of the round wait for the last."""
    cash_out = seat.cash_out
    assert cash_out is not None, "a cash-out event has its cash-out"
    payload = CrashCashedOutV1(
        round_id=seat.round_id,
        bet_id=seat.bet_id,
        player_id=seat.player_id,
        currency=seat.currency,
        multiplier=format_hundredths(cash_out.multiplier),
        ms=cash_out.ms,
    )
    return _row(CrashCashedOut.name, "crash_seat", seat.bet_id, 1, at, seat.player_id, payload)


def _balance_change(leg: PostedLeg) -> BalanceChange:
    return BalanceChange(
        account_id=leg.account_id,
        account_kind=leg.account_kind.value,
        currency=leg.amount.currency.code,
        amount=leg.amount.amount,
        balance=leg.balance_after,
    )


def _ledger_rows(posted: PostedTransaction) -> list[OutboxRow]:
    """One row per player the transaction moved money for (aggregate ("player", id), numbered
    by the outbox), or one for the house when it touched no player (aggregate
    ("ledger_transaction", id), sequence 1)."""
    by_player: dict[int | None, list[BalanceChange]] = {}
    for leg in posted.legs:
        by_player.setdefault(leg.player_id, []).append(_balance_change(leg))
    owners = sorted(p for p in by_player if p is not None)
    players: list[int | None] = [*owners] or [None]
    return [
        _row(
            TransactionPosted.name,
            "ledger_transaction" if player_id is None else "player",
            posted.id if player_id is None else player_id,
            1 if player_id is None else None,
            posted.created_at,
            player_id,
            LedgerTransactionPostedV1(
                transaction_id=posted.id,
                kind=posted.kind.value,
                reference=posted.reference,
                metadata=dict(posted.metadata),
                created_at=posted.created_at,
                player_id=player_id,
                balances=by_player[player_id],
            ),
        )
        for player_id in players
    ]


class _BetFields(TypedDict):
    """What every bet event says of its bet, first in each payload (a TypedDict so that mypy
    checks the `**` construction)."""

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


class _FairnessFields(TypedDict):
    """What `bet.placed` and `bet.played` say of a provably fair bet's seeds (None otherwise)."""

    server_seed_hash: str | None
    client_seed: str | None
    nonce: int | None


def _fairness_fields(bet: Bet) -> _FairnessFields:
    fairness = bet.fairness
    return _FairnessFields(
        server_seed_hash=fairness.server_seed_hash if fairness else None,
        client_seed=fairness.client_seed if fairness else None,
        nonce=fairness.nonce if fairness else None,
    )


class _OutcomeFields(TypedDict):
    """What `bet.settled` and `bet.played` say of a won or lost bet's result."""

    state: str
    outcome: int
    multiplier: str
    payout: int


def _outcome_fields(bet: Bet) -> _OutcomeFields:
    assert bet.outcome is not None
    assert bet.payout is not None
    assert bet.multiplier is not None
    return _OutcomeFields(
        state=bet.state.value,
        outcome=bet.outcome,
        multiplier=format_multiplier(bet.multiplier),
        payout=bet.payout,
    )


def _bet_placed(bet: Bet) -> OutboxRow:
    """Sequence 1: the bet's row is inserted once. A bet stored already final says "placed"
    here all the same: this event is its placing."""
    payload = BetPlacedV1(
        **_bet_fields(bet),
        max_payout=bet.max_payout,
        state=BetState.PLACED.value,
        placed_at=bet.placed_at,
        transaction_id=bet.placed_transaction_id,
        **_fairness_fields(bet),
    )
    return _row(BetPlaced.name, "bet", bet.id, 1, bet.placed_at, bet.player_id, payload)


def _bet_ended(kind: str, bet: Bet) -> OutboxRow:
    """Sequence 2: the bet's row leaves `placed` once."""
    at = bet.settled_at or bet.placed_at
    transaction_id = bet.settlement_transaction_id
    assert transaction_id is not None, "a final bet has its settlement transaction"
    payload: EventPayload
    if bet.state is BetState.VOIDED:
        payload = BetVoidedV1(
            **_bet_fields(bet),
            state=bet.state.value,
            payout=bet.stake.amount,
            reason=bet.void_reason or "",
            voided_at=at,
            transaction_id=transaction_id,
        )
    else:
        payload = BetSettledV1(
            **_bet_fields(bet),
            **_outcome_fields(bet),
            settled_at=at,
            transaction_id=transaction_id,
        )
    return _row(kind, "bet", bet.id, 2, at, bet.player_id, payload)


def _bet_played(bet: Bet, posted: PostedTransaction) -> OutboxRow:
    """Aggregate ("player", id), numbered by the outbox like the `ledger.transaction_posted` it
    stands for, so that a consumer sees the player's balances in order; the bet's own aggregate
    has no event (its placing and settlement are this one)."""
    at = bet.settled_at or bet.placed_at
    payload = BetPlayedV1(
        **_bet_fields(bet),
        **_outcome_fields(bet),
        max_payout=bet.max_payout,
        placed_at=bet.placed_at,
        settled_at=at,
        **_fairness_fields(bet),
        transaction_id=posted.id,
        kind=posted.kind.value,
        balances=[_balance_change(leg) for leg in posted.legs if leg.player_id == bet.player_id],
    )
    return _row(BetPlayed.name, "player", bet.player_id, None, at, bet.player_id, payload)


# A withdrawal's state says which step it took, and how many steps came before: its state
# machine has no cycles (requested 1, approved, rejected or cancelled 2, paid or failed 3).
_WITHDRAWAL_SEQUENCE: Final = {
    WithdrawalState.REQUESTED: 1,
    WithdrawalState.APPROVED: 2,
    WithdrawalState.REJECTED: 2,
    WithdrawalState.CANCELLED: 2,
    WithdrawalState.PAID: 3,
    WithdrawalState.FAILED: 3,
}


def _withdrawal_row(event: WithdrawalEvent) -> OutboxRow:
    w = event.withdrawal
    at, by, tx = w.requested_at, None, w.request_transaction_id
    if w.state is WithdrawalState.APPROVED:
        at, by, tx = w.approved_at or at, w.decided_by, w.decision_transaction_id or tx
    elif w.state is WithdrawalState.REJECTED:
        at, by, tx = w.rejected_at or at, w.decided_by, w.decision_transaction_id or tx
    elif w.state is WithdrawalState.CANCELLED:
        at, by, tx = w.cancelled_at or at, w.decided_by, w.decision_transaction_id or tx
    elif w.state is WithdrawalState.PAID:
        at, by, tx = w.paid_at or at, w.settled_by, w.settlement_transaction_id or tx
    elif w.state is WithdrawalState.FAILED:
        at, by, tx = w.failed_at or at, w.settled_by, w.settlement_transaction_id or tx
    payload = WithdrawalEventV1(
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
    )
    sequence = _WITHDRAWAL_SEQUENCE[w.state]
    return _row(event.name, "withdrawal", w.id, sequence, at, w.player_id, payload)


def _payout_delayed_row(kind: str, w: Withdrawal) -> OutboxRow:
    # An aggregate of its own (`withdrawal_payout`), not a step of the withdrawal's: raised
    # once a withdrawal (`payout_delayed_at` is set once), so always 1.
    assert w.payout_delayed_at is not None, "a delayed payout has its time"
    payload = WithdrawalPayoutDelayedV1(
        withdrawal_id=w.id,
        player_id=w.player_id,
        currency=w.amount.currency.code,
        amount=w.amount.amount,
        at=w.payout_delayed_at,
    )
    return _row(kind, "withdrawal_payout", w.id, 1, w.payout_delayed_at, w.player_id, payload)


def _bonus_row(kind: str, bonus: Bonus) -> OutboxRow:
    # A bonus takes two steps at most: granted (1), then converted, forfeited or expired (2).
    ended = bonus.state is not BonusState.ACTIVE
    at = bonus.ended_at if ended and bonus.ended_at is not None else bonus.granted_at
    tx = bonus.end_transaction_id if ended and bonus.end_transaction_id else None
    payload = BonusEventV1(
        bonus_id=bonus.id,
        player_id=bonus.player_id,
        currency=bonus.currency.code,
        amount=bonus.amount.amount,
        wagering_required=bonus.wagering_required.amount,
        max_stake=None if bonus.max_stake is None else bonus.max_stake.amount,
        campaign=bonus.campaign,
        budget=bonus.budget,
        state=bonus.state.value,
        granted_at=bonus.granted_at,
        expires_at=bonus.expires_at,
        at=at,
        transaction_id=tx or bonus.grant_transaction_id,
        reason=None if bonus.forfeit_reason is None else bonus.forfeit_reason.value,
    )
    return _row(kind, "bonus", bonus.id, 2 if ended else 1, at, bonus.player_id, payload)
