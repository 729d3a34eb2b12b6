"""Staff second factor and keys: a TOTP secret waits unconfirmed until its first valid code,
each code's time step is used once, and staff API keys may expire.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-02

`totp_pending_sealed` holds a new secret (sealed like `totp_sealed`) until a code from it
confirms it; only then does it replace `totp_sealed`, and only a confirmed secret is asked for
at login. `totp_last_step` is the last accepted code's RFC 6238 time step: a code of that step
or an earlier one is refused (no replay inside the window).
"""

from adapters.postgres.sqlscript import execute_script

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE staff ADD COLUMN totp_pending_sealed bytea;
ALTER TABLE staff ADD COLUMN totp_last_step bigint CHECK (totp_last_step >= 0);
ALTER TABLE staff_api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE staff_api_keys ADD CONSTRAINT staff_api_keys_expiry_check
    CHECK (expires_at IS NULL OR expires_at > created_at);
CREATE INDEX ix_staff_api_keys_staff ON staff_api_keys (staff_id, created_at DESC);
"""

DOWNGRADE = r"""
DROP INDEX ix_staff_api_keys_staff;
ALTER TABLE staff_api_keys DROP COLUMN expires_at;
ALTER TABLE staff DROP COLUMN totp_last_step;
ALTER TABLE staff DROP COLUMN totp_pending_sealed;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
