"""The public feed of big wins (issue 23): the opt-in topic `big_wins`.

Revision ID: 0048
Revises: 0046
Create Date: 2026-12-03

A player's consent to have their big wins posted in the operator's channel is a row of
`notice_choices` with topic `big_wins`, `enabled` true; no row (or false) is no consent, the
default (`domain.notifications.OPT_IN_TOPICS`). The topic's CHECK gains the value. The posts
themselves are `bot_notices` of kind `big_win.post`, one a bet (`big_win.post:{bet id}`).
"""

from alembic import op

revision = "0048"
down_revision = "0046"
branch_labels = None
depends_on = None

TOPICS = "'deposits', 'withdrawals', 'bonuses', 'crash_results', 'limits'"


def _topics(extra: str) -> None:
    op.execute("ALTER TABLE notice_choices DROP CONSTRAINT notice_choices_topic_check")
    op.execute(
        "ALTER TABLE notice_choices ADD CONSTRAINT notice_choices_topic_check"
        f" CHECK (topic IN ({TOPICS}{extra}))"
    )


def upgrade() -> None:
    _topics(", 'big_wins'")


def downgrade() -> None:
    op.execute("DELETE FROM notice_choices WHERE topic = 'big_wins'")
    _topics("")
