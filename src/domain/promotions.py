"""Promotions' shared books: the programmes that give money away, the budgets that bound them,
and the journal entries that move promotion money (docs/bonuses.md).

Every grant, whatever the programme, is bounded by a budget: a grant spends from its budget in
the transaction that posts it, and a budget never spends past its total (here, and again as
a database check), so no bug, loop or insider can give away more than was budgeted. The
house's side of every promotion is the `promotions` account: its balance is what promotions
have cost so far."""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from domain.errors import InvalidField, LimitExceeded
from domain.ledger import Leg, MetadataValue, Transaction, TransactionKind, transfer_legs
from domain.money import Currency, Money
from domain.posting_keys import (
    BonusStep,
    bonus_key,
    bonus_reference,
    promotion_key,
    promotion_reference,
)


class Programme(enum.StrEnum):
    """What a promotion payment is for: its key, its reports line and its budget's owner."""

    BONUS = "bonus"  # a bonus grant (campaign, promo code, staff), into the bonus account
    RAKEBACK = "rakeback"  # a VIP level's share of the house edge on what the player wagered
    REFERRAL = "referral"  # a referrer's commission
    DAILY = "daily"  # the daily play-money (FUN) bonus


_BUDGET_CODE: Final = re.compile(r"[a-z0-9][a-z0-9_.:-]{0,79}")


def validate_budget_code(code: str) -> str:
    """Lower-case letters, digits and `_ . : -`, up to 80 (the database checks the same)."""
    if not _BUDGET_CODE.fullmatch(code):
        raise InvalidField(
            "budget", "a budget code is 1-80 of a-z, 0-9, '_', '.', ':' or '-', starting alnum"
        )
    return code


class BudgetExhausted(LimitExceeded):
    """The budget has less left than the grant would spend: nothing is granted."""

    code = "budget_exhausted"


@dataclass(frozen=True, slots=True)
class PromotionBudget:
    """How much a programme or campaign may give away in one currency, and how much it has."""

    code: str
    total: Money
    spent: Money

    def __post_init__(self) -> None:
        validate_budget_code(self.code)
        if self.total.currency != self.spent.currency:
            raise InvalidField("budget", "a budget's total and spent share one currency")
        if self.total.amount < 0 or not 0 <= self.spent.amount <= self.total.amount:
            raise InvalidField("budget", "a budget spends between nothing and its total")

    @property
    def currency(self) -> Currency:
        return self.total.currency

    @property
    def remaining(self) -> Money:
        return self.total - self.spent

    def spend(self, amount: Money) -> PromotionBudget:
        """This budget after granting `amount`, or `BudgetExhausted`."""
        amount.require_positive()
        if amount > self.remaining:
            raise BudgetExhausted(
                f"budget {self.code!r} has {self.remaining} left, not {amount}",
                rule="budget",
                limit=self.remaining,
            )
        return replace(self, spent=self.spent + amount)


# -- journal entries ----------------------------------------------------------------------------


def _metadata(
    programme: Programme, budget: str, extra: Mapping[str, MetadataValue] | None
) -> dict[str, MetadataValue]:
    return {"programme": programme.value, "budget": budget, **(extra or {})}


def promotion_payment(
    transaction_id: uuid.UUID,
    *,
    promotions: int,
    wallet: int,
    amount: Money,
    programme: Programme,
    budget: str,
    key: str,
    at: datetime,
    metadata: Mapping[str, MetadataValue] | None = None,
) -> Transaction:
    """Cash from the promotions account straight into a wallet (rakeback, a referral
    commission, the daily play-money bonus). `key` is the caller's, unique within the
    programme (a claim id, a referrer and period)."""
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.GRANT,
        idempotency_key=promotion_key(programme.value, key),
        legs=transfer_legs(promotions, wallet, amount),
        created_at=at,
        reference=promotion_reference(budget),
        metadata=_metadata(programme, budget, metadata),
    )


def bonus_grant(
    transaction_id: uuid.UUID,
    bonus_id: uuid.UUID,
    *,
    promotions: int,
    bonus_account: int,
    amount: Money,
    budget: str,
    at: datetime,
    metadata: Mapping[str, MetadataValue] | None = None,
) -> Transaction:
    """A bonus into the player's bonus account, never into the cash wallet."""
    return _bonus_movement(
        transaction_id,
        bonus_id,
        BonusStep.GRANT,
        transfer_legs(promotions, bonus_account, amount),
        at=at,
        metadata=_metadata(Programme.BONUS, budget, metadata),
    )


def bonus_conversion(
    transaction_id: uuid.UUID,
    bonus_id: uuid.UUID,
    *,
    bonus_account: int,
    wallet: int,
    amount: Money,
    at: datetime,
    metadata: Mapping[str, MetadataValue] | None = None,
) -> Transaction:
    """What is left of a wagered bonus, from the bonus account into the cash wallet."""
    return _bonus_movement(
        transaction_id,
        bonus_id,
        BonusStep.CONVERT,
        transfer_legs(bonus_account, wallet, amount),
        at=at,
        metadata=dict(metadata or {}),
    )


def bonus_forfeit(
    transaction_id: uuid.UUID,
    bonus_id: uuid.UUID,
    *,
    bonus_account: int,
    promotions: int,
    amount: Money,
    why: str,
    at: datetime,
    metadata: Mapping[str, MetadataValue] | None = None,
) -> Transaction:
    """A bonus taken back (expired, given up, forfeited for a withdrawal): bonus account to
    promotions. `why` is stored in the metadata."""
    return _bonus_movement(
        transaction_id,
        bonus_id,
        BonusStep.FORFEIT,
        transfer_legs(bonus_account, promotions, amount),
        at=at,
        metadata={**(metadata or {}), "why": why},
    )


def _bonus_movement(
    transaction_id: uuid.UUID,
    bonus_id: uuid.UUID,
    step: BonusStep,
    legs: tuple[Leg, Leg],
    *,
    at: datetime,
    metadata: dict[str, MetadataValue],
) -> Transaction:
    kinds = {
        BonusStep.GRANT: TransactionKind.GRANT,
        BonusStep.CONVERT: TransactionKind.CONVERSION,
        BonusStep.FORFEIT: TransactionKind.FORFEIT,
    }
    return Transaction(
        id=transaction_id,
        kind=kinds[step],
        idempotency_key=bonus_key(bonus_id, step),
        legs=legs,
        created_at=at,
        reference=bonus_reference(bonus_id),
        metadata={"bonus_id": str(bonus_id), **metadata},
    )
