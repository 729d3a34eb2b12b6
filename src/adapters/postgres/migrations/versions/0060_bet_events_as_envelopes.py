"""A bet's events reach the outbox as envelopes, numbered in their text (issue 19).

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-03

`outbox_append(events jsonb)` numbers the events of an aggregate (a player's ledger events) by
taking the row's JSON array apart (`jsonb_array_elements`), adding `sequence` to each numbered
envelope (`||`) and building the array again (`jsonb_agg`), and PostgreSQL then compressed
the ~2 KB of JSON a coin bet writes (pglz). Measured on a 32-bet row of 96 envelopes (62 KB),
300 calls in a loop: taking apart and building again ~0.55 ms a row, the compression ~0.4 ms,
the parse ~0.25 ms; with the statement's other work, `outbox_append` was ~50-75 µs a bet of
`place_bets`' ~220-320 µs (pg_stat_statements, track = all; bench/README.md, "PostgreSQL's
CPU a bet, statement by statement").

Now `place_bets` takes the envelopes as text, each on its own (`p_envelopes text[]`), with the
aggregate of each one the outbox numbers (`p_event_types`, `p_event_ids`; NULL: numbered
already), and `outbox_append_envelopes` writes each number over its envelope's
`"sequence":null` and parses the row once. The numbers are the same as `outbox_append`'s (one
counter per aggregate in `outbox_sequences`, locked in aggregate order, consecutive in the
row's order; tests/integration/test_outbox_envelopes.py compares the two). The row is still
compressed: storing `outbox.events` uncompressed (STORAGE EXTERNAL) saved another ~8 µs of
CPU a bet but took 4.6 times the bytes, and published rows are kept 30 days by default
(`CROUPIER_OUTBOX_RETENTION_DAYS`, the events' history): not done.

`place_bets` and `place_round_bets` change their arguments, so they are dropped and created
again from their current text with these edits only (checked to be found once each), and
whoever could execute them (`croupier db grant`) still can: the grants are copied. The other
use cases keep `outbox_append(jsonb)`.
"""

from alembic import op
from sqlalchemy import text

revision = "0060"
down_revision = "0059"
branch_labels = None
depends_on = None

_PLACE_BETS_OLD = "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)"
_PLACE_BETS_NEW = (
    "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text[], text[], text[], text,"
    " text)"
)
_ROUND_OLD = (
    "place_round_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)"
)
_ROUND_NEW = (
    "place_round_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text[], text[],"
    " text[], text, text)"
)

OUTBOX_APPEND_ENVELOPES = r"""
CREATE FUNCTION outbox_append_envelopes(
    p_envelopes text[], p_types text[], p_ids text[]) RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_id bigint;
BEGIN
    IF coalesce(cardinality(p_types), 0) <> coalesce(cardinality(p_envelopes), 0)
       OR coalesce(cardinality(p_ids), 0) <> coalesce(cardinality(p_envelopes), 0)
       OR EXISTS (SELECT 1 FROM unnest(p_envelopes, p_types, p_ids) AS x(e, ty, id)
                  WHERE x.e IS NULL OR (x.ty IS NULL) <> (x.id IS NULL)
                     OR (x.ty IS NOT NULL AND strpos(x.e, '"sequence":null') = 0)) THEN
        RAISE EXCEPTION 'outbox_append_envelopes: one type and id per envelope (both NULL for'
            ' an envelope numbered already), and "sequence":null in each one to number'
            USING ERRCODE = 'CR422';
    END IF;
    -- The numbers as outbox_append gives them: the aggregate's counter moves by its events in
    -- this row (counters locked in aggregate order), each event the next in the row's order.
    WITH input AS (
        SELECT x.e, x.ty, x.id, x.n
        FROM unnest(p_envelopes, p_types, p_ids) WITH ORDINALITY AS x(e, ty, id, n)
    ),
    ranked AS (
        SELECT i.*, row_number() OVER (PARTITION BY i.ty, i.id ORDER BY i.n) AS rank
        FROM input i WHERE i.ty IS NOT NULL
    ),
    counts AS (
        SELECT r.ty, r.id, count(*) AS n FROM ranked r GROUP BY r.ty, r.id
    ),
    bumped AS (
        INSERT INTO outbox_sequences AS s (aggregate_type, aggregate_id, last_sequence)
        SELECT c.ty, c.id, c.n FROM counts c ORDER BY c.ty, c.id
        ON CONFLICT (aggregate_type, aggregate_id)
            DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
        RETURNING aggregate_type, aggregate_id, last_sequence
    )
    INSERT INTO outbox (events)
    SELECT CAST('[' || string_agg(
               CASE WHEN r.rank IS NULL THEN i.e
                    ELSE overlay(i.e PLACING '"sequence":' || (b.last_sequence - c.n + r.rank)
                                 FROM strpos(i.e, '"sequence":null') FOR 15) END,
               ',' ORDER BY i.n) || ']' AS jsonb)
    FROM input i
    LEFT JOIN ranked r ON r.n = i.n
    LEFT JOIN counts c ON c.ty = r.ty AND c.id = r.id
    LEFT JOIN bumped b ON b.aggregate_type = r.ty AND b.aggregate_id = r.id
    HAVING count(*) > 0
    RETURNING id INTO v_id;
    RETURN v_id;
END;
$$
"""

