"""Withdrawals: requests, their state machine, KYC status.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from adapters.postgres.sqlscript import execute_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = r"""
SELECT 1;
"""

DOWNGRADE = r"""
SELECT 1;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
