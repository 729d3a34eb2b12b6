"""The promotions' shared books: budgets bound every grant, and the journal entries that move
promotion money are balanced, keyed once and say which programme and budget they belong to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from domain.accounts import Account, AccountKind
from domain.errors import CurrencyMismatch, InvalidField, InvalidTransaction
from domain.ledger import TransactionKind
from domain.money import TON, XTR, Money
from domain.promotions import (
    BudgetExhausted,
    Programme,
    PromotionBudget,
    bonus_conversion,
    bonus_forfeit,
    bonus_grant,
    promotion_payment,
)

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def budget(total: int, spent: int = 0) -> PromotionBudget:
    return PromotionBudget("welcome-2026", Money(total, XTR), Money(spent, XTR))


def test_a_budget_spends_up_to_its_total_and_not_one_star_more() -> None:
    after = budget(100).spend(Money(60, XTR)).spend(Money(40, XTR))
    assert after.spent == Money(100, XTR)
    assert after.remaining == Money(0, XTR)
    with pytest.raises(BudgetExhausted) as refused:
        budget(100, 95).spend(Money(6, XTR))
    assert refused.value.limit == Money(5, XTR)
    assert refused.value.code == "budget_exhausted"


def test_a_budget_refuses_nothing_negative_and_other_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        budget(100).spend(Money(1, TON))
    with pytest.raises(InvalidField):
        budget(100, 101)
    with pytest.raises(InvalidField):
        PromotionBudget("Not A Code", Money(1, XTR), Money(0, XTR))


def test_bonus_money_lives_in_a_player_account_that_never_goes_negative() -> None:
    bonus = Account(7, AccountKind.PLAYER_BONUS, XTR, balance=5, player_id=1)
    assert AccountKind.PLAYER_BONUS.is_player
    assert not AccountKind.PLAYER_BONUS.is_house
    assert AccountKind.PROMOTIONS.is_house
    assert AccountKind.PROMOTIONS.may_go_negative
    with pytest.raises(Exception, match="holds 5"):
        bonus.apply(-6)
    with pytest.raises(InvalidTransaction):
        Account(8, AccountKind.PLAYER_BONUS, XTR, shard=0)


def test_each_movement_is_balanced_keyed_once_and_names_its_budget() -> None:
    bonus_id = uuid.UUID(int=9)
    grant = bonus_grant(
        uuid.uuid4(),
        bonus_id,
        promotions=1,
        bonus_account=2,
        amount=Money(50, XTR),
        budget="welcome-2026",
        at=NOW,
    )
    convert = bonus_conversion(
        uuid.uuid4(), bonus_id, bonus_account=2, wallet=3, amount=Money(30, XTR), at=NOW
    )
    forfeit = bonus_forfeit(
        uuid.uuid4(),
        bonus_id,
        bonus_account=2,
        promotions=1,
        amount=Money(20, XTR),
        why="expired",
        at=NOW,
    )
    assert [t.kind for t in (grant, convert, forfeit)] == [
        TransactionKind.GRANT,
        TransactionKind.CONVERSION,
        TransactionKind.FORFEIT,
    ]
    assert [t.idempotency_key for t in (grant, convert, forfeit)] == [
        f"bonus:{bonus_id}:grant",
        f"bonus:{bonus_id}:convert",
        f"bonus:{bonus_id}:forfeit",
    ]
    assert {t.reference for t in (grant, convert, forfeit)} == {f"bonus:{bonus_id}"}
    assert grant.metadata["budget"] == "welcome-2026"
    assert forfeit.metadata["why"] == "expired"
    for t in (grant, convert, forfeit):
        assert sum(leg.amount.amount for leg in t.legs) == 0
    paid = promotion_payment(
        uuid.uuid4(),
        promotions=1,
        wallet=3,
        amount=Money(4, XTR),
        programme=Programme.RAKEBACK,
        budget="rakeback-xtr",
        key="claim-1",
        at=NOW,
    )
    assert paid.idempotency_key == "promotion:rakeback:claim-1"
    assert paid.metadata == {"programme": "rakeback", "budget": "rakeback-xtr"}
    assert [(leg.account_id, leg.amount.amount) for leg in paid.legs] == [(1, -4), (3, 4)]
