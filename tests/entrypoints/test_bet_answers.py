"""A bet's gRPC answer built in one constructor call from nested dicts (`translate.bet_fields`,
`bet_commands.response_fields`) is the very message the nested built messages made: the same
fields, the same bytes on the wire, for every state a bet answers in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from application.betting import BetReceipt
from croupier.v1 import betting_pb2, common_pb2
from domain.bets import Bet, FairnessProof
from domain.games.base import format_multiplier
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.money import TON, XTR, Money
from entrypoints.grpc import translate
from entrypoints.grpc.bet_commands import BatchResult, _ok, _ok_fields, batch_result, bet_response

NOW = datetime(2026, 12, 4, 5, 30, 12, 345678, tzinfo=UTC)
LIMITS = {"XTR": StakeLimits(1, 10**6, 10**9), "TON": StakeLimits(1, 10**12, 10**13)}


def _built_the_old_way(receipt: BetReceipt) -> betting_pb2.BetResponse:
    """The answer as it was built before: each sub-message built, then copied in."""
    bet = receipt.bet
    fairness = bet.fairness
    message = betting_pb2.Bet(
        bet_id=str(bet.id),
        player_id=str(bet.player_id),
        game=bet.game,
        params=dict(bet.params),
        stake=translate.money_message(bet.stake),
        state=translate._BET_STATES[bet.state],
        placed_at=translate.timestamp(bet.placed_at),
        settled_at=translate.timestamp(bet.settled_at),
        void_reason=bet.void_reason or "",
        outcome=(
            "" if bet.outcome is None else GAMES[bet.game].describe_bet(bet.selection, bet.outcome)
        ),
        multiplier="" if bet.multiplier is None else format_multiplier(bet.multiplier),
        payout=(
            None
            if bet.payout is None
            else common_pb2.Money(amount=bet.payout, currency=bet.stake.currency.code)
        ),
        fairness=(
            None
            if fairness is None
            else betting_pb2.Fairness(
                seed_pair_id=str(fairness.seed_pair_id),
                nonce=fairness.nonce,
                server_seed_hash=fairness.server_seed_hash,
                client_seed=fairness.client_seed,
            )
        ),
    )
    return betting_pb2.BetResponse(
        bet=message, balance=translate.money_message(receipt.balance), replayed=receipt.replayed
    )


def _placed(code: str, params: dict[str, str], stake: Money, fair: bool) -> Bet:
    return Bet.place(
        bet_id=uuid.uuid4(),
        player_id=2**62 + 3,
        config=GameConfig(code, house_edge=Fraction(1, 50), limits=LIMITS),
        params=params,
        stake=stake,
        placed_at=NOW,
        transaction_id=uuid.uuid4(),
        fairness=FairnessProof(2**40, 17, "ab" * 32, "seed ünïcode ✓") if fair else None,
    )


def _bets() -> list[Bet]:
    coin = _placed("coin", {"side": "tails"}, Money(10, XTR), fair=True)
    roulette = _placed("roulette", {"bet": "straight", "number": "17"}, Money(5, TON), True)
    thrown = _placed("tg_dice", {"bet": "face", "face": "6"}, Money(100, XTR), fair=False)
    later = NOW.replace(microsecond=0)
    return [
        coin,  # placed, not yet settled
        coin.settle(GAMES["coin"], 1, at=NOW, transaction_id=coin.placed_transaction_id),  # won
        coin.settle(GAMES["coin"], 0, at=later, transaction_id=uuid.uuid4()),  # lost
        roulette.settle(GAMES["roulette"], 17, at=NOW, transaction_id=uuid.uuid4()),
        thrown,  # no fairness
        thrown.void("the bot's message was lost", at=later, transaction_id=uuid.uuid4()),
    ]


@pytest.mark.parametrize("replayed", [False, True])
def test_a_bets_answer_is_the_message_nested_messages_made(replayed: bool) -> None:
    for bet in _bets():
        receipt = BetReceipt(bet, Money(123_456, bet.stake.currency), replayed)
        expected = _built_the_old_way(receipt)
        answer = bet_response(receipt)
        assert answer == expected
        assert answer.SerializeToString(deterministic=True) == expected.SerializeToString(
            deterministic=True
        )
        assert translate.bet_message(bet) == expected.bet
        command = betting_pb2.BetCommand(correlation_id=f"c-{bet.id}")
        result = _ok(command, receipt)
        assert result == betting_pb2.BetResult(correlation_id=f"c-{bet.id}", ok=expected)
        assert result.WhichOneof("result") == "ok"


def test_a_batchs_answer_builds_results_given_as_fields_in_place() -> None:
    """`batch_result` takes placed bets' results as fields (`_ok_fields`) beside built ones (a
    refusal's): the answer is the one the built results made, in the commands' order."""
    given: list[BatchResult] = []
    built: list[betting_pb2.BetResult] = []
    for n, bet in enumerate(_bets()):
        command = betting_pb2.BetCommand(correlation_id=f"c-{n}")
        receipt = BetReceipt(bet, Money(n, bet.stake.currency), bool(n % 2))
        given.append(_ok_fields(command, receipt))
        built.append(betting_pb2.BetResult(correlation_id=f"c-{n}", ok=_built_the_old_way(receipt)))
        refusal = betting_pb2.BetResult(
            correlation_id=f"r-{n}", error=betting_pb2.BetError(code=9, message="no")
        )
        given.append(refusal)
        built.append(refusal)
    answer = batch_result(given)
    expected = betting_pb2.BetBatchResult(results=built)
    assert answer == expected
    assert [r.correlation_id for r in answer.results] == [r.correlation_id for r in built]
    assert answer.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )


def test_a_times_text_is_its_own_whatever_time_was_written_before() -> None:
    # `timestamp` remembers the last time it wrote (a batch's bets share one): a time equal to
    # it but in another zone, or another time, is written for itself.
    elsewhere = NOW.astimezone(timezone(timedelta(hours=3)))
    later = NOW + timedelta(seconds=1, microseconds=1)
    assert elsewhere == NOW
    assert elsewhere.isoformat() != NOW.isoformat()
    for value in (NOW, NOW, elsewhere, NOW, later, None, later, NOW.replace(), NOW):
        assert translate.timestamp(value) == ("" if value is None else value.isoformat())
