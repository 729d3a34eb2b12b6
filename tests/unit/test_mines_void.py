"""Mines in the domain: a game with no tile revealed can be voided (its stake back), never one
under way."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

import pytest

from domain.errors import IllegalTransition
from domain.mines import MinesField, MinesState, PayoutCap
from domain.money import XTR, Money

NOW = datetime(2026, 12, 3, tzinfo=UTC)
EDGE = Fraction(1, 100)
UNCAPPED = PayoutCap(Money(1, XTR), EDGE, 10**9)


def _field(positions: tuple[int, ...] = (1, 21, 7)) -> MinesField:
    return MinesField.open(uuid.uuid4(), 7, "XTR", positions, NOW)


def test_a_game_without_tiles_is_voided_once() -> None:
    field = _field()
    voided = field.void(NOW)
    assert voided.state is MinesState.VOIDED
    assert voided.state.is_final
    assert voided.finished_at == NOW
    assert voided.revealed == ()
    assert voided.void(NOW) is voided  # a repeat changes nothing
    assert voided.multiplier(EDGE) == 1  # what it returns: the stake
    assert voided.next_multiplier(UNCAPPED) is None


def test_a_voided_game_takes_no_tile_and_no_cash_out() -> None:
    voided = _field().void(NOW)
    with pytest.raises(IllegalTransition, match="over"):
        voided.reveal(0, NOW, UNCAPPED)
    with pytest.raises(IllegalTransition, match="already returned"):
        voided.cash_out(NOW)


def test_a_game_under_way_or_over_is_not_voided() -> None:
    with pytest.raises(IllegalTransition, match="a tile is revealed"):
        _field().reveal(0, NOW, UNCAPPED).void(NOW)
    with pytest.raises(IllegalTransition, match="busted"):
        _field().reveal(1, NOW, UNCAPPED).void(NOW)  # the first tile was a mine
    with pytest.raises(IllegalTransition, match="cashed_out"):
        _field().reveal(0, NOW, UNCAPPED).cash_out(NOW).void(NOW)


def test_a_voided_field_with_tiles_cannot_exist() -> None:
    with pytest.raises(IllegalTransition, match="without tiles"):
        replace(_field(), revealed=(0,), state=MinesState.VOIDED, finished_at=NOW)
