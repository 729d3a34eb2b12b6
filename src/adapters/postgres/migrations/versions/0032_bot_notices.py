"""Bot notices: the messages the bot sends a player first, and the players it cannot reach
(issue 21: crash results; the foundation of issue 23's notification queue).

Revision ID: 0032
Revises: 0030
Create Date: 2026-12-03

A notice is one message to one player, named by a `dedup_key` (`crash.result:{bet id}`): the
key is unique, so a notice asked for twice (an event delivered again, two instances) is one
row and one message. It is `waiting` until what it tells is known (a crash bet's round has not
crashed), `due` once it may be sent (from `not_before`: a 429's `retry_after` moves it), then
`sent`, `unreachable` (the player blocked the bot) or `failed` (given up after retries).
`bot_unreachable` holds the players who blocked the bot: nothing is sent to them until they
write to it again.
"""

from alembic import op

revision = "0032"
down_revision = "0030"
branch_labels = None
depends_on = None

CREATE_NOTICES = """
CREATE TABLE bot_notices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key text NOT NULL UNIQUE CHECK (length(dedup_key) BETWEEN 1 AND 200),
    player_id bigint NOT NULL REFERENCES players (id),
    kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    data jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object'),
    state text NOT NULL DEFAULT 'waiting'
        CHECK (state IN ('waiting', 'due', 'sent', 'unreachable', 'failed')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    not_before timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
)
"""
# The sender's queue, and what an event fills in ("crash_round:42").
DUE_INDEX = "CREATE INDEX ix_bot_notices_due ON bot_notices (not_before, id) WHERE state = 'due'"
WAITING_INDEX = (
    "CREATE INDEX ix_bot_notices_waiting ON bot_notices (subject) WHERE state = 'waiting'"
)
PLAYER_INDEX = "CREATE INDEX ix_bot_notices_player ON bot_notices (player_id)"
CREATE_UNREACHABLE = """
CREATE TABLE bot_unreachable (
    player_id bigint PRIMARY KEY REFERENCES players (id),
    since timestamptz NOT NULL,
    reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500)
)
"""


def upgrade() -> None:
    op.execute(CREATE_NOTICES)
    op.execute(DUE_INDEX)
    op.execute(WAITING_INDEX)
    op.execute(PLAYER_INDEX)
    op.execute(CREATE_UNREACHABLE)


def downgrade() -> None:
    op.execute("DROP TABLE bot_unreachable")
    op.execute("DROP TABLE bot_notices")
