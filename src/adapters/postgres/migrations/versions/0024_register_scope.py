"""Service API keys may be granted the "register" scope: PlayersService.EnsurePlayer.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02

An internal service that fronts its own bot or site makes its players with EnsurePlayer; the
grant is its own scope, so a key that records terms ("players") does not create players.
Downgrading refuses while a key names the scope (the old check fails): revoke and delete such
keys first.
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    "ALTER TABLE api_keys DROP CONSTRAINT api_keys_services_check",
    "ALTER TABLE api_keys ADD CONSTRAINT api_keys_services_check CHECK (cardinality(services) > 0"
    " AND services <@ ARRAY['wallet', 'betting', 'seamless', 'players', 'dice', 'register'])",
)

DOWNGRADE = (
    "ALTER TABLE api_keys DROP CONSTRAINT api_keys_services_check",
    "ALTER TABLE api_keys ADD CONSTRAINT api_keys_services_check CHECK (cardinality(services) > 0"
    " AND services <@ ARRAY['wallet', 'betting', 'seamless', 'players', 'dice'])",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
