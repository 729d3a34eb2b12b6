"""Amounts at the limits: one operation moves at most its currency's cap, and a balance that
would leave the 64-bit range is a clear refusal that writes nothing (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.errors import InvalidAmount, LimitExceeded
from domain.money import INT64_MAX, TON, XTR, Money
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.mark.parametrize("currency", [XTR, TON])
async def test_a_deposit_is_capped_per_currency(
    new_player, credit, balances, unique_key, engine, currency
):
    player = await new_player(currencies=(currency,))
    cap = currency.max_single_amount
    done = await credit(CreditDepositCommand(player.id, Money(cap, currency), unique_key()))
    assert done.balance == Money(cap, currency)
    before = await row_counts(engine)
    for amount in (cap + 1, INT64_MAX):
        with pytest.raises(InvalidAmount, match="one operation moves at most"):
            await credit(CreditDepositCommand(player.id, Money(amount, currency), unique_key()))
    assert await row_counts(engine) == before
    assert await balances(player.id) == (Money(cap, currency),)


async def test_a_balance_that_would_leave_64_bits_is_a_clear_refusal(
    new_player, credit, balances, unique_key, engine
):
    # Thousands of capped postings could still walk an account to the edge; stand it there
    # directly (and put it back, so the books balance) rather than post for minutes.
    player = await new_player()
    wallet = f"SELECT id FROM accounts WHERE player_id = {player.id}"
    async with engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE accounts SET balance = :b WHERE id = ({wallet})"), {"b": INT64_MAX - 5}
        )
    try:
        before = await row_counts(engine)
        with pytest.raises(LimitExceeded, match="64-bit range"):
            await credit(CreditDepositCommand(player.id, Money(10, XTR), unique_key()))
        assert await row_counts(engine) == before
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"UPDATE accounts SET balance = 0 WHERE id = ({wallet})"))
    assert await balances(player.id) == (Money(0, XTR),)
