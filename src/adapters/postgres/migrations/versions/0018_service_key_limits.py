"""Service API keys get an optional expiry, per-currency caps, and the "dice" scope.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02

`caps` maps a currency code to the largest amount (minor units) one call of the key may bring
into a player's wallet (a deposit, a seamless credit); a currency it does not name is refused,
so keys issued before this revision move no money until re-issued with caps (see
docs/security.md, "Service API keys"). `daily_caps` bounds the same per currency and UTC day,
counted in `api_key_usage` by the unit of work that moves the money; `free_round_budget` what
declared free rounds may pay per currency and UTC day (counted there as `free:<currency>`). "dice" is the scope of
settling a Telegram dice bet on a submitted value. Downgrading refuses while a key names the
dice scope (the old check fails): revoke and delete such keys first.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    "ALTER TABLE api_keys ADD COLUMN expires_at timestamptz",
    "ALTER TABLE api_keys ADD COLUMN caps jsonb NOT NULL DEFAULT '{}'::jsonb"
    " CONSTRAINT api_keys_caps_check CHECK (jsonb_typeof(caps) = 'object')",
    "ALTER TABLE api_keys ADD COLUMN daily_caps jsonb NOT NULL DEFAULT '{}'::jsonb"
    " CONSTRAINT api_keys_daily_caps_check CHECK (jsonb_typeof(daily_caps) = 'object')",
    "ALTER TABLE api_keys ADD COLUMN free_round_budget jsonb NOT NULL DEFAULT '{}'::jsonb"
    " CONSTRAINT api_keys_free_round_budget_check"
    " CHECK (jsonb_typeof(free_round_budget) = 'object')",
    "ALTER TABLE api_keys DROP CONSTRAINT api_keys_services_check",
    "ALTER TABLE api_keys ADD CONSTRAINT api_keys_services_check CHECK (cardinality(services) > 0"
    " AND services <@ ARRAY['wallet', 'betting', 'seamless', 'players', 'dice'])",
    "CREATE TABLE api_key_usage (key_name text NOT NULL, currency text NOT NULL,"
    " day date NOT NULL, total bigint NOT NULL CHECK (total > 0),"
    " PRIMARY KEY (key_name, currency, day))",
)

DOWNGRADE = (
    "DROP TABLE api_key_usage",
    "ALTER TABLE api_keys DROP CONSTRAINT api_keys_services_check",
    "ALTER TABLE api_keys ADD CONSTRAINT api_keys_services_check CHECK (cardinality(services) > 0"
    " AND services <@ ARRAY['wallet', 'betting', 'seamless', 'players'])",
    "ALTER TABLE api_keys DROP COLUMN free_round_budget",
    "ALTER TABLE api_keys DROP COLUMN daily_caps",
    "ALTER TABLE api_keys DROP COLUMN caps",
    "ALTER TABLE api_keys DROP COLUMN expires_at",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
