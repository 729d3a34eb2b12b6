"""Plinko joins the games: its row in games (a 1% house edge, at which its pay tables are paid
as written) and the shipped default limits per currency.

Revision ID: 0029
Revises: 0024
Create Date: 2026-12-03

Data only: a plinko bet stores its rows and risk in params and its path in outcome, as every
bet does. Limits follow 0002's defaults for the currencies this database has; staff tune them
with PATCH /api/v1/games/plinko. Downgrading refuses while a plinko bet exists (bets reference
their game, and bets are kept).
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    "INSERT INTO games (code, house_edge) VALUES ('plinko', 0.01)",
    """
    INSERT INTO game_limits (game, currency, min_stake, max_stake, max_payout)
    SELECT 'plinko', l.currency, l.min_stake, l.max_stake, l.max_payout
    FROM (VALUES
        ('XTR', 1, 10000, 1000000),
        ('TON', 10000000, 100000000000, 10000000000000),
        ('USDT', 100000, 1000000000, 100000000000),
        ('FUN', 100, 100000000, 10000000000)
    ) AS l(currency, min_stake, max_stake, max_payout)
    JOIN currencies c ON c.code = l.currency
    """,
)

# game_limits rows go with the game (ON DELETE CASCADE).
DOWNGRADE = ("DELETE FROM games WHERE code = 'plinko'",)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
