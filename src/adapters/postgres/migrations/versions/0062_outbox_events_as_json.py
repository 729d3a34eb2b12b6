"""The outbox row's events stored as `json`, the text as written, not parsed into `jsonb`
(issue 19).

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-04

`outbox_append_envelopes` built a row's array as text and cast it to `jsonb`: a full parse of
the text into jsonb's binary tree, which PostgreSQL then compressed (pglz) on the insert; the
relay read the row back as text (`CAST(events AS text)`), which printed the tree again.
Measured on real 100-bet rows (300 envelopes, ~181 KB of text; bench/README.md, "The outbox
row as json", branch wt-outbox), per row: the jsonb parse 0.99 ms against the json syntax
check 0.25 ms; `jsonb_array_length` costs nothing but `json_array_length` parses the whole
text again, 0.26 ms (so the non-empty rule below is an anchored regular expression, 0.07
ms); the relay's read of a row 0.76 ms against 0.37 ms. The whole function call 4.3 ms as
jsonb, 3.1 ms as json; PostgreSQL's CPU a bet of `usecase_cost.py batch` 0.169 -> 0.161 ms
(batches of 100) and 0.275 -> 0.266 ms (batches of 14), WAL bytes a bet 20-35 fewer.

- `outbox.events` becomes `json`: the text is kept as it was written (its syntax checked by
  the type's input function, as jsonb's did), compressed the same way (46 KB of 181 KB; left
  uncompressed with STORAGE EXTERNAL it saved another ~1 ms a 100-bet row but wrote four times
  the WAL and table bytes, as revision 0060 found: not done).
- `ck_outbox_events` keeps its rule, a non-empty JSON array: `json_typeof` reads only the
  first token; "not empty" is that the first thing after `[` (JSON whitespace aside) is not
  `]`, a regular expression anchored at the start, not a second parse of the whole array.
  It stays a constraint: the application's role may insert into `outbox` itself.
- `outbox_append_envelopes` casts its text to `json` instead; `outbox_append(jsonb)` (the
  other writer, whose argument is parsed as jsonb to be numbered) is unchanged, its jsonb
  array stored through the assignment cast to json.
- `outbox_events` reads each row as jsonb (`CAST(o.events AS jsonb)`), so its columns and
  their types are what they were; reading it costs a row's jsonb parse now (reconciliation,
  tests and people read it, not the relay). Its grants are kept across the drop.

What json takes and jsonb refused: the escape `\\u0000` and unpaired surrogate escapes. The
envelopes' texts come from the application's encoder, and every string in a bet's envelopes
is also in `place_bets`' jsonb arguments (the bet row, the postings), which still refuse them.

The column's type changes by a rewrite of `outbox` (an ACCESS EXCLUSIVE lock for as long as
it takes: the outbox is pruned of published rows, `croupier outbox prune`). The downgrade
parses the rows back into jsonb.
"""

from alembic import op
from sqlalchemy import text

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None

_APPEND_ENVELOPES = "outbox_append_envelopes(text[], text[], text[])"

# The view as revision 0022 made it, but for where a row's array comes from.
_VIEW = """
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
CROSS JOIN LATERAL jsonb_array_elements({events}) WITH ORDINALITY AS e(value, n)
"""

# A non-empty array: json_typeof reads the first token only; after `[` and any JSON whitespace
# (space, tab, newline, carriage return) an empty array has its `]`.
_CHECK_JSON = (
    "json_typeof(events) = 'array'"
    r" AND CAST(events AS text) !~ '^[ \t\n\r]*\[[ \t\n\r]*\]'"
)
_CHECK_JSONB = "jsonb_typeof(events) = 'array' AND jsonb_array_length(events) > 0"

# Who may read the view (its ACL's SELECT grantees, PUBLIC included if it were there).
_VIEW_READERS = text(
    "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END"
    " FROM pg_class c, aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee"
    " WHERE c.oid = CAST('outbox_events' AS regclass) AND a.privilege_type = 'SELECT'"
    " AND a.grantee <> c.relowner"
)


def _store_as(kind: str, check: str, events_in_view: str, cast_from: str, cast_to: str) -> None:
    conn = op.get_bind()
    readers = conn.execute(_VIEW_READERS).scalars().all()
    definition = conn.execute(
        text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": _APPEND_ENVELOPES}
    ).scalar_one()
    before, after = f"AS {cast_from})", f"AS {cast_to})"
    if definition.count(before) != 1:
        raise RuntimeError(f"{_APPEND_ENVELOPES}: the cast to edit was not found once")
    op.execute("DROP VIEW outbox_events")
    op.execute("ALTER TABLE outbox DROP CONSTRAINT ck_outbox_events")
    op.execute(f"ALTER TABLE outbox ALTER COLUMN events TYPE {kind} USING CAST(events AS {kind})")
    op.execute(f"ALTER TABLE outbox ADD CONSTRAINT ck_outbox_events CHECK ({check})")
    # CREATE OR REPLACE keeps the function's grants (its owner's alone: place_bets calls it).
    # Sent as is: `"sequence":null` in its body is no bind marker.
    conn.exec_driver_sql(definition.replace(before, after))
    conn.exec_driver_sql(_VIEW.format(events=events_in_view))
    for reader in readers:
        conn.exec_driver_sql(f"GRANT SELECT ON outbox_events TO {reader}")


def upgrade() -> None:
    _store_as("json", _CHECK_JSON, "CAST(o.events AS jsonb)", "jsonb", "json")


def downgrade() -> None:
    _store_as("jsonb", _CHECK_JSONB, "o.events", "json", "jsonb")
