"""A risk flag for a Stars charge that does not match the invoice issued (issue 18).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02

Telegram reported a `successful_payment` for a payload never issued, in another currency or
for another amount: the charge is refunded, not credited, and flagged for a person to look at.
Downgrading refuses while a flag of that kind exists: resolve and delete those first.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

# One statement each, through alembic's op: no project code (tests/unit/test_migration_imports.py).
DROP = "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check"

UPGRADE = r"""
ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN (
    'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',
    'large_wager', 'staff_chain', 'payment_mismatch'))
"""

DOWNGRADE = r"""
ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN (
    'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',
    'large_wager', 'staff_chain'))
"""


def upgrade() -> None:
    op.execute(DROP)
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DROP)
    op.execute(DOWNGRADE)
