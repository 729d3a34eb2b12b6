"""API keys of internal services (hashed).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE api_keys (
    key_id       text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
    name         text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    -- SHA-256 of the secret; the secret itself is never stored.
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    services     text[] NOT NULL CHECK (cardinality(services) > 0
                     AND services <@ ARRAY['wallet', 'betting', 'seamless']),
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
-- One active key per calling service: its name is also its identity as a seamless provider.
CREATE UNIQUE INDEX uq_api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
"""

DOWNGRADE = """
DROP TABLE api_keys;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
