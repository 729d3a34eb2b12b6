"""The largest limit in the database (revision 0049): whatever code writes a limit, a deposit,
loss or wager limit (or a pending raise) over a billion whole units of its currency is refused
(`domain.responsible.max_limit` is the same bound)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.errors import sqlstate
from tests.integration.test_migrations import scratch_database  # noqa: F401

_INSERT = text(
    "INSERT INTO responsible_profiles (player_id, created_at) VALUES (:p, now())"
    " ON CONFLICT DO NOTHING"
)
_LIMIT = text(
    "INSERT INTO responsible_limits (player_id, kind, period, currency, amount, set_at,"
    " pending_amount, pending_requested_at) VALUES (:p, 'deposit', '24h', :c, :amount, now(),"
    " :pending, CASE WHEN CAST(:pending AS bigint) IS NULL THEN NULL ELSE now() END)"
)


async def _write(engine, player_id: int, currency: str, amount: int, pending=None) -> str | None:
    async with engine.connect() as conn:
        await conn.execute(_INSERT, {"p": player_id})
        try:
            await conn.execute(
                _LIMIT,
                {"p": player_id, "c": currency, "amount": amount, "pending": pending},
            )
        except DBAPIError as error:
            await conn.rollback()
            return sqlstate(error)
        await conn.rollback()  # leave nothing behind
    return None


@pytest.mark.parametrize(
    ("currency", "amount", "pending", "refused"),
    [
        ("XTR", 1_000_000_000, None, False),
        ("XTR", 1_000_000_001, None, True),
        ("XTR", 100, 1_000_000_001, True),  # a pending raise past the bound
        ("XTR", 100, 1_000_000_000, False),
        ("TON", 10**18, None, False),  # 10**9 TON: 9 decimals
        ("TON", 10**18 + 1, None, True),
    ],
)
async def test_the_table_refuses_a_limit_over_the_bound(
    engine, new_player, currency, amount, pending, refused
):
    player = await new_player()
    code = await _write(engine, player.id, currency, amount, pending)
    assert code == ("23514" if refused else None)  # check_violation


async def test_0049_lowers_a_limit_over_the_bound_and_keeps_the_rest(scratch_database):  # noqa: F811
    """Rows written before the bound: a limit over it is lowered to it (more protection, at
    once), a pending raise over it becomes a raise to the bound or goes when the limit is
    there already; a limit under it, and a pending removal, stay as they were."""
    from adapters.postgres import migrate
    from adapters.postgres.engine import create_engine

    migrate.upgrade(scratch_database, "0044")
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    limit = text(
        "INSERT INTO responsible_limits (player_id, kind, period, currency, amount, set_at,"
        " pending_amount, pending_requested_at) VALUES (:p, :kind, :period, 'XTR', :amount,"
        " now(), :pending, CAST(:requested AS timestamptz))"
    )
    big, top = 5_000_000_000, 1_000_000_000
    asked = datetime(2026, 12, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            new = (
                "INSERT INTO players (telegram_user_id, created_at) VALUES (7, now()) RETURNING id"
            )
            player = (await conn.execute(text(new))).scalar_one()
            await conn.execute(
                text("INSERT INTO responsible_profiles (player_id, created_at) VALUES (:p, now())"),
                {"p": player},
            )
            rows = [
                ("deposit", "24h", big, None, None),  # over: lowered
                ("deposit", "7d", 100, big, asked),  # raise over: a raise to the bound
                ("deposit", "30d", big, big + 1, asked),  # both over: no raise left
                ("loss", "24h", 100, None, asked),  # a pending removal: kept
                ("wager", "24h", 100, 500, asked),  # under: kept
            ]
            for kind, period, amount, pending, requested in rows:
                await conn.execute(
                    limit,
                    {"p": player, "kind": kind, "period": period, "amount": amount,
                     "pending": pending, "requested": requested},
                )  # fmt: skip
        migrate.upgrade(scratch_database, "0049")
        query = text(
            "SELECT kind, period, amount, pending_amount, pending_requested_at IS NOT NULL"
            " FROM responsible_limits ORDER BY kind, period"
        )
        async with engine.connect() as conn:
            after = [tuple(r) for r in await conn.execute(query)]
        assert after == [
            ("deposit", "24h", top, None, False),
            ("deposit", "30d", top, None, False),
            ("deposit", "7d", 100, top, True),
            ("loss", "24h", 100, None, True),
            ("wager", "24h", 100, 500, True),
        ]
        migrate.downgrade(scratch_database, "0044")
    finally:
        await engine.dispose()
