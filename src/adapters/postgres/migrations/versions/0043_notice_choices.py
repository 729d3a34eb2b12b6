"""Notifications (issue 23): what each player turned off, and notices withheld when due.

Revision ID: 0043
Revises: 0040
Create Date: 2026-12-03

`notice_choices` holds one row a player and topic they chose about (`enabled` false: turned
off); a player with no row gets every topic, the default. A required topic (withdrawals) can
never be off: the CHECK backs `domain.notifications.NoticeChoices`. A due notice of a topic
turned off, or a promotional one to a player the standing refuses promotions, ends `withheld`
instead of `sent` (bot_notices' state CHECK gains the value).
"""

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

CREATE_CHOICES = """
CREATE TABLE notice_choices (
    player_id bigint NOT NULL REFERENCES players (id),
    topic text NOT NULL CHECK (topic IN ('deposits', 'withdrawals', 'bonuses', 'crash_results', 'limits')),
    enabled boolean NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (player_id, topic),
    CONSTRAINT notice_choices_required_check CHECK (enabled OR topic <> 'withdrawals')
)
"""
STATES = "'waiting', 'due', 'sent', 'unreachable', 'failed'"


def _states(extra: str) -> None:
    op.execute("ALTER TABLE bot_notices DROP CONSTRAINT bot_notices_state_check")
    op.execute(
        "ALTER TABLE bot_notices ADD CONSTRAINT bot_notices_state_check"
        f" CHECK (state IN ({STATES}{extra}))"
    )


def upgrade() -> None:
    op.execute(CREATE_CHOICES)
    _states(", 'withheld'")


def downgrade() -> None:
    op.execute("UPDATE bot_notices SET state = 'failed' WHERE state = 'withheld'")
    _states("")
    op.execute("DROP TABLE notice_choices")
