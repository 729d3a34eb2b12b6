"""Telegram Stars payments: invoices and payments, refunds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from adapters.postgres.sqlscript import execute_script

revision = "0009"
down_revision = "0008"
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
