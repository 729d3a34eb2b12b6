"""Player preferences: language, the 18+/terms gate, referral codes; processed bot updates.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE player_preferences (
    player_id           bigint PRIMARY KEY REFERENCES players (id),
    language            text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    referral_code       text NOT NULL UNIQUE CHECK (referral_code ~ '^[a-z0-9]{6,16}$'),
    terms_accepted_at   timestamptz,
    referred_by         bigint REFERENCES players (id),
    CONSTRAINT ck_player_preferences_no_self_referral CHECK (referred_by <> player_id)
);
"""

DOWNGRADE = """
DROP TABLE player_preferences;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
