"""Fewer statements in one call of `place_bets`, second pass (issue 19).

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-04

A call's fixed cost is spread over its statements: each pays an executor start, a snapshot,
its cached plan's revalidation and relation locks (bench/README.md, "place_bets in fewer
statements" and "fewer statements in one place_bets call, second pass", branches wt-call and
wt-merge). Revision 0063 took `place_bets`' own from 20 to 10; this one merges more:

- The postings' accounts are not gathered into a distinct array first (a statement): the
  house rows' lock and the house legs' join read `p_leg_accounts` as it is (`= ANY` of an
  array with repeats is the same index scan: btree sorts and dedups the array's keys).
- The players' standings and the seed pairs' lock and check are one statement (two scalar
  subqueries), its errors raised after it in the same order, the standing's first. The seed
  pairs are still locked in player order, before the house rows; a stale standing is now
  reported with the pairs locked (the transaction ends at once: a lock held a moment longer).
- The refused bets' twins are looked for only when there are refused bets: `IF cardinality(...)
  > 0 AND EXISTS (...)` was a statement on every call; nested, the outer test is a simple
  expression plpgsql evaluates without one.
- The bets' INSERT and the nonces' UPDATE are one statement (the UPDATE a data-modifying CTE;
  ROW_COUNT is the INSERT's, checked as before).
- `outbox_append_envelopes` is inlined (its call, its argument check and its numbering
  statement: three statements, one) together with the house-only events' rewrite (a fourth,
  when a call has one). The check is folded into the statement: when it fails, no envelope
  is read, nothing is written, and the error (CR422, the same text) is raised after. Its
  numbering is the function's own text (revision 0060's, 0062's cast), loaded, not copied;
  the function stays for its other callers.

`ledger_post_many` is unchanged: its argument check and sums' check merged into one statement
measured the same as two (a server-side loop, 20.6 against 20.5 µs a call at one transaction,
40.9 against 41.2 at sixteen), so it was not kept; its accounts' lock stays a statement of its
own (a statement's snapshot is taken before it waits: wt-ledger's lock-wait test). Lock order,
lock timeouts, SQLSTATEs and messages are unchanged. `place_bets` keeps its arguments,
settings and grants (edited in place); the downgrade restores 0066's text.
"""

from adapters.postgres.function_edits import earlier_revision, edit_function

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None

_PLACE_BETS = (
    "place_bets(bigint[], text[], boolean[], bigint[], bigint[], bigint[], bigint[], bigint[],"
    " jsonb, jsonb, uuid[], uuid[], text[], text[], bytea[], text[], jsonb[],"
    " timestamp with time zone[], boolean[], integer[], bigint[], text[], bigint[], text[],"
    " text[], text[], text, text)"
)

_DECLARE_OLD = """    v_ids bigint[];
    v_players bigint[];
"""
_DECLARE_NEW = """    v_stale_pairs text;
    v_players bigint[];
"""

_IDS_OLD = """    v_wallets := p_wallet_ids;
    v_ids := ARRAY(SELECT DISTINCT a FROM unnest(p_leg_accounts) AS a);
"""
_IDS_NEW = """    v_wallets := p_wallet_ids;
"""

_STANDING_OLD = """    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM unnest(p_player_ids, p_player_statuses, p_player_terms) AS x(id, status, terms)"""
_STANDING_NEW = """    -- The standings' check and the seed pairs' lock and check (below) are one statement, two
    -- scalar subqueries, their errors raised after it in this order (revision 0067).
    SELECT (SELECT string_agg(x.id::text, ', ')
    FROM unnest(p_player_ids, p_player_statuses, p_player_terms) AS x(id, status, terms)"""

_STANDING_END_OLD = """    WHERE cur.id IS NULL OR cur.status IS DISTINCT FROM x.status
       OR cur.terms IS DISTINCT FROM x.terms OR cur.guarded;
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'the standing of player(s) % changed since it was read', v_stale
            USING ERRCODE = 'CR412';
    END IF;

    -- The seed pairs in player order,"""
_STANDING_END_NEW = """    WHERE cur.id IS NULL OR cur.status IS DISTINCT FROM x.status
       OR cur.terms IS DISTINCT FROM x.terms OR cur.guarded),

    -- The seed pairs in player order,"""

