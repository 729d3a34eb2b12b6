"""Crypto Pay payouts: when the player was told their payout is delayed (issue 24).

Revision ID: 0059
Revises: 0056
Create Date: 2026-12-03

`withdrawals.payout_delayed_at`: set the first time the payout gateway could not pay an
approved withdrawal (certainly nothing sent: too little at the provider, a refusal, the
provider down before sending), in the unit of work that raises `withdrawal.payout_delayed`,
the player's notice. Set once, so the player is told once however many payout runs find it
still unpaid (docs/payments-crypto.md, "What the player is told"). Only a withdrawal that was
approved carries it. No new grant: the app role updates `withdrawals` already.
"""

from alembic import op

revision = "0059"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE withdrawals ADD COLUMN payout_delayed_at timestamptz,"
        " ADD CONSTRAINT ck_withdrawals_delayed_only_approved"
        " CHECK (payout_delayed_at IS NULL OR approved_at IS NOT NULL)"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_delayed_only_approved,"
        " DROP COLUMN payout_delayed_at"
    )
