"""Outbox retention: `outbox_prune` deletes published rows older than a time, a range of ids
a call (issue 19).

Revision ID: 0028
Revises: 0024
Create Date: 2026-12-03

Published rows used to stay forever. `croupier outbox prune` now deletes the rows the relay
has published (its watermark sees them) and that were written before a time, through this
function, one short transaction per range of ids, so it never holds many locks for long and
never deletes an unpublished row. The app role has no DELETE on `outbox`: like the posting
functions, this one runs with its owner's rights and only the roles granted may call it
(`croupier db grant` grants it). `outbox_relay.pruned_before` records how far rows may be gone
(set in the same transaction as the deletes), so that reconciliation no longer looks for the
events of what is older (docs/operations.md, "Outbox retention").
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_SIGNATURE = "outbox_prune(timestamptz, bigint, bigint)"

# One statement each, through alembic's op: no project code (tests/unit/test_migration_imports.py).
ADD_HORIZON = "ALTER TABLE outbox_relay ADD COLUMN pruned_before timestamptz"

# Only rows before the range's first row written at or after `before` go: the rows deleted
# over a run are a prefix of the outbox by id (less the unpublished ones), so an aggregate
# loses its oldest events and never one between two it keeps (ids and sequences agree per
# aggregate, and the relay publishes an aggregate's events in order).
CREATE = r"""
CREATE FUNCTION outbox_prune(before timestamptz, first_id bigint, last_id bigint)
RETURNS TABLE (deleted bigint, reached boolean)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH relay AS (
        SELECT published_through, window_snapshot, window_position FROM outbox_relay
    ),
    boundary AS (
        SELECT coalesce(min(id), last_id + 1) AS id FROM outbox
        WHERE id BETWEEN first_id AND last_id AND created_at >= before
    ),
    horizon AS (
        UPDATE outbox_relay
        SET pruned_before = before
        WHERE pruned_before IS NULL OR pruned_before < before
    ),
    gone AS (
        DELETE FROM outbox o
        USING relay r, boundary b
        WHERE o.id >= first_id AND o.id < b.id
          AND (pg_visible_in_snapshot(o.tx, r.published_through)
               OR coalesce(pg_visible_in_snapshot(o.tx, r.window_snapshot)
                           AND o.id <= r.window_position, false))
        RETURNING o.id
    )
    SELECT (SELECT count(*) FROM gone), (SELECT b.id <= last_id FROM boundary b)
$$
"""

COMMENT = r"""
COMMENT ON FUNCTION outbox_prune(timestamptz, bigint, bigint) IS
'Deletes the outbox rows the relay has published (never an unpublished one) with ids from
first_id up to the first row of the range written at or after `before` (or last_id), and
records `before` in outbox_relay.pruned_before. deleted: how many; reached: whether the range
holds a row written at or after `before` (the caller stops there).'
"""

REVOKE = f"REVOKE EXECUTE ON FUNCTION {_SIGNATURE} FROM PUBLIC"


def upgrade() -> None:
    op.execute(ADD_HORIZON)
    op.execute(CREATE)
    op.execute(COMMENT)
    op.execute(REVOKE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {_SIGNATURE}")
    op.execute("ALTER TABLE outbox_relay DROP COLUMN pruned_before")
