"""The database keeps the invariants on its own, whatever code talks to it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from adapters.postgres.errors import sqlstate
from application.postings import CreditDepositCommand
from domain.money import XTR, Money


async def _fails(engine, sql, params=None) -> str:
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError) as caught:
            await conn.execute(text(sql), params or {})
        await conn.rollback()
    return sqlstate(caught.value)


async def test_wallet_balance_cannot_go_negative_even_by_hand(engine, new_player):
    player = await new_player()
    code = await _fails(
        engine, "UPDATE accounts SET balance = -1 WHERE player_id = :p", {"p": player.id}
    )
    assert code == "23514"  # check_violation


async def test_negative_policy_cannot_be_changed_per_row(engine, new_player):
    player = await new_player()
    code = await _fails(
        engine, "UPDATE accounts SET allow_negative = true WHERE player_id = :p", {"p": player.id}
    )
    assert code == "23514"


async def test_journal_is_append_only(engine, new_player, credit, unique_key):
    player = await new_player()
    posted = await credit(CreditDepositCommand(player.id, Money(3, XTR), unique_key()))
    tx = posted.transaction.id
    assert (
        await _fails(
            engine, "UPDATE ledger_legs SET amount = 1 WHERE transaction_id = :t", {"t": tx}
        )
        == "CR403"
    )
    assert (
        await _fails(engine, "DELETE FROM ledger_transactions WHERE id = :t", {"t": tx}) == "CR403"
    )


async def test_one_wallet_per_player_per_currency(engine, new_player):
    player = await new_player()
    async with engine.connect() as conn:
        with pytest.raises(IntegrityError):
            await conn.execute(
                text(
                    "INSERT INTO accounts (kind, currency, player_id, allow_negative) "
                    "VALUES ('player_wallet', 'XTR', :p, false)"
                ),
                {"p": player.id},
            )


async def test_ledger_post_refuses_unbalanced_legs_at_the_database(engine, new_player):
    player = await new_player()
    async with engine.connect() as conn:
        wallet = (
            await conn.execute(
                text("SELECT id FROM accounts WHERE player_id = :p"), {"p": player.id}
            )
        ).scalar_one()
    code = await _fails(
        engine,
        """SELECT * FROM ledger_post(gen_random_uuid(), 'deposit', 'unbalanced-x',
               decode(repeat('00', 32), 'hex'), '', '{}'::jsonb, now(),
               ARRAY[CAST(:w AS bigint), CAST(:w AS bigint) + 1], ARRAY['XTR','XTR'],
               ARRAY[5, -4]::bigint[])""",
        {"w": wallet},
    )
    assert code == "CR422"


async def test_legs_reference_real_accounts(engine):
    code = await _fails(
        engine,
        "INSERT INTO ledger_legs (transaction_id, account_id, currency, amount, balance_after) "
        "VALUES (gen_random_uuid(), 1, 'XTR', 1, 1)",
    )
    assert code == "23503"  # foreign_key_violation
