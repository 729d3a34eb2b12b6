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
  the WAL and table bytes, as revision 0060 found: not done). One cost: a row of one bet
  (~1.8 KB of text) is under PostgreSQL's ~2 KB threshold for compression, so it is stored
  as it is, where its jsonb (2.3 KB) was compressed to ~1.15 KB: ~800 WAL bytes more a bet
  placed alone. Rows of two bets and more are compressed either way.
- `ck_outbox_events` keeps its rule, a non-empty JSON array: `json_typeof` reads only the
  first token; "not empty" is that the first thing after `[` (JSON whitespace aside) is not
  `]`, a regular expression anchored at the start, not a second parse of the whole array.
  It stays a constraint: the application's role may insert into `outbox` itself.
- `outbox_append_envelopes` casts its text to `json` instead; `outbox_append(jsonb)` (the
  other writer, whose argument is parsed as jsonb to be numbered) is unchanged, its jsonb
  array stored through the assignment cast to json.
- `outbox_events` reads each row as jsonb (`CAST(o.events AS jsonb)`), so its columns and
  their types are what they were; reading it costs a row's jsonb parse now (reconciliation,
  tests and people read it, not the relay). It is created again from its own definition
  with that edit only, and its grants are kept across the drop.

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

# Where the view takes a row's array from, as pg_get_viewdef prints it: the view is created
# again from its own definition with this edit only (checked to be found once).
_VIEW_FROM_JSONB = "jsonb_array_elements(o.events)"
_VIEW_FROM_JSON = "jsonb_array_elements((o.events)::jsonb)"

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


def _edited(definition: str, before: str, after: str, what: str) -> str:
    if definition.count(before) != 1:
        raise RuntimeError(f"{what}: the text to edit was not found once")
    return definition.replace(before, after)


def _store_as(kind: str, check: str, view_from: tuple[str, str], cast: tuple[str, str]) -> None:
    conn = op.get_bind()
    readers = conn.execute(_VIEW_READERS).scalars().all()
    view = conn.execute(text("SELECT pg_get_viewdef('outbox_events')")).scalar_one()
    view = _edited(view, *view_from, "outbox_events")
    function = conn.execute(
        text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": _APPEND_ENVELOPES}
    ).scalar_one()
    function = _edited(function, f"AS {cast[0]})", f"AS {cast[1]})", _APPEND_ENVELOPES)
    op.execute("DROP VIEW outbox_events")
    op.execute("ALTER TABLE outbox DROP CONSTRAINT ck_outbox_events")
    op.execute(f"ALTER TABLE outbox ALTER COLUMN events TYPE {kind} USING CAST(events AS {kind})")
    op.execute(f"ALTER TABLE outbox ADD CONSTRAINT ck_outbox_events CHECK ({check})")
    # CREATE OR REPLACE keeps the function's grants (its owner's alone: place_bets calls it).
    # Sent as is: `"sequence":null` in its body is no bind marker.
    conn.exec_driver_sql(function)
    conn.exec_driver_sql(f"CREATE VIEW outbox_events AS {view}")
    for reader in readers:
        conn.exec_driver_sql(f"GRANT SELECT ON outbox_events TO {reader}")


def upgrade() -> None:
    _store_as("json", _CHECK_JSON, (_VIEW_FROM_JSONB, _VIEW_FROM_JSON), ("jsonb", "json"))


def downgrade() -> None:
    _store_as("jsonb", _CHECK_JSONB, (_VIEW_FROM_JSON, _VIEW_FROM_JSONB), ("json", "jsonb"))
