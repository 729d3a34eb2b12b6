"""`ledger_post_many` returns the rows it writes instead of reading them back (issue 19).

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-04

A call ended by reading the journal again: the entry and legs of every transaction of the call,
joined on the idempotency key, whether it was posted now or a replay. For the common call,
every key new and nothing refused, the rows are the ones the legs statement has just computed
(the transaction's id and time are the call's own; each leg's account, currency, amount and
balance after). So that call now posts and returns them in one statement (`RETURN QUERY` over
the legs, the update and the insert as its data-modifying parts), and the read-back stays for
calls with a replay. A call with every key new no longer fills its `v_new` array either: it
stays NULL, read as "every transaction is posted now".

What a refusal does is unchanged: when a leg is refused (CR404, CR402, 22003) the statement
writes and returns nothing (its update and insert are gated on there being no refused leg, as
before); the function then runs the previous statement, which finds the same leg (the accounts
are locked, nothing moved) and raises its error. A call with an error pending (CR422, CR409)
or with a replay never takes the new statement. docs/schema.sql has the result.

Measured (bench/README.md, "ledger_post_many returns what it writes"; `usecase_cost.py
batch`, `--ref main` alternated, 4 pairs each): the function's wall a call 0.40 -> 0.31 ms
(one bet a call) and 1.29 -> 1.08 ms (16), the read-back's ~50 and ~150 us gone;
PostgreSQL's CPU a bet lower in every pair (1.64 -> 1.51 and 0.283 -> 0.271 ms on average).

The accounts' lock stays a statement of its own, before the one that reads the balances:
folded into it (a FOR UPDATE CTE), the statement's UPDATE applied its sums to the balances
of its snapshot, taken before a lock wait, not to what the holder had committed
(tests/integration/test_ledger_post_many.py, the lock-wait test).

Like revision 0050, each text is the previous one with these statements edited, and the
migration checks that each edit found its text once; the new statement is built from the
previous one's CTEs, so the two cannot drift apart in this file.
"""

import textwrap

from adapters.postgres.function_edits import create_function, function_text, replaced_once

revision = "0064"
down_revision = "0063"
branch_labels = None
depends_on = None

_LEDGER_POST_MANY = (
    "ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[], integer[],"
    " bigint[], text[], bigint[])"
)

_OLD_ALL_NEW = """    IF cardinality(v_inserted) = v_limit - 1 THEN
        v_new := array_fill(true, ARRAY[v_limit - 1]);
    ELSE
        -- Some keys were there"""
_NEW_ALL_NEW = """    -- Every key new (the common case): v_new stays NULL, read as "all posted now" below.
    IF cardinality(v_inserted) <> v_limit - 1 THEN
        -- Some keys were there"""

_OLD_LOCK_ROWS = """                   WHERE x.t < v_limit AND v_new[x.t])
    ORDER BY"""
_NEW_LOCK_ROWS = """                   WHERE x.t < v_limit AND (v_new IS NULL OR v_new[x.t]))
    ORDER BY"""

_OLD_LEGS_ROWS = """        WHERE x.t < v_limit AND v_new[x.t]
    ), refused AS ("""
_NEW_LEGS_ROWS = """        WHERE x.t < v_limit AND (v_new IS NULL OR v_new[x.t])
    ), refused AS ("""

_OLD_REPLAYED = """l.transaction_id, NOT v_new[x.t::integer], e.created_at, l.account_id,
               l.currency, l.amount, l.balance_after"""
_NEW_REPLAYED = """l.transaction_id, coalesce(NOT v_new[x.t::integer], false),
               e.created_at, l.account_id, l.currency, l.amount, l.balance_after"""

_OLD_READ_BACK = """    -- What is in the journal now, for every transaction of the call: a replay returns the
    -- first entry with its key, as ledger_post does."""
_NEW_READ_BACK = """    -- What is in the journal now, for every transaction of a call with a replay: a replay
    -- returns the first entry with its key, as ledger_post does."""

# The legs statement, from its comment to the end of its CTEs (the part both statements share).
_LEGS_START = "    -- Each leg's balance_after is its account's balance"
_CTES_START = "    WITH legs AS ("
_CTES_END = "\n    SELECT r.t, r.acc, r.cur, r.state INTO v_error FROM refused AS r;"

_RETURN_WRITTEN = """    -- Every key new and nothing pending (the common call): the statement below posts and
    -- returns the rows it writes, the transaction's id and time being the call's own. With
    -- a refused leg it writes and returns nothing, and the next one finds the leg (nothing
    -- moved) and raises its error. (Its CTEs are the next one's, copied by revision 0064.)
    IF v_new IS NULL AND v_pending_state IS NULL THEN
        RETURN QUERY
{ctes}
        SELECT l.t, p_ids[l.t], false, p_created_at[l.t], l.acc, l.cur, l.amt, l.after::bigint
        FROM legs AS l
        WHERE NOT EXISTS (SELECT FROM refused)
        ORDER BY l.t, l.acc;
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;

"""


def _return_written(definition: str) -> str:
    """The new statement, its CTEs copied from the legs statement of ``definition``."""
    start = definition.index(_CTES_START, definition.index(_LEGS_START))
    ctes = definition[start : definition.index(_CTES_END, start)]
    return _RETURN_WRITTEN.format(ctes=textwrap.indent(ctes, "    "))


_EDITS = (
    (_OLD_ALL_NEW, _NEW_ALL_NEW),
    (_OLD_LOCK_ROWS, _NEW_LOCK_ROWS),
    (_OLD_LEGS_ROWS, _NEW_LEGS_ROWS),
    (_OLD_REPLAYED, _NEW_REPLAYED),
    (_OLD_READ_BACK, _NEW_READ_BACK),
)


def upgrade() -> None:
    definition = function_text(_LEDGER_POST_MANY)
    for before, after in _EDITS:
        definition = replaced_once(_LEDGER_POST_MANY, definition, before, after)
    # The new statement is built from the edited legs statement, so the two cannot drift.
    new = _return_written(definition) + _LEGS_START
    definition = replaced_once(_LEDGER_POST_MANY, definition, _LEGS_START, new)
    # pg_get_functiondef gives CREATE OR REPLACE with the function's settings and rights;
    # ownership, grants and the comment stay.
    create_function(definition)


def downgrade() -> None:
    definition = function_text(_LEDGER_POST_MANY)
    new = _return_written(definition) + _LEGS_START
    definition = replaced_once(_LEDGER_POST_MANY, definition, new, _LEGS_START)
    for before, after in reversed(_EDITS):
        definition = replaced_once(_LEDGER_POST_MANY, definition, after, before)
    create_function(definition)
