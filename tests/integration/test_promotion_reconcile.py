"""Reconcile checks the promotion books (adapters/postgres/reconcile_promotions.py): each
check is clean on books made the proper way, then the books are broken on purpose, as the
owner role behind the application's back (the journal's triggers off), inside a transaction
that is rolled back, and the check names the damage. `croupier reconcile` reports it too, on
a database of its own. No bonus account goes negative: the accounts' CHECK refuses it even
to the owner, the ledger refuses a posting that would, and reconcile would name one."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from adapters.postgres.reconcile import _CHECKS
from domain.errors import InsufficientFunds
from domain.money import XTR, Money
from domain.promotions import Programme
from tests.promotion_postings import PromotionPostings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

CHECKS = dict(_CHECKS)
SPENT = "promotion budget's spent differs from the grants posted against it"
UNGRANTED = "bonus conversion or forfeit names no granted bonus"
OVERDRAWN = "bonus converted or forfeited more than it was granted"
HOUSE = "promotions account differs from its grants, forfeits and bonuses"
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@pytest.fixture
async def bonuses(uow_factory, ids, new_player):
    """A player's bonuses from a welcome budget of their own: 500 granted and converted,
    200 granted and forfeited, 100 granted and pending; and 40 of rakeback paid."""
    postings = PromotionPostings(uow_factory, ids)
    player = await new_player()
    welcome = f"welcome-{secrets.token_hex(4)}"
    rakeback = f"rakeback-{secrets.token_hex(4)}"
    await postings.budget(welcome, Money(10_000, XTR))
    await postings.budget(rakeback, Money(1_000, XTR))
    # One active bonus at a time (grant_bonus's rule): each ends before the next is granted.
    kept, _ = await postings.grant(player.id, Money(500, XTR), welcome, NOW)
    conversion = await postings.convert(player.id, kept, Money(500, XTR), NOW)
    lost, _ = await postings.grant(player.id, Money(200, XTR), welcome, NOW)
    forfeit = await postings.forfeit(player.id, lost, Money(200, XTR), NOW)
    pending, pending_grant = await postings.grant(player.id, Money(100, XTR), welcome, NOW)
    await postings.pay(player.id, Money(40, XTR), Programme.RAKEBACK, rakeback, NOW)
    return {
        "postings": postings,
        "player": player.id,
        "welcome": welcome,
        "kept": kept,
        "pending": pending,
        "pending_grant": pending_grant,
        "conversion": conversion,
        "forfeit": forfeit,
    }


async def broken(engine, check: str, *tampering: tuple[str, dict]) -> tuple[list, list]:
    """The check's rows before and after `tampering` (as the owner, the journal's triggers
    off), in one transaction that is then rolled back."""
    async with engine.connect() as conn:
        before = (await conn.execute(text(CHECKS[check]))).all()
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql, params in tampering:
            await conn.execute(text(sql), params)
        after = (await conn.execute(text(CHECKS[check]))).all()
        await conn.rollback()
    return before, after


def retagged(transaction_id: uuid.UUID, name: str, value: str) -> tuple[str, dict]:
    return (
        "UPDATE ledger_transactions SET metadata = jsonb_set(metadata, CAST(:path AS text[]),"
        " to_jsonb(CAST(:value AS text))) WHERE id = :id",
        {"path": [name], "value": value, "id": transaction_id},
    )


async def test_a_budget_spent_otherwise_than_its_grants_is_reported(engine, bonuses):
    welcome = bonuses["welcome"]
    before, after = await broken(
        engine,
        SPENT,
        ("UPDATE promotion_budgets SET spent = spent + 5 WHERE code = :c", {"c": welcome}),
        # A grant that names a budget nobody has: it spent nothing.
        retagged(bonuses["pending_grant"], "budget", "nobody"),
    )
    assert not [r for r in before if welcome in (r.budget, r.granted_budget)]
    rows = {(r.budget, r.granted_budget): r for r in after}
    assert (rows[(welcome, welcome)].spent, rows[(welcome, welcome)].granted) == (805, 700)
    assert (rows[(None, "nobody")].spent, rows[(None, "nobody")].granted) == (None, 100)


async def test_a_conversion_of_a_bonus_never_granted_is_reported(engine, bonuses):
    stranger = str(uuid.uuid4())
    before, after = await broken(
        engine, UNGRANTED, retagged(bonuses["conversion"], "bonus_id", stranger)
    )
    assert not [r for r in before if r.id == bonuses["conversion"]]
    assert [(r.kind, r.bonus_id) for r in after if r.id == bonuses["conversion"]] == [
        ("conversion", stranger)
    ]


async def test_a_bonus_converted_and_forfeited_past_its_grant_is_reported(engine, bonuses):
    kept = str(bonuses["kept"])
    # The 200 forfeit now claims the bonus of 500 that was converted whole: 700 out of 500.
    before, after = await broken(engine, OVERDRAWN, retagged(bonuses["forfeit"], "bonus_id", kept))
    assert not [r for r in before if r.bonus_id == kept]
    assert [(r.converted_or_forfeited, r.granted) for r in after if r.bonus_id == kept] == [
        (700, 500)
    ]


async def test_a_promotions_account_moved_by_anything_else_is_reported(engine, bonuses):
    before, after = await broken(
        engine,
        HOUSE,
        # The forfeit relabelled: the promotions account holds 200 no forfeit explains.
        (
            "UPDATE ledger_transactions SET kind = 'transfer' WHERE id = :id",
            {"id": bonuses["forfeit"]},
        ),
    )
    assert not [r for r in before if r.currency == "XTR"]
    [xtr] = [r for r in after if r.currency == "XTR"]
    assert xtr.balance - (xtr.forfeited - xtr.granted) == 200
    assert xtr.bonus_moved == xtr.bonus_expected  # the bonus flows still agree


async def test_the_promotions_account_is_checked_once():
    """The bonus checks and the promotion checks once each had their own check of the
    promotions account; it is one check now, holding both sides."""
    names = [name for name, _ in _CHECKS]
    assert len(names) == len(set(names))
    assert [n for n in names if n.startswith("promotions account")] == [HOUSE]


async def test_no_bonus_account_goes_negative(engine, bonuses):
    postings, player = bonuses["postings"], bonuses["player"]
    # The ledger refuses a conversion larger than the bonus account holds (100).
    with pytest.raises(InsufficientFunds):
        await postings.raw_conversion(player, bonuses["pending"], Money(101, XTR), NOW)
    find = "SELECT id FROM accounts WHERE player_id = :p AND kind = 'player_bonus'"
    negative = "UPDATE accounts SET balance = -1 WHERE id = :id"
    async with engine.connect() as conn:
        account = (await conn.execute(text(find), {"p": player})).scalar_one()
        # Even the owner, triggers off, cannot write a negative bonus balance.
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        with pytest.raises(IntegrityError, match="ck_accounts_balance_non_negative"):
            await conn.execute(text(negative), {"id": account})
        await conn.rollback()
        # Without that CHECK, reconcile would name the account.
        await conn.execute(
            text("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_balance_non_negative")
        )
        await conn.execute(text(negative), {"id": account})
        rows = (await conn.execute(text(CHECKS["forbidden negative balance"]))).all()
        await conn.rollback()
    assert [(r.kind, r.balance) for r in rows if r.id == account] == [("player_bonus", -1)]


async def test_croupier_reconcile_reports_the_promotion_books(fresh_books):
    books = await fresh_books("croupier_promotion_reconcile")
    postings = PromotionPostings(books.uow, books.ids)
    await postings.budget("welcome", Money(1_000, XTR))
    bonus, _ = await postings.grant(books.player_id, Money(300, XTR), "welcome", NOW)
    await postings.convert(books.player_id, bonus, Money(300, XTR), NOW)
    clean = await books.reconcile()
    assert clean.exit_code == 0, clean.output
    async with books.engine.begin() as conn:
        await conn.execute(text("UPDATE promotion_budgets SET spent = 301 WHERE code = 'welcome'"))
    result = await books.reconcile()
    assert result.exit_code == 1
    assert SPENT in result.output
    assert "'spent': 301" in result.output
    assert "Traceback" not in result.output