# place_bets, as revision 0050 left it.
_EVENTS_ARG = "p_postings jsonb, p_events jsonb, p_house_wait text"
_ENVELOPES_ARGS = (
    "p_postings jsonb, p_envelopes text[], p_event_types text[], p_event_ids text[],"
    " p_house_wait text"
)
_OLD_TAIL = """    IF v_house <> '{}' THEN
        SELECT jsonb_agg(CASE WHEN v_house ? (e -> 'data' ->> 'transaction_id')
                                   AND e ->> 'aggregate_type' = 'ledger_transaction'
                              THEN jsonb_set(e, '{data,balances}',
                                             v_house -> (e -> 'data' ->> 'transaction_id'))
                              ELSE e END ORDER BY n)
        INTO p_events
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, n);
    END IF;
    PERFORM outbox_append(p_events);
"""
_NEW_TAIL = """    -- (Such an event is numbered already: aggregate ("ledger_transaction", id), sequence 1.
    -- Only those envelopes are parsed here, the rest go to the outbox as text, revision 0060.)
    IF v_house <> '{}' THEN
        SELECT array_agg(CASE WHEN x.ty IS NULL AND x.j ->> 'aggregate_type' = 'ledger_transaction'
                                   AND v_house ? (x.j -> 'data' ->> 'transaction_id')
                              THEN jsonb_set(x.j, '{data,balances}',
                                             v_house -> (x.j -> 'data' ->> 'transaction_id'))::text
                              ELSE x.e END ORDER BY x.n)
        INTO p_envelopes
        FROM (SELECT u.e, u.ty, u.n, CASE WHEN u.ty IS NULL THEN u.e::jsonb END AS j
              FROM unnest(p_envelopes, p_event_types) WITH ORDINALITY AS u(e, ty, n)) AS x;
    END IF;
    PERFORM outbox_append_envelopes(p_envelopes, p_event_types, p_event_ids);
"""
# place_round_bets, as revision 0030 left it.
_ROUND_ARGS_OLD = "p_postings jsonb, p_events jsonb, p_house_wait text"
_ROUND_CALL_OLD = """p_postings,
                       p_events, p_house_wait, p_lock_wait);"""
_ROUND_CALL_NEW = """p_postings,
                       p_envelopes, p_event_types, p_event_ids, p_house_wait, p_lock_wait);"""

_EDITS = {
    (_PLACE_BETS_OLD, _PLACE_BETS_NEW): ((_EVENTS_ARG, _ENVELOPES_ARGS), (_OLD_TAIL, _NEW_TAIL)),
    (_ROUND_OLD, _ROUND_NEW): (
        (_ROUND_ARGS_OLD, _ENVELOPES_ARGS),
        (_ROUND_CALL_OLD, _ROUND_CALL_NEW),
    ),
}

# Who may execute a function (its ACL's EXECUTE grantees, PUBLIC left out: it has none).
_GRANTEES = text(
    "SELECT quote_ident(r.rolname) FROM pg_proc p, aclexplode(p.proacl) a"
    " JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE p.oid = CAST(:f AS regprocedure) AND a.privilege_type = 'EXECUTE'"
    " AND a.grantee <> p.proowner"
)


def _rewrite(forward: bool) -> None:
    conn = op.get_bind()
    # place_round_bets calls place_bets: dropped first, created last.
    order = list(_EDITS.items())
    definitions = []
    for (old_signature, new_signature), edits in order:
        source, target = (
            (old_signature, new_signature) if forward else (new_signature, old_signature)
        )
        definition = conn.execute(
            text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": source}
        ).scalar_one()
        for old, new in edits:
            before, after = (old, new) if forward else (new, old)
            if definition.count(before) != 1:
                raise RuntimeError(f"{source}: the text to edit was not found once")
            definition = definition.replace(before, after)
        grantees = conn.execute(_GRANTEES, {"f": source}).scalars().all()
        definitions.append((source, target, definition, grantees))
    for source, _, _, _ in reversed(definitions):
        conn.exec_driver_sql(f"DROP FUNCTION {source}")
    for _, target, definition, grantees in definitions:
        # pg_get_functiondef gives the function's settings and rights; sent as is (a function
        # body is no place for bind markers). Only its grantees may call it, as before.
        conn.exec_driver_sql(definition)
        conn.exec_driver_sql(f"REVOKE EXECUTE ON FUNCTION {target} FROM PUBLIC")
        for grantee in grantees:
            conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION {target} TO {grantee}")


def upgrade() -> None:
    # Sent as is: `"sequence":null` is no bind marker.
    op.get_bind().exec_driver_sql(OUTBOX_APPEND_ENVELOPES)
    # Called by place_bets with its owner's rights; nobody else appends through it.
    op.execute(
        "REVOKE EXECUTE ON FUNCTION outbox_append_envelopes(text[], text[], text[]) FROM PUBLIC"
    )
    _rewrite(forward=True)


def downgrade() -> None:
    _rewrite(forward=False)
    op.execute("DROP FUNCTION outbox_append_envelopes(text[], text[], text[])")
