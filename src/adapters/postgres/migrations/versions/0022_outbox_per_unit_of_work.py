"""The outbox: one row per unit of work holding its events, published by watermark (issue 19).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02

Before: one row per event, each INSERTed and then UPDATEd (`published_at`) by the relay. Now:
one row per call of `outbox_append(events)` (one per unit of work: a bet placed and settled
at once is one row with its `bet.placed`, `bet.settled` and the wallet's
`ledger.transaction_posted` events), never updated. The relay remembers how far it published
in the one row of `outbox_relay`: `published_through` is a transaction snapshot, and every
outbox row whose transaction is visible in it is published (`tx` is the writing transaction's
id). Rows are ordered by `id`, but a row may commit after one with a larger id; publishing by
snapshot rather than by id never skips such a row (docs/events.md, "The relay").
`outbox_events` shows the events one per row, with whether they are published.

Upgrading keeps every event (ids kept; published ones marked published, the others are owed).
Downgrading turns them back into one row per event, `published_at` set for published ones.
"""

from adapters.postgres.sqlscript import execute_script

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE outbox_next (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    -- The writing transaction, for the relay's snapshot watermark.
    tx          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    -- The unit of work's event envelopes, in the order raised (docs/events.md).
    events      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_outbox PRIMARY KEY (id),
    CONSTRAINT ck_outbox_events
        CHECK (jsonb_typeof(events) = 'array' AND jsonb_array_length(events) > 0)
);