_PAIRS_OLD = """    -- joins it.
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM unnest(p_pair_ids, p_pair_nonces) AS x(id, next_nonce)
    LEFT JOIN (SELECT s.id, s.next_nonce, s.revealed_at FROM seed_pairs s
               WHERE s.id = ANY(v_pairs) ORDER BY s.player_id FOR UPDATE) AS s ON s.id = x.id
    WHERE s.id IS NULL OR s.next_nonce IS DISTINCT FROM x.next_nonce
       OR s.revealed_at IS NOT NULL;
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'seed pair(s) % moved on since they were read', v_stale
            USING ERRCODE = 'CR412';
    END IF;
"""
_PAIRS_NEW = """    -- joins it.
           (SELECT string_agg(x.id::text, ', ')
    FROM unnest(p_pair_ids, p_pair_nonces) AS x(id, next_nonce)
    LEFT JOIN (SELECT s.id, s.next_nonce, s.revealed_at FROM seed_pairs s
               WHERE s.id = ANY(v_pairs) ORDER BY s.player_id FOR UPDATE) AS s ON s.id = x.id
    WHERE s.id IS NULL OR s.next_nonce IS DISTINCT FROM x.next_nonce
       OR s.revealed_at IS NOT NULL)
    INTO v_stale, v_stale_pairs;
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'the standing of player(s) % changed since it was read', v_stale
            USING ERRCODE = 'CR412';
    END IF;
    IF v_stale_pairs IS NOT NULL THEN
        RAISE EXCEPTION 'seed pair(s) % moved on since they were read', v_stale_pairs
            USING ERRCODE = 'CR412';
    END IF;
"""

_HOUSE_LOCK_OLD = """    WHERE a.id = ANY(v_ids) AND a.shard IS NOT NULL"""
_HOUSE_LOCK_NEW = """    -- (`p_leg_accounts` as it is, repeats and all: btree dedups an array's keys, 0067.)
    WHERE a.id = ANY(p_leg_accounts) AND a.shard IS NOT NULL"""

_ABSENT_OLD = """    IF cardinality(p_absent) > 0 AND EXISTS (SELECT 1 FROM bets b WHERE b.id = ANY(p_absent))
    THEN
        RAISE EXCEPTION 'a refused bet id was placed since it was read' USING ERRCODE = 'CR412';
    END IF;
"""
_ABSENT_NEW = """    -- (Nested: the outer test is a simple expression, no statement on a call without any.)
    IF cardinality(p_absent) > 0 THEN
        IF EXISTS (SELECT 1 FROM bets b WHERE b.id = ANY(p_absent)) THEN
            RAISE EXCEPTION 'a refused bet id was placed since it was read'
                USING ERRCODE = 'CR412';
        END IF;
    END IF;
"""

_BETS_OLD = """    INSERT INTO bets (id, player_id,"""
_BETS_NEW = """    -- The bets' rows and the seed pairs' nonces in one statement (revision 0067); ROW_COUNT
    -- is the INSERT's. (`s.id = ANY`: joined to the rows alone, the planner scanned every
    -- seed pair.)
    WITH nonces AS (
        UPDATE seed_pairs s SET next_nonce = s.next_nonce + x.taken
        FROM unnest(p_pair_ids, p_pair_taken) AS x(id, taken)
        WHERE s.id = x.id AND s.id = ANY(v_pairs)
    )
    INSERT INTO bets (id, player_id,"""

_NONCES_OLD = """        RAISE EXCEPTION 'a bet id was placed since it was read' USING ERRCODE = 'CR412';
    END IF;

    -- (`s.id = ANY`: joined to the JSON rows alone, the planner scanned every seed pair.)
    UPDATE seed_pairs s SET next_nonce = s.next_nonce + x.taken
    FROM unnest(p_pair_ids, p_pair_taken) AS x(id, taken)
    WHERE s.id = x.id AND s.id = ANY(v_pairs);
"""
_NONCES_NEW = """        RAISE EXCEPTION 'a bet id was placed since it was read' USING ERRCODE = 'CR412';
    END IF;
"""

_HOUSE_LEGS_OLD = """            -- (`a.id = ANY`: v_ids still holds every account of the postings.)
            FROM posted p JOIN accounts a ON a.id = p.account_id AND a.id = ANY(v_ids)"""
_HOUSE_LEGS_NEW = """            -- (`a.id = ANY`: an index condition, every account of the postings.)
            FROM posted p JOIN accounts a ON a.id = p.account_id AND a.id = ANY(p_leg_accounts)"""

