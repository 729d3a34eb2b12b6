"""The group owner's share of a lobby's cut (issue 23), as revision 0047 gave duels theirs.

Revision ID: 0052
Revises: 0050
Create Date: 2026-12-03

`duel_lobbies.owner_share_bps`: the basis points of the cut the group's owner gets, fixed when
the lobby is opened like its cut (a trigger refuses a change, as `duels_owner_share_fixed`
does for a duel; 0 for every lobby opened before). The owner's part itself is in the
settlement's legs and metadata (`owner_share`, `owner_id`), which reconcile checks against the
lobby's terms (adapters/postgres/reconcile_duels.py).

An index on the settled lobbies of a chat serves `/groupstats`, as `ix_duels_chat_settled`
serves it for duels.

Downgrading drops the index, the trigger and the column (the split of past settlements stays
in their postings).
"""

from alembic import op

revision = "0052"
down_revision = "0050"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
ALTER TABLE duel_lobbies ADD COLUMN owner_share_bps integer NOT NULL DEFAULT 0
    CONSTRAINT ck_duel_lobbies_owner_share_bps CHECK (owner_share_bps BETWEEN 0 AND 10000)
""",
    """
CREATE FUNCTION duel_lobbies_owner_share_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.owner_share_bps <> OLD.owner_share_bps THEN
        RAISE EXCEPTION 'the terms of lobby % cannot change', OLD.id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER duel_lobbies_owner_share_fixed BEFORE UPDATE ON duel_lobbies
    FOR EACH ROW EXECUTE FUNCTION duel_lobbies_owner_share_fixed()
""",
    "CREATE INDEX ix_duel_lobbies_chat_settled ON duel_lobbies (chat_id) WHERE state = 'settled'",
)

DOWNGRADE = (
    "DROP INDEX ix_duel_lobbies_chat_settled",
    "DROP TRIGGER duel_lobbies_owner_share_fixed ON duel_lobbies",
    "DROP FUNCTION duel_lobbies_owner_share_fixed()",
    "ALTER TABLE duel_lobbies DROP COLUMN owner_share_bps",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
