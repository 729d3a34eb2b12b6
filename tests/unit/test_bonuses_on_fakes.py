"""Bonus use cases on the in-memory fakes: granting (the API campaigns call), and the ends of a
bonus. Every grant is bounded by its budget, keyed once, one active per player and currency,
and never reaches a player the standing refuses promotions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.bonuses import grant_bonus
from domain.accounts import AccountKind
from domain.bonuses import BonusActive, BonusOffer, BonusState
from domain.errors import IdempotencyConflict
from domain.events import BonusGranted, TransactionPosted
from domain.ledger import TransactionKind
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.promotions import BudgetExhausted
from domain.standing import StandingRefusal
from tests.casino_on_fakes import Casino

SHARDS = 4


def welcome(amount: int = 100, **changes: object) -> BonusOffer:
    terms: dict[str, object] = {
        "amount": Money(amount, XTR),
        "wagering_multiple": 5,
        "wagering_base": Money(amount, XTR),
        "expires_after": timedelta(days=7),
        "max_stake": Money(50, XTR),
        "campaign": "welcome",
        "budget": "welcome",
    }
    terms.update(changes)
    return BonusOffer(**terms)  # type: ignore[arg-type]


async def open_budget(casino: Casino, total: int = 1000, code: str = "welcome") -> None:
    async with casino.db() as uow:
        await uow.budgets.open(code, Money(total, XTR))
        await uow.commit()


async def grant(casino: Casino, player: int, offer: BonusOffer, key: str) -> object:
    async with casino.db() as uow:
        bonus = await grant_bonus(
            uow,
            casino.ids,
            player_id=player,
            offer=offer,
            key=key,
            now=casino.clock.now(),
            shards=SHARDS,
        )
        await uow.commit()
    return bonus


async def bonus_balance(casino: Casino, player: int) -> int:
    async with casino.db() as uow:
        account = await uow.accounts.bonus_account(player, XTR)
    return 0 if account is None else account.balance


async def test_a_grant_moves_the_bonus_from_promotions_into_the_bonus_account() -> None:
    casino = Casino()
    player = await casino.player(1, deposit=30)
    await open_budget(casino)
    bonus = await grant(casino, player, welcome(), "promo:welcome:1")
    assert bonus.state is BonusState.ACTIVE  # type: ignore[attr-defined]
    assert await bonus_balance(casino, player) == 100
    async with casino.db() as uow:
        assert (await uow.budgets.get("welcome")).spent == Money(100, XTR)
        wallet = await uow.accounts.wallet(player, XTR)
        assert wallet is not None
        assert wallet.balance == 30
        promotions = await uow.accounts.house_balance(AccountKind.PROMOTIONS, XTR)
        assert promotions == -100
    events = casino.db.state.events
    assert BonusGranted(bonus) in events  # type: ignore[arg-type]
    [posted] = [e.transaction for e in events if isinstance(e, TransactionPosted)][-1:]
    assert posted.kind is TransactionKind.GRANT
    assert posted.idempotency_key == f"bonus:{bonus.id}:grant"  # type: ignore[attr-defined]


async def test_a_repeated_key_returns_the_first_bonus_and_spends_nothing() -> None:
    casino = Casino()
    player = await casino.player(1)
    await open_budget(casino)
    first = await grant(casino, player, welcome(), "promo:welcome:1")
    again = await grant(casino, player, welcome(), "promo:welcome:1")
    assert again == first
    assert await bonus_balance(casino, player) == 100
    async with casino.db() as uow:
        assert (await uow.budgets.get("welcome")).spent == Money(100, XTR)
    with pytest.raises(IdempotencyConflict):
        await grant(casino, player, welcome(200), "promo:welcome:1")


async def test_one_active_bonus_per_player_and_currency() -> None:
    casino = Casino()
    player = await casino.player(1)
    await open_budget(casino)
    await grant(casino, player, welcome(), "promo:welcome:1")
    with pytest.raises(BonusActive):
        await grant(casino, player, welcome(), "promo:other:1")
    assert await bonus_balance(casino, player) == 100


async def test_a_grant_past_its_budget_gives_nothing() -> None:
    casino = Casino()
    player = await casino.player(1)
    await open_budget(casino, total=99)
    with pytest.raises(BudgetExhausted):
        await grant(casino, player, welcome(), "promo:welcome:1")
    assert await bonus_balance(casino, player) == 0
    assert casino.db.state.bonuses == {}


async def test_a_blocked_or_unconfirmed_player_gets_no_bonus() -> None:
    casino = Casino()
    blocked = await casino.player(1)
    await open_budget(casino)
    async with casino.db() as uow:
        await uow.players.set_status(blocked, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    with pytest.raises(StandingRefusal):
        await grant(casino, blocked, welcome(), "promo:welcome:1")
    assert casino.db.state.bonuses == {}
    async with casino.db() as uow:
        assert (await uow.budgets.get("welcome")).spent == Money(0, XTR)