# The house-only events' rewrite and the outbox call, as revision 0060 wrote them (unchanged
# since): loaded, not copied, as the numbering below is.
_REVISION_0060 = earlier_revision(__file__, "0060_bet_events_as_envelopes.py")
_OUTBOX_OLD = str(_REVISION_0060._NEW_TAIL)


def _numbering() -> str:
    """`outbox_append_envelopes`' numbering after its `input` CTE, to the outbox row's INSERT
    (its `RETURNING` left out): revision 0060's text with 0062's cast, loaded, not copied."""
    text = str(_REVISION_0060.OUTBOX_APPEND_ENVELOPES)
    start, end = text.index("    ranked AS (\n"), text.index("    RETURNING id INTO v_id;\n")
    return text[start:end].replace("AS jsonb)", "AS json)").removesuffix("\n")


_OUTBOX_HEAD = """    -- (Such an event is numbered already: aggregate ("ledger_transaction", id), sequence 1.
    -- Only those envelopes are parsed here, the rest go to the outbox as text, revision 0060.)
    -- Then the envelopes go to the outbox as `outbox_append_envelopes` writes them, its call,
    -- its argument check and its statement one statement here (revision 0067): when the check
    -- fails no envelope is read, so nothing is written, and its error is raised after.
    WITH checked AS (
        SELECT coalesce(cardinality(p_event_types), 0) <> coalesce(cardinality(p_envelopes), 0)
               OR coalesce(cardinality(p_event_ids), 0) <> coalesce(cardinality(p_envelopes), 0)
               OR EXISTS (SELECT 1 FROM unnest(p_envelopes, p_event_types, p_event_ids)
                                        AS x(e, ty, id)
                          WHERE x.e IS NULL OR (x.ty IS NULL) <> (x.id IS NULL)
                             OR (x.ty IS NOT NULL AND strpos(x.e, '"sequence":null') = 0))
               AS refused
    ),
    input AS (
        SELECT CASE WHEN x.ty IS NULL AND x.j ->> 'aggregate_type' = 'ledger_transaction'
                         AND v_house ? (x.j -> 'data' ->> 'transaction_id')
                    THEN jsonb_set(x.j, '{data,balances}',
                                   v_house -> (x.j -> 'data' ->> 'transaction_id'))::text
                    ELSE x.e END AS e,
               x.ty, x.id, x.n
        FROM (SELECT u.e, u.ty, u.id, u.n,
                     CASE WHEN u.ty IS NULL AND v_house <> '{}' THEN u.e::jsonb END AS j
              FROM unnest(p_envelopes, p_event_types, p_event_ids) WITH ORDINALITY
                   AS u(e, ty, id, n)) AS x
        WHERE NOT (SELECT c.refused FROM checked c)
    ),
"""
_OUTBOX_TAIL = """;
    -- (No row: no envelopes, or the check refused them.)
    IF NOT FOUND AND (coalesce(cardinality(p_envelopes), 0) > 0
                      OR coalesce(cardinality(p_event_types), 0) > 0
                      OR coalesce(cardinality(p_event_ids), 0) > 0) THEN
        RAISE EXCEPTION 'outbox_append_envelopes: one type and id per envelope (both NULL for'
            ' an envelope numbered already), and "sequence":null in each one to number'
            USING ERRCODE = 'CR422';
    END IF;
"""
_OUTBOX_NEW = "".join((_OUTBOX_HEAD, _numbering(), _OUTBOX_TAIL))

_PLACE_BETS_EDITS = (
    (_DECLARE_OLD, _DECLARE_NEW),
    (_IDS_OLD, _IDS_NEW),
    (_STANDING_OLD, _STANDING_NEW),
    (_STANDING_END_OLD, _STANDING_END_NEW),
    (_PAIRS_OLD, _PAIRS_NEW),
    (_HOUSE_LOCK_OLD, _HOUSE_LOCK_NEW),
    (_ABSENT_OLD, _ABSENT_NEW),
    (_BETS_OLD, _BETS_NEW),
    (_NONCES_OLD, _NONCES_NEW),
    (_HOUSE_LEGS_OLD, _HOUSE_LEGS_NEW),
    (_OUTBOX_OLD, _OUTBOX_NEW),
)


def upgrade() -> None:
    edit_function(_PLACE_BETS, _PLACE_BETS_EDITS, forward=True)


def downgrade() -> None:
    edit_function(_PLACE_BETS, _PLACE_BETS_EDITS, forward=False)
