"""`bet_arrays`: the bets' columns as `place_bets` takes them (revision 0067), in the table's
column order, the same values `bet_columns` names."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from fractions import Fraction

from adapters.postgres.bets import BET_ARRAY_TYPES, bet_arrays, bet_columns
from domain.bets import Bet, BetState, DiceThrow, FairnessProof
from domain.games.catalog import game_by_code
from domain.money import XTR, Money

NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def _bet(*, settled: bool) -> Bet:
    game = game_by_code("dice")
    selection = next(iter(game.selections()))
    return Bet(
        id=uuid.uuid4(),
        player_id=7,
        game=game.code,
        selection=selection,
        stake=Money(10, XTR),
        house_edge=Fraction(3, 100),
        max_payout=1_000,
        state=BetState.WON if settled else BetState.PLACED,
        placed_at=NOW,
        placed_transaction_id=uuid.uuid4(),
        params=game.params(selection),
        fairness=FairnessProof(5, 11, "ab" * 32, "client") if settled else None,
        dice=DiceThrow(-100, 42) if settled else None,
        outcome=6 if settled else None,
        multiplier=Fraction(57, 10) if settled else None,
        payout=57 if settled else None,
        settled_at=NOW if settled else None,
        settlement_transaction_id=uuid.uuid4() if settled else None,
    )


def test_the_columns_are_the_bets_columns_in_order_one_array_each() -> None:
    bets = [_bet(settled=True), _bet(settled=False)]
    columns = bet_arrays(bets, json.dumps)
    assert len(columns) == len(BET_ARRAY_TYPES) == 24
    for i, bet in enumerate(bets):
        expected = bet_columns(bet, json.dumps(dict(bet.params)))
        row = {name: column[i] for name, column in zip(expected, columns, strict=True)}
        # The numeric columns go as text (cast by the statement).
        for name in ("multiplier_num", "multiplier_den"):
            value = expected[name]
            expected[name] = None if value is None else str(value)
        assert row == expected
    assert columns[0] == (bets[0].id, bets[1].id)
    assert columns[15:17] == [(-100, None), (42, None)]
    assert columns[18:20] == [("57", None), ("10", None)]


def test_no_bets_are_empty_columns() -> None:
    assert bet_arrays([], json.dumps) == [[] for _ in BET_ARRAY_TYPES]
