"""`pay_promotion` on fakes: the one road of promotion cash checks the standing, spends the
budget once, posts once and tells the player's screens (a TransactionPosted event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.promotions.paying import pay_promotion
from domain.errors import DomainError
from domain.events import TransactionPosted
from domain.money import FUN, Money
from domain.players import PlayerStatus
from domain.promotions import BudgetExhausted, Programme
from domain.responsible import Exclusion, TimeoutPeriod
from domain.standing import PlayerBlocked
from tests.fakes import FakeDatabase, SequentialIds

IDS = SequentialIds()

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


async def _player(db: FakeDatabase, budget: int) -> int:
    async with db() as uow:
        player, _ = await uow.players.register(
            telegram_user_id=42, username=None, language_code="en", now=NOW
        )
        await uow.preferences.create(
            player.id, language="en", referral_code="ann42", referred_by=None
        )
        await uow.preferences.accept_terms(player.id, NOW)
        await uow.budgets.open("daily-fun", Money(budget, FUN))
        await uow.commit()
    return player.id


async def _pay(db: FakeDatabase, player_id: int, key: str, amount: int = 100) -> object:
    async with db() as uow:
        posted = await pay_promotion(
            uow,
            IDS,
            player_id=player_id,
            amount=Money(amount, FUN),
            programme=Programme.DAILY,
            budget="daily-fun",
            key=key,
            now=NOW,
            shards=4,
        )
        await uow.commit()
    return posted


async def test_a_payment_spends_its_budget_once_and_tells_the_screens() -> None:
    db = FakeDatabase()
    pid = await _player(db, budget=150)
    await _pay(db, pid, "42:2026-12-03")
    await _pay(db, pid, "42:2026-12-03")  # a repeat: nothing spent, nothing told
    async with db() as uow:
        assert (await uow.budgets.get("daily-fun")).spent == Money(100, FUN)
        wallet = await uow.accounts.wallet(pid, FUN)
    assert wallet is not None
    assert wallet.balance == 100
    told = [e for e in db.state.events if isinstance(e, TransactionPosted)]
    assert len(told) == 1
    with pytest.raises(BudgetExhausted):
        await _pay(db, pid, "42:2026-12-04")


@pytest.mark.parametrize("protected", ["blocked", "excluded"])
async def test_a_protected_player_is_paid_nothing(protected: str) -> None:
    db = FakeDatabase()
    pid = await _player(db, budget=1000)
    async with db() as uow:
        if protected == "blocked":
            await uow.players.set_status(pid, PlayerStatus.BLOCKED, "staff")
        else:
            await uow.responsible.enroll(pid, NOW)
            await uow.responsible.save_exclusion(
                Exclusion.timeout(pid, TimeoutPeriod.DAY, NOW - timedelta(hours=1))
            )
        await uow.commit()
    with pytest.raises(DomainError) as refused:
        await _pay(db, pid, "42:2026-12-03")
    if protected == "blocked":
        assert isinstance(refused.value, PlayerBlocked)
    async with db() as uow:
        assert (await uow.budgets.get("daily-fun")).spent == Money(0, FUN)
        assert await uow.accounts.wallet(pid, FUN) is None