-- Published rows (old ones) get a transaction id below every snapshot's horizon; the owed ones
-- this migration's own, which the relay's first snapshot below does not see yet.
INSERT INTO outbox_next (id, tx, events, created_at) OVERRIDING SYSTEM VALUE
SELECT id,
       CASE WHEN published_at IS NULL THEN pg_current_xact_id() ELSE CAST('3' AS xid8) END,
       jsonb_build_array(jsonb_build_object(
           'event_id', event_id, 'type', type, 'version', version,
           'aggregate_type', aggregate_type, 'aggregate_id', aggregate_id, 'sequence', sequence,
           'occurred_at', to_char(occurred_at AT TIME ZONE 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           'player_ids', to_jsonb(player_ids), 'data', payload)),
       created_at
FROM outbox;

SELECT setval(pg_get_serial_sequence('outbox_next', 'id'),
              coalesce((SELECT max(id) FROM outbox_next), 0) + 1, false);

DROP TABLE outbox;
DROP FUNCTION outbox_guard();
ALTER TABLE outbox_next RENAME TO outbox;
ALTER SEQUENCE outbox_next_id_seq RENAME TO outbox_id_seq;
-- What the relay scans: rows of transactions at or after its watermark's horizon.
CREATE INDEX ix_outbox_tx ON outbox (tx);

-- The relay's watermark, one row, written by the relay holding its lock. Every outbox row
-- whose transaction `published_through` sees is published. While a backlog is published in
-- batches, `window_snapshot` is the snapshot being worked through and `window_position` the
-- last id published of it.
CREATE TABLE outbox_relay (
    singleton         boolean NOT NULL DEFAULT true,
    published_through pg_snapshot NOT NULL,
    window_snapshot   pg_snapshot,
    window_position   bigint NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_outbox_relay PRIMARY KEY (singleton),
    CONSTRAINT ck_outbox_relay_singleton CHECK (singleton)
);
INSERT INTO outbox_relay (published_through)
VALUES (CAST(pg_current_xact_id() || ':' || pg_current_xact_id() || ':' AS pg_snapshot));

-- The one way events are written: one row holding `events` (a JSON array of envelopes).
-- An envelope without a numeric "sequence" is numbered here, the next of its aggregate, from
-- outbox_sequences, whose row stays locked until commit; so per aggregate the sequence order,
-- the outbox id order and the commit order agree. Returns the row's id (NULL: no events).
CREATE FUNCTION outbox_append(events jsonb) RETURNS bigint LANGUAGE sql AS $$
    WITH input AS (
        SELECT e.value, e.n,
               e.value ->> 'aggregate_type' AS aggregate_type,
               e.value ->> 'aggregate_id' AS aggregate_id,
               jsonb_typeof(e.value -> 'sequence') IS DISTINCT FROM 'number' AS numbered
        FROM jsonb_array_elements(events) WITH ORDINALITY AS e(value, n)
    ),
    ranked AS (
        SELECT i.*, row_number() OVER (
                   PARTITION BY i.aggregate_type, i.aggregate_id, i.numbered ORDER BY i.n) AS rank
        FROM input i
    ),
    counts AS (
        SELECT aggregate_type, aggregate_id, count(*) AS n
        FROM ranked WHERE numbered
        GROUP BY aggregate_type, aggregate_id
    ),
    bumped AS (
        INSERT INTO outbox_sequences AS s (aggregate_type, aggregate_id, last_sequence)
        SELECT aggregate_type, aggregate_id, n FROM counts ORDER BY aggregate_type, aggregate_id
        ON CONFLICT (aggregate_type, aggregate_id)
            DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
        RETURNING aggregate_type, aggregate_id, last_sequence
    )
    INSERT INTO outbox (events)
    SELECT jsonb_agg(
               CASE WHEN r.numbered
                    THEN r.value || jsonb_build_object('sequence', b.last_sequence - c.n + r.rank)
                    ELSE r.value END
               ORDER BY r.n)
    FROM ranked r
    LEFT JOIN counts c ON r.numbered AND c.aggregate_type = r.aggregate_type
                      AND c.aggregate_id = r.aggregate_id
    LEFT JOIN bumped b ON r.numbered AND b.aggregate_type = r.aggregate_type
                      AND b.aggregate_id = r.aggregate_id
    HAVING count(*) > 0
    RETURNING id
$$;

-- The events one per row, for reconciliation, tests and people: `position` is the outbox
-- row, `place` the event's place in it.
CREATE VIEW outbox_events AS
SELECT o.id AS position, e.n AS place,
       CAST(e.value ->> 'event_id' AS uuid) AS event_id,
       e.value ->> 'type' AS type,
       CAST(e.value ->> 'version' AS integer) AS version,
       e.value ->> 'aggregate_type' AS aggregate_type,
       e.value ->> 'aggregate_id' AS aggregate_id,
       CAST(e.value ->> 'sequence' AS bigint) AS sequence,
       ARRAY(SELECT CAST(p AS bigint)
             FROM jsonb_array_elements_text(e.value -> 'player_ids') AS p) AS player_ids,
       e.value -> 'data' AS payload,
       CAST(e.value ->> 'occurred_at' AS timestamptz) AS occurred_at,
       o.created_at,
       pg_visible_in_snapshot(o.tx, r.published_through)
           OR coalesce(pg_visible_in_snapshot(o.tx, r.window_snapshot)
                       AND o.id <= r.window_position, false) AS published
FROM outbox o
CROSS JOIN outbox_relay r
CROSS JOIN LATERAL jsonb_array_elements(o.events) WITH ORDINALITY AS e(value, n);
"""

DOWNGRADE = r"""
DROP VIEW outbox_events;
DROP FUNCTION outbox_append(jsonb);
ALTER TABLE outbox RENAME TO outbox_gone;
ALTER SEQUENCE outbox_id_seq RENAME TO outbox_gone_id_seq;

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
CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

INSERT INTO outbox (event_id, type, version, aggregate_type, aggregate_id, sequence, player_ids,
                    payload, occurred_at, created_at, published_at)
SELECT CAST(e.value ->> 'event_id' AS uuid), e.value ->> 'type',
       CAST(e.value ->> 'version' AS integer), e.value ->> 'aggregate_type',
       e.value ->> 'aggregate_id', CAST(e.value ->> 'sequence' AS bigint),
       ARRAY(SELECT CAST(p AS bigint) FROM jsonb_array_elements_text(e.value -> 'player_ids') p),
       e.value -> 'data', CAST(e.value ->> 'occurred_at' AS timestamptz), o.created_at,
       CASE WHEN pg_visible_in_snapshot(o.tx, r.published_through)
                 OR coalesce(pg_visible_in_snapshot(o.tx, r.window_snapshot)
                             AND o.id <= r.window_position, false)
            THEN now() END
FROM outbox_gone o
CROSS JOIN outbox_relay r
CROSS JOIN LATERAL jsonb_array_elements(o.events) WITH ORDINALITY AS e(value, n)
ORDER BY o.id, e.n;

DROP TABLE outbox_gone;
DROP TABLE outbox_relay;

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


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
