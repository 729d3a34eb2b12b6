"""Reconcile's bonus checks (docs/bonuses.md, "Reconcile"): quiet on books that every bonus
use case wrote (the `books` fixture runs them after every test), loud on a bonus row that no
posting backs, and so is the promotions account's one check (which holds the bonus flows
beside the journal's grants and forfeits). The tampering happens in a transaction that is
rolled back."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from adapters.postgres.reconcile_bonuses import BONUS_CHECKS
from adapters.postgres.reconcile_promotions import PROMOTION_CHECKS
from tests.integration.test_bonuses import budget, grant, offer  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _broken(conn) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = {}
    for name, sql in (*BONUS_CHECKS, *PROMOTION_CHECKS):
        rows = [dict(r._mapping) for r in await conn.execute(text(sql))]
        if rows:
            found[name] = rows
    return found


async def test_a_bonus_no_posting_backs_is_found_by_every_bonus_check(
    new_player,
    budget,  # noqa: F811 - the fixture imported above
    grant,  # noqa: F811
    engine,
):
    player = await new_player()
    other = await new_player()
    bonus = await grant(player.id, offer(await budget()), f"promo:rec:{player.id}")
    async with engine.connect() as conn:
        assert await _broken(conn) == {}
    async with engine.connect() as conn, conn.begin() as tx:
        # A second player's "bonus" pointing at the first one's grant: money nobody moved.
        await conn.execute(
            text(
                "INSERT INTO bonuses (id, player_id, key, currency, amount,"
                " wagering_required, campaign, budget, granted_at, expires_at,"
                " grant_transaction_id)"
                " SELECT :new, :other, key || '-forged', currency, amount, wagering_required,"
                " campaign, budget, granted_at, expires_at, grant_transaction_id"
                " FROM bonuses WHERE id = :id"
            ),
            {"new": uuid.uuid4(), "other": other.id, "id": bonus.id},
        )
        broken = await _broken(conn)
        await tx.rollback()
    assert set(broken) == {
        "bonus account differs from the player's active bonuses",
        "bonus does not have exactly its grant and, once ended, its one end",
        "promotions account differs from its grants, forfeits and bonuses",
    }, broken
    [row] = broken["bonus account differs from the player's active bonuses"]
    assert (row["player_id"], row["balance"], row["active"]) == (other.id, 0, 100)
    # The forged bonus claims a grant of 100 the promotions account never paid.
    [house] = [
        r
        for r in broken["promotions account differs from its grants, forfeits and bonuses"]
        if r["currency"] == "XTR"
    ]
    assert house["bonus_expected"] - house["bonus_moved"] == -100
    assert house["balance"] == house["forfeited"] - house["granted"]
