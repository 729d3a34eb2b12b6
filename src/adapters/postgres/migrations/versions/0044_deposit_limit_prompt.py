"""The prompt at the first deposit (issue 23, UKGC RTS 12): when the player answered it.

Revision ID: 0044
Revises: 0045
Create Date: 2026-12-03

`responsible_profiles.deposit_limit_prompt_answered_at` is set once, by
`application.responsible.deposit_prompt.AnswerDepositPrompt`, when the player chose "No limit
for now". A player who set a deposit limit counts as answered without it (the limit is the
answer), so the column stays NULL for them.
"""

from alembic import op

revision = "0044"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE responsible_profiles ADD COLUMN deposit_limit_prompt_answered_at timestamptz"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE responsible_profiles DROP COLUMN deposit_limit_prompt_answered_at")
