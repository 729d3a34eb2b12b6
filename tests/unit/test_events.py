"""Events without a database: the envelope's encoding, the outbox rows and payloads each
domain event becomes, and where they are routed. The relay's rules are tested on fakes in
test_relay_on_fakes.py."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from fractions import Fraction

import msgspec
import pytest

from adapters.event_wire.envelope import (
    STAFF_CHANNEL,
    channels,
    decode_envelope,
    encode_envelope,
)
from adapters.event_wire.payloads import (
    BetPlacedV1,
    BetPlayedV1,
    BetSettledV1,
    LedgerTransactionPostedV1,
    WithdrawalEventV1,
    decode_payload,
    encode_payload,
)
from adapters.event_wire.rows import outbox_rows
from application.ports import EventEnvelope
from domain.accounts import AccountKind
from domain.bets import Bet
from domain.events import (
    BetPlaced,
    BetPlayed,
    PlayerBlocked,
    PlayerUnblocked,
    TransactionPosted,
    WithdrawalRequested,
    bet_stored,
)
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.ledger import PostedLeg, PostedTransaction, TransactionKind
from domain.money import XTR, Money
from domain.withdrawals import Withdrawal

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
CONFIG = GameConfig(
    "tg_dice", house_edge=Fraction(3, 100), limits={"XTR": StakeLimits(1, 1000, 10_000)}
)


def _bet() -> Bet:
    return Bet.place(
        bet_id=uuid.uuid4(),
        player_id=7,
        config=CONFIG,
        params={"bet": "even"},
        stake=Money(100, XTR),
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
    )


def _envelope(**overrides: object) -> EventEnvelope:
    fields: dict[str, object] = {
        "event_id": uuid.UUID("01234567-89ab-cdef-0123-456789abcdef"),
        "type": "bet.placed",
        "version": 1,
        "aggregate_type": "bet",
        "aggregate_id": "b-1",
        "sequence": 1,
        "occurred_at": NOW,
        "player_ids": [7],
        "data": {"version": 1, "stake": 100},
    }
    fields.update(overrides)
    return EventEnvelope(**fields)  # type: ignore[arg-type]


def test_the_envelope_encodes_to_the_documented_json() -> None:
    encoded = json.loads(encode_envelope(_envelope()))
    assert encoded == {
        "event_id": "01234567-89ab-cdef-0123-456789abcdef",
        "type": "bet.placed",
        "version": 1,
        "aggregate_type": "bet",
        "aggregate_id": "b-1",
        "sequence": 1,
        "occurred_at": "2026-12-02T12:00:00Z",
        "player_ids": [7],
        "data": {"version": 1, "stake": 100},
    }


def test_the_envelope_round_trips_and_refuses_garbage() -> None:
    envelope = _envelope()
    assert decode_envelope(encode_envelope(envelope)) == envelope
    with pytest.raises(msgspec.ValidationError):
        decode_envelope(b'{"event_id": "not a uuid"}')


def test_a_payload_decodes_by_type_and_version() -> None:
    [event] = outbox_rows(BetPlaced(_bet()))
    envelope = _envelope(data=json.loads(encode_payload(event.payload)))
    payload = decode_payload(envelope)
    assert isinstance(payload, BetPlacedV1)
    assert (payload.version, payload.stake, payload.game) == (1, 100, "tg_dice")
    with pytest.raises(msgspec.ValidationError, match="unknown event"):
        decode_payload(_envelope(type="bet.exploded"))
    with pytest.raises(msgspec.ValidationError):
        decode_payload(_envelope(version=2))


def test_channels_route_players_and_the_staff_feed() -> None:
    assert channels(_envelope(player_ids=[7, 8])) == [
        "croupier:live:player:7",
        "croupier:live:player:8",
    ]
    staff = channels(_envelope(type="withdrawal.requested"))
    assert staff == ["croupier:live:player:7", STAFF_CHANNEL]
    assert STAFF_CHANNEL in channels(_envelope(type="risk.flag_raised"))
    assert channels(_envelope(player_ids=[])) == []


def test_a_transaction_is_one_event_per_player_with_that_players_balances() -> None:
    posted = PostedTransaction(
        id=uuid.uuid4(),
        kind=TransactionKind.TRANSFER,
        idempotency_key="k",
        legs=(
            PostedLeg(1, Money(-30, XTR), 70, AccountKind.PLAYER_WALLET, 11),
            PostedLeg(2, Money(30, XTR), 30, AccountKind.PLAYER_WALLET, 12),
        ),
        created_at=NOW,
        reference="",
        metadata={},
    )
    events = outbox_rows(TransactionPosted(posted))
    assert [(e.aggregate_type, e.aggregate_id, e.sequence) for e in events] == [
        ("player", "11", None),
        ("player", "12", None),
    ]
    first = events[0].payload
    assert isinstance(first, LedgerTransactionPostedV1)
    assert (first.player_id, [(c.amount, c.balance) for c in first.balances]) == (11, [(-30, 70)])


def test_a_house_only_transaction_is_one_event_numbered_one() -> None:
    posted = PostedTransaction(
        id=uuid.uuid4(),
        kind=TransactionKind.ADJUSTMENT,
        idempotency_key="k",
        legs=(
            PostedLeg(1, Money(-5, XTR), -5, AccountKind.ADJUSTMENTS, None),
            PostedLeg(2, Money(5, XTR), 5, AccountKind.HOUSE_BANKROLL, None),
        ),
        created_at=NOW,
        reference="",
        metadata={},
    )
    [event] = outbox_rows(TransactionPosted(posted))
    assert (event.aggregate_type, event.aggregate_id, event.sequence, event.player_ids) == (
        "ledger_transaction",
        str(posted.id),
        1,
        (),
    )


def test_a_bet_stored_settled_yields_placed_then_settled() -> None:
    bet = _bet()
    settled = bet.settle(GAMES["tg_dice"], 4, at=NOW, transaction_id=uuid.uuid4())
    placed_event, settled_event = [row for e in bet_stored(settled) for row in outbox_rows(e)]
    assert (placed_event.type, placed_event.sequence) == ("bet.placed", 1)
    placed = placed_event.payload
    assert isinstance(placed, BetPlacedV1)
    assert placed.state == "placed"  # its placing, though the bet was stored settled
    assert (settled_event.type, settled_event.sequence) == ("bet.settled", 2)
    payload = settled_event.payload
    assert isinstance(payload, BetSettledV1)
    assert (payload.state, payload.outcome, payload.payout, payload.multiplier) == (
        "won",
        4,
        194,
        "1.94",
    )
    assert [type(e) for e in bet_stored(bet)] == [BetPlaced]


def test_a_bet_played_in_one_transaction_is_one_envelope_of_its_player() -> None:
    bet = _bet()
    played = bet.settle(GAMES["tg_dice"], 4, at=NOW, transaction_id=bet.placed_transaction_id)
    assert played.posted_at_once
    posted = PostedTransaction(
        id=bet.placed_transaction_id,
        kind=TransactionKind.WIN,
        idempotency_key=f"bet:{bet.id}:settle",
        legs=(
            PostedLeg(11, Money(94, XTR), 1094, AccountKind.PLAYER_WALLET, 7),
            PostedLeg(12, Money(-94, XTR), 5000, AccountKind.HOUSE_BANKROLL, None),
        ),
        created_at=NOW,
        reference=f"bet:{bet.id}",
        metadata={"bet_id": str(bet.id), "game": "tg_dice"},
    )
    [event] = outbox_rows(BetPlayed(played, posted))
    # The player's aggregate, numbered by the outbox among their balance changes.
    assert (event.type, event.aggregate_type, event.aggregate_id, event.sequence) == (
        "bet.played",
        "player",
        "7",
        None,
    )
    assert event.player_ids == (7,)
    payload = event.payload
    assert isinstance(payload, BetPlayedV1)
    assert (payload.bet_id, payload.player_id, payload.game, payload.stake) == (
        bet.id,
        7,
        "tg_dice",
        100,
    )
    assert (payload.state, payload.outcome, payload.payout, payload.multiplier) == (
        "won",
        4,
        194,
        "1.94",
    )
    assert (payload.placed_at, payload.settled_at, payload.max_payout) == (
        NOW,
        NOW,
        bet.max_payout,
    )
    assert (payload.transaction_id, payload.kind) == (posted.id, "win")
    assert payload.nonce is None  # a dice bet has no seeds
    # Only the player's side: the house's legs stay out, as in its ledger event.
    assert [(b.account_id, b.amount, b.balance) for b in payload.balances] == [(11, 94, 1094)]
    wire = msgspec.json.decode(msgspec.json.encode(event))
    wire["sequence"] = 3  # as the outbox numbers it
    envelope = decode_envelope(json.dumps(wire).encode())
    assert decode_payload(envelope) == payload
    assert channels(envelope) == ["croupier:live:player:7"]


def test_a_withdrawals_state_fixes_its_events_sequence() -> None:
    requested = Withdrawal(
        id=uuid.uuid4(),
        player_id=7,
        request_id=uuid.uuid4(),
        amount=Money(100, XTR),
        destination="UQ-secret",
        requested_at=NOW,
        request_transaction_id=uuid.uuid4(),
    )
    [event] = outbox_rows(WithdrawalRequested(requested))
    assert (event.type, event.sequence) == ("withdrawal.requested", 1)
    assert b"UQ-secret" not in encode_payload(event.payload)
    assert isinstance(event.payload, WithdrawalEventV1)


def test_a_block_and_its_lifting_are_events_of_the_players_aggregate() -> None:
    [blocked] = outbox_rows(PlayerBlocked(42, NOW))
    [lifted] = outbox_rows(PlayerUnblocked(42, NOW))
    assert [(e.type, e.aggregate_type, e.aggregate_id, e.sequence) for e in (blocked, lifted)] == [
        ("player.blocked", "player", "42", None),  # numbered with the player's ledger events
        ("player.unblocked", "player", "42", None),
    ]
    assert blocked.player_ids == (42,)
    assert json.loads(encode_payload(blocked.payload)) == {
        "version": 1,
        "player_id": 42,
        "status": "blocked",
        "changed_at": "2026-12-02T12:00:00Z",
    }
    # On the player's own channel only: the staff's reason is not in it, and staff act on it.
    assert channels(_envelope(type="player.blocked", player_ids=[42])) == [
        "croupier:live:player:42"
    ]
