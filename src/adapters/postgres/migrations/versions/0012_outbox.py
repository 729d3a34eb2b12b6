"""Events: the transactional outbox and its per-aggregate sequence counters.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from adapters.postgres.sqlscript import execute_script

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Every domain event, written in the same transaction as the change it describes. `id` is the
-- global order the relay publishes in; `sequence` numbers the events of one aggregate from 1
-- without gaps. A row is published once `published_at` is set.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid NOT NULL,
    type            text NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    version         integer NOT NULL CHECK (version > 0),
    aggregate_type  text NOT NULL CHECK (length(aggregate_type) BETWEEN 1 AND 50),
    aggregate_id    text NOT NULL CHECK (length(aggregate_id) BETWEEN 1 AND 100),
    sequence        bigint NOT NULL CHECK (sequence > 0),
    player_ids      bigint[] NOT NULL DEFAULT '{}',
    payload         jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    occurred_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    CONSTRAINT uq_outbox_event_id UNIQUE (event_id),
    CONSTRAINT uq_outbox_aggregate_sequence UNIQUE (aggregate_type, aggregate_id, sequence)
);
-- What the relay reads: the unpublished rows, in id order. Small, since it only holds the
-- backlog.
CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- The last sequence handed out per aggregate, for aggregates whose own row does not already
-- order their events (a player's wallet events come from transactions on different accounts).
-- Bumping it with INSERT ... ON CONFLICT DO UPDATE locks the row until commit, so two
-- transactions on one aggregate number and commit their events one after the other.
CREATE TABLE outbox_sequences (
    aggregate_type  text NOT NULL,
    aggregate_id    text NOT NULL,
    last_sequence   bigint NOT NULL CHECK (last_sequence > 0),
    CONSTRAINT pk_outbox_sequences PRIMARY KEY (aggregate_type, aggregate_id)
);

-- An event is history: only its publication is recorded, once. (Published rows may be deleted
-- by a future retention job; the relay never needs them again.)
CREATE FUNCTION outbox_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.published_at IS NOT NULL AND NEW.published_at IS DISTINCT FROM OLD.published_at
       OR (NEW.id, NEW.event_id, NEW.type, NEW.version, NEW.aggregate_type, NEW.aggregate_id,
           NEW.sequence, NEW.player_ids, NEW.payload, NEW.occurred_at, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.event_id, OLD.type, OLD.version, OLD.aggregate_type, OLD.aggregate_id,
           OLD.sequence, OLD.player_ids, OLD.payload, OLD.occurred_at, OLD.created_at) THEN
        RAISE EXCEPTION 'outbox event % cannot change', OLD.event_id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER outbox_guard BEFORE UPDATE ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_guard();
"""

DOWNGRADE = r"""
DROP TABLE outbox_sequences;
DROP TABLE outbox;
DROP FUNCTION outbox_guard();
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
