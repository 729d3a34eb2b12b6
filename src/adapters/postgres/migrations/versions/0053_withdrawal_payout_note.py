"""Crypto Pay payouts (issue 24, second part): what the payout gateway last said of an approved
withdrawal it did not pay.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-03

`withdrawals.payout_note`: why an approved withdrawal has not been paid by its gateway yet (the
provider refused the transfer, holds too little, or its answer was lost), for staff reading the
queue. Free text of 1-500 characters, set only while the withdrawal is approved (it stays once
paid or failed, as history). The existing guard already allows it to change (it guards what was
requested and the state machine). No new grant: the app role updates `withdrawals` already.
"""

from alembic import op

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE withdrawals ADD COLUMN payout_note text"
        " CHECK (length(payout_note) BETWEEN 1 AND 500)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE withdrawals DROP COLUMN payout_note")
