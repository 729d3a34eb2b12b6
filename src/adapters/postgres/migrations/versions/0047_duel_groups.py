"""The groups the bot runs duels in, and the group owner's share of a duel's cut (issue 23).

Revision ID: 0047
Revises: 0048
Create Date: 2026-12-03

`duel_groups` records each group the bot serves (domain/duel_groups.py, docs/duels.md, "The
groups"): the owner's Telegram id (the chat's creator at the check, NULL when not found),
whether an admin added the bot (NULL: not known, the group predates the record and was
verified on its first duel), when it was checked. Upserted at each check, never deleted.

`duels.owner_share_bps`: the basis points of the cut the group's owner gets, fixed when the
duel is made like the cut (a trigger refuses a change; 0 for every duel made before). The
owner's part itself is in the settlement's legs and metadata (`owner_share`, `owner_id`), which
reconcile checks against the duel's terms.

An index on the settled duels of a chat serves `/groupstats`.

Downgrading drops the table, the trigger and the column (the split of past settlements stays
in their postings).
"""

from alembic import op

revision = "0047"
down_revision = "0048"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
CREATE TABLE duel_groups (
    chat_id            bigint PRIMARY KEY,
    title              text NOT NULL CHECK (length(title) <= 255),
    owner_telegram_id  bigint,
    added_by_admin     boolean,
    checked_at         timestamptz NOT NULL
)
""",
    """
ALTER TABLE duels ADD COLUMN owner_share_bps integer NOT NULL DEFAULT 0
    CONSTRAINT ck_duels_owner_share_bps CHECK (owner_share_bps BETWEEN 0 AND 10000)
""",
    """
CREATE FUNCTION duels_owner_share_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owner_share_bps <> OLD.owner_share_bps THEN
        RAISE EXCEPTION 'the terms of duel % cannot change', OLD.id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER duels_owner_share_fixed BEFORE UPDATE ON duels
    FOR EACH ROW EXECUTE FUNCTION duels_owner_share_fixed()
""",
    "CREATE INDEX ix_duels_chat_settled ON duels (chat_id) WHERE state = 'settled'",
)

DOWNGRADE = (
    "DROP INDEX ix_duels_chat_settled",
    "DROP TRIGGER duels_owner_share_fixed ON duels",
    "DROP FUNCTION duels_owner_share_fixed()",
    "ALTER TABLE duels DROP COLUMN owner_share_bps",
    "DROP TABLE duel_groups",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
