"""Crypto Pay payouts: the "sending" mark that closes the race between a payout run and staff
marking the same withdrawal failed (issue 24).

Revision ID: 0055
Revises: 0053
Create Date: 2026-12-03

`withdrawals.payout_sending_until`: set by a payout run under the withdrawal's row lock and
committed before it calls the provider's `transfer`; while it is set, staff cannot mark the
withdrawal failed (docs/payments-crypto.md, "The sending mark"). A time in the future is a run
sending now (its lease); a time past is a send whose outcome is not resolved yet (the answer
was lost, or the run died): the next run resolves it with `getTransfers`. Only an approved
withdrawal carries it: paying or failing it clears it, and the database refuses a paid or
failed row that still has one. No new grant: the app role updates `withdrawals` already, and
the existing guard lets the column change (it guards what was requested and the states).
"""

from alembic import op

revision = "0055"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE withdrawals ADD COLUMN payout_sending_until timestamptz,"
        " ADD CONSTRAINT ck_withdrawals_sending_only_approved"
        " CHECK (payout_sending_until IS NULL OR state = 'approved')"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_sending_only_approved,"
        " DROP COLUMN payout_sending_until"
    )
