"""Bonuses on the real database: a grant posts once and records its row, racing grants for one
player leave one active bonus, and the table refuses what the domain refuses (a second active
bonus, a second end, a changed term, a delete). The books reconcile after every test."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.bonuses import grant_bonus
from domain.bonuses import Bonus, BonusActive, BonusOffer, BonusState
from domain.errors import IdempotencyConflict, IllegalTransition
from domain.money import XTR, Money
from tests.conftest import TEST_HOUSE_SHARDS, race

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def offer(budget: str, amount: int = 100) -> BonusOffer:
    return BonusOffer(
        amount=Money(amount, XTR),
        wagering_multiple=5,
        wagering_base=Money(amount, XTR),
        expires_after=timedelta(days=7),
        max_stake=Money(50, XTR),
        campaign="welcome",
        budget=budget,
    )


@pytest.fixture
def budget(uow_factory):
    async def make(total: int = 10_000) -> str:
        code = f"bonus-{uuid.uuid4().hex[:12]}"
        async with uow_factory() as uow:
            await uow.budgets.open(code, Money(total, XTR))
            await uow.commit()
        return code

    return make


@pytest.fixture
def grant(uow_factory, ids, clock):
    async def run(player_id: int, terms: BonusOffer, key: str) -> Bonus:
        async with uow_factory() as uow:
            bonus = await grant_bonus(
                uow,
                ids,
                player_id=player_id,
                offer=terms,
                key=key,
                now=clock.now(),
                shards=TEST_HOUSE_SHARDS,
            )
            await uow.commit()
        return bonus

    return run


async def bonus_balance(uow_factory, player_id: int) -> int:
    async with uow_factory() as uow:
        account = await uow.accounts.bonus_account(player_id, XTR)
    return 0 if account is None else account.balance


async def test_a_grant_is_stored_once_and_read_back_as_granted(
    new_player, budget, grant, uow_factory
):
    player = await new_player()
    code = await budget()
    key = f"promo:welcome:{player.id}"
    bonus = await grant(player.id, offer(code), key)
    assert await grant(player.id, offer(code), key) == bonus
    async with uow_factory() as uow:
        assert await uow.bonuses.get(bonus.id) == bonus
        assert await uow.bonuses.by_key(key) == bonus
        assert await uow.bonuses.active_of(player.id, XTR) == bonus
        assert await uow.bonuses.of_player(player.id, limit=5) == [bonus]
        assert (await uow.budgets.get(code)).spent == Money(100, XTR)
    assert await bonus_balance(uow_factory, player.id) == 100
    with pytest.raises(IdempotencyConflict):
        await grant(player.id, offer(code, 200), key)


async def test_racing_grants_for_one_player_leave_one_active_bonus(
    new_player, budget, grant, uow_factory
):
    player = await new_player()
    code = await budget()
    results = await race(8, lambda i: grant(player.id, offer(code), f"promo:race-{i}:{player.id}"))
    granted = [r for r in results if isinstance(r, Bonus)]
    assert len(granted) == 1, results
    assert all(isinstance(r, BonusActive) for r in results if not isinstance(r, Bonus))
    same_key = await race(8, lambda i: grant(player.id, offer(code), granted[0].key))
    assert same_key == [granted[0]] * 8
    assert await bonus_balance(uow_factory, player.id) == 100
    async with uow_factory() as uow:
        assert (await uow.budgets.get(code)).spent == Money(100, XTR)


async def test_the_table_refuses_a_second_end_a_changed_term_and_a_delete(
    new_player, budget, grant, uow_factory, engine, clock, ids
):
    player = await new_player()
    bonus = await grant(player.id, offer(await budget()), f"promo:x:{player.id}")
    # The row is ended by hand (no posting) inside a transaction rolled back at the end, so
    # the books stay whole for reconcile.
    async with engine.connect() as conn:
        outer = await conn.begin()
        await conn.execute(
            text(
                "UPDATE bonuses SET state = 'forfeited', ended_at = now(),"
                " end_transaction_id = grant_transaction_id, forfeit_reason = 'given_up'"
                " WHERE id = :id"
            ),
            {"id": bonus.id},
        )
        refused = [
            "UPDATE bonuses SET state = 'active', ended_at = NULL, end_transaction_id = NULL,"
            " forfeit_reason = NULL WHERE id = :id",
            "UPDATE bonuses SET state = 'converted', forfeit_reason = NULL WHERE id = :id",
            "UPDATE bonuses SET forfeit_reason = 'withdrawal' WHERE id = :id",
            "UPDATE bonuses SET amount = 1 WHERE id = :id",
            "DELETE FROM bonuses WHERE id = :id",
            "UPDATE bonuses SET state = 'expired', forfeit_reason = 'given_up' WHERE id = :id",
        ]
        for statement in refused:
            savepoint = await conn.begin_nested()
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), {"id": bonus.id})
            await savepoint.rollback()
        await outer.rollback()
    # The domain's save refuses an end from a state the row has left.
    async with uow_factory() as uow:
        converted = bonus.convert(clock.now(), bonus.progress(10**9), ids.new_id())
        with pytest.raises(IllegalTransition):
            await uow.bonuses.save(converted, BonusState.FORFEITED)
        assert (await uow.bonuses.get(bonus.id)).state is BonusState.ACTIVE


async def test_two_active_rows_for_one_player_and_currency_are_refused(
    new_player, budget, grant, engine
):
    player = await new_player()
    bonus = await grant(player.id, offer(await budget()), f"promo:y:{player.id}")
    with pytest.raises(DBAPIError, match="uq_bonuses_active"):
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO bonuses (id, player_id, key, currency, amount,"
                    " wagering_required, campaign, budget, granted_at, expires_at,"
                    " grant_transaction_id)"
                    " SELECT :new, player_id, key || '-2', currency, amount, wagering_required,"
                    " campaign, budget, granted_at, expires_at, grant_transaction_id"
                    " FROM bonuses WHERE id = :id"
                ),
                {"new": uuid.uuid4(), "id": bonus.id},
            )
