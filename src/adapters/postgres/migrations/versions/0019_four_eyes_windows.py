"""Four eyes per staff member and per player, not per request (issue 18).

Revision ID: 0019
Revises: 0015
Create Date: 2026-12-02

Small adjustments are recorded in adjustment_requests too now (approved at once), so that the
four-eyes rule can add up what one staff member posted and what one player received over its
window; two indexes serve those sums. Risk flags gain the kind `staff_chain`. Downgrading
refuses while a staff_chain flag exists: review and delete those first.
"""

from alembic import op

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None

# One statement a string: the driver runs one at a time (and the revision imports no project
# code, so not adapters.postgres.sqlscript).
UPGRADE = (
    """CREATE INDEX ix_adjustment_requests_staff_window
    ON adjustment_requests (requested_by, currency, requested_at)""",
    """CREATE INDEX ix_adjustment_requests_player_window
    ON adjustment_requests (player_id, currency, requested_at)""",
    "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check",
    """ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN (
    'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',
    'large_wager', 'staff_chain'))""",
)

DOWNGRADE = (
    "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check",
    """ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN (
    'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',
    'large_wager'))""",
    "DROP INDEX ix_adjustment_requests_player_window",
    "DROP INDEX ix_adjustment_requests_staff_window",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
