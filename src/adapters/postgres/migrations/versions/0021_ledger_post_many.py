"""ledger_post_many: all the transactions of a call posted set-based (issue 19).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02

`ledger_post` applies one transaction leg by leg (an UPDATE and an INSERT each), and a batch of
N bets called it 2N times: most of PostgreSQL's time per bet. `ledger_post_many` takes every
transaction of a call at once and does the same work in a fixed handful of statements,
whatever N. `ledger_post` stays (one transaction, the same rules) for callers that post one.
Like it, the new function runs with its owner's rights and only the roles granted may call it
(`croupier db grant` grants it).
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_SIGNATURE = (
    "ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[],"
    " integer[], bigint[], text[], bigint[])"
)

# One statement each, through alembic's op: no project code (tests/unit/test_migration_imports.py).
CREATE = r"""
CREATE FUNCTION ledger_post_many(
    p_ids uuid[], p_kinds text[], p_keys text[], p_fingerprints bytea[], p_references text[],
    p_metadata jsonb[], p_created_at timestamptz[],
    p_leg_of integer[], p_accounts bigint[], p_currencies text[], p_amounts bigint[])
RETURNS TABLE (n integer, transaction_id uuid, replayed boolean, created_at timestamptz,
               account_id bigint, currency text, amount bigint, balance_after bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_count integer := coalesce(cardinality(p_ids), 0);
    v_limit integer;           -- only transactions before this one are posted (1-based)
    v_pending_state text;      -- the error of transaction v_limit, raised if none comes first
    v_pending_message text;
    v_inserted text[];
    v_new boolean[];           -- v_new[n]: transaction n is posted now (not a replay)
    v_conflict integer;
    v_error record;
BEGIN
    IF v_count = 0 THEN
        RETURN;
    END IF;
    IF coalesce(cardinality(p_kinds), -1) <> v_count
       OR coalesce(cardinality(p_keys), -1) <> v_count
       OR coalesce(cardinality(p_fingerprints), -1) <> v_count
       OR coalesce(cardinality(p_references), -1) <> v_count
       OR coalesce(cardinality(p_metadata), -1) <> v_count
       OR coalesce(cardinality(p_created_at), -1) <> v_count
       OR coalesce(cardinality(p_accounts), -1) <> coalesce(cardinality(p_leg_of), -2)
       OR coalesce(cardinality(p_currencies), -1) <> cardinality(p_accounts)
       OR coalesce(cardinality(p_amounts), -1) <> cardinality(p_accounts)
       OR EXISTS (SELECT 1 FROM unnest(p_leg_of) AS x(t)
                  WHERE x.t IS NULL OR x.t < 1 OR x.t > v_count) THEN
        RAISE EXCEPTION 'ledger_post_many: the transaction arrays must have one length, and'
            ' every leg the number of its transaction (1 to %)', v_count USING ERRCODE = 'CR422';
    END IF;

    -- ledger_post's checks, transaction by transaction: the first that fails is raised, after
    -- the ones before it (which may fail first, as they would have when posted one by one).
    SELECT g.t, CASE WHEN g.legs < 2 THEN 'a transaction needs two or more legs'
                     ELSE 'legs do not sum to zero per currency' END
    INTO v_limit, v_pending_message
    FROM (SELECT s.t, coalesce(sum(c.legs), 0) AS legs, coalesce(bool_or(c.total <> 0), false) AS unbalanced
          FROM generate_series(1, v_count) AS s(t)
          LEFT JOIN (SELECT x.t, x.cur, count(*) AS legs, sum(x.amt) AS total
                     FROM unnest(p_leg_of, p_currencies, p_amounts) AS x(t, cur, amt)
                     GROUP BY x.t, x.cur) AS c ON c.t = s.t
          GROUP BY s.t) AS g
    WHERE g.legs < 2 OR g.unbalanced
    ORDER BY g.t LIMIT 1;
    IF v_limit IS NULL THEN
        v_limit := v_count + 1;
    ELSE
        v_pending_state := 'CR422';
    END IF;

    -- The journal entries, sorted by key so that two calls never wait on each other's keys in
    -- a cycle. A key already taken (earlier, or by a transaction before in this call) is left.
    WITH inserted AS (
        INSERT INTO ledger_transactions AS j
            (id, kind, idempotency_key, fingerprint, reference, metadata, created_at)
        SELECT x.id, x.kind, x.key, x.fp, x.ref, x.meta, x.at
        FROM unnest(p_ids, p_kinds, p_keys, p_fingerprints, p_references, p_metadata, p_created_at)
             WITH ORDINALITY AS x(id, kind, key, fp, ref, meta, at, t)
        WHERE x.t < v_limit
        ORDER BY x.key, x.t
        ON CONFLICT ON CONSTRAINT uq_ledger_transactions_idempotency_key DO NOTHING
        RETURNING j.idempotency_key
    )
    SELECT coalesce(array_agg(i.idempotency_key), '{}') INTO v_inserted FROM inserted AS i;

    IF cardinality(v_inserted) = v_limit - 1 THEN
        v_new := array_fill(true, ARRAY[v_limit - 1]);
    ELSE
        -- Some keys were there: those transactions are replays of the first entry with the
        -- key, or conflict with it when their content differs.
        SELECT array_agg(r.fresh ORDER BY r.t),
               min(r.t) FILTER (WHERE NOT r.fresh AND e.fingerprint <> r.fp)
        INTO v_new, v_conflict
        FROM (SELECT x.t, x.key, x.fp,
                     x.key = ANY(v_inserted) AND x.t = min(x.t) OVER (PARTITION BY x.key) AS fresh
              FROM unnest(p_keys, p_fingerprints) WITH ORDINALITY AS x(key, fp, t)
              WHERE x.t < v_limit) AS r
        LEFT JOIN ledger_transactions AS e ON NOT r.fresh AND e.idempotency_key = r.key;
        IF v_conflict IS NOT NULL THEN
            v_limit := v_conflict;
            v_pending_state := 'CR409';
            v_pending_message := format(
                'idempotency key %s was already used for a different operation', p_keys[v_limit]);
        END IF;
    END IF;

    -- Every account the postings touch, locked once, in id order: calls over the same
    -- accounts queue in one order, so they cannot deadlock with each other.
    PERFORM 1 FROM accounts AS a
    WHERE a.id IN (SELECT x.acc FROM unnest(p_leg_of, p_accounts) AS x(t, acc)
                   WHERE x.t < v_limit AND v_new[x.t])
    ORDER BY a.id
    FOR UPDATE OF a;

    -- Each leg's balance_after is its account's balance (as locked above: this statement's
    -- snapshot is taken after the locks) plus the running sum of the account's legs in
    -- transaction order. The first leg ledger_post would have refused (no such account, a
    -- balance out of the 64-bit range, a negative one where it may not be), in posting order,
    -- is the error; with one, nothing is written. Otherwise each account moves once, by the
    -- sum of its legs, and every leg goes into the journal in one INSERT, in posting order
    -- (so leg ids keep that order).
    WITH legs AS (
        SELECT x.t, x.acc, x.cur, x.amt, a.id IS NULL AS missing, a.allow_negative,
               a.balance + sum(x.amt) OVER (PARTITION BY x.acc, x.cur ORDER BY x.t
                                            ROWS UNBOUNDED PRECEDING) AS after
        FROM unnest(p_leg_of, p_accounts, p_currencies, p_amounts) AS x(t, acc, cur, amt)
        LEFT JOIN accounts AS a ON a.id = x.acc AND a.currency = x.cur
        WHERE x.t < v_limit AND v_new[x.t]
    ), refused AS (
        SELECT l.t, l.acc, l.cur,
               CASE WHEN l.missing THEN 'CR404'
                    WHEN l.after NOT BETWEEN -9223372036854775808 AND 9223372036854775807
                        THEN '22003'
                    ELSE 'CR402' END AS state
        FROM legs AS l
        WHERE l.missing
           OR l.after NOT BETWEEN -9223372036854775808 AND 9223372036854775807
           OR (NOT l.allow_negative AND l.after < 0)
        ORDER BY l.t, l.acc LIMIT 1
    ), moved AS (
        UPDATE accounts AS a SET balance = a.balance + s.total
        FROM (SELECT l.acc, sum(l.amt) AS total FROM legs AS l GROUP BY l.acc) AS s
        WHERE a.id = s.acc AND NOT EXISTS (SELECT FROM refused)
    ), posted AS (
        INSERT INTO ledger_legs (transaction_id, account_id, currency, amount, balance_after)
        SELECT p_ids[l.t], l.acc, l.cur, l.amt, l.after
        FROM legs AS l
        WHERE NOT EXISTS (SELECT FROM refused)
        ORDER BY l.t, l.acc
    )
    SELECT r.t, r.acc, r.cur, r.state INTO v_error FROM refused AS r;

    IF v_error.state = 'CR404' THEN
        RAISE EXCEPTION 'no % account with id %', v_error.cur, v_error.acc USING ERRCODE = 'CR404';
    ELSIF v_error.state = '22003' THEN
        RAISE EXCEPTION 'bigint out of range' USING ERRCODE = '22003';
    ELSIF v_error.state = 'CR402' THEN
        RAISE EXCEPTION 'insufficient funds on account %', v_error.acc USING ERRCODE = 'CR402';
    END IF;
    IF v_pending_state IS NOT NULL THEN
        RAISE EXCEPTION '%', v_pending_message USING ERRCODE = v_pending_state;
    END IF;

    -- What is in the journal now, for every transaction of the call: a replay returns the
    -- first entry with its key, as ledger_post does.
    RETURN QUERY
        SELECT x.t::integer, l.transaction_id, NOT v_new[x.t::integer], e.created_at, l.account_id,
               l.currency, l.amount, l.balance_after
        FROM unnest(p_keys) WITH ORDINALITY AS x(key, t)
        JOIN ledger_transactions AS e ON e.idempotency_key = x.key
        JOIN ledger_legs AS l ON l.transaction_id = e.id
        ORDER BY x.t, l.account_id;
END;
$$
"""

COMMENT = r"""
COMMENT ON FUNCTION ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[],
    timestamptz[], integer[], bigint[], text[], bigint[]) IS
'Posts N transactions in one call, exactly as N calls of ledger_post in that order would, and
returns the same rows, each with n (the transaction''s 1-based position in the call), ordered by
n, account_id. Transaction n is p_ids[n], p_kinds[n], p_keys[n], p_fingerprints[n],
p_references[n], p_metadata[n], p_created_at[n]; its legs are the positions i where
p_leg_of[i] = n, with p_accounts[i], p_currencies[i], p_amounts[i]. A key already in the
journal (or used earlier in the call) is a replay (replayed, the first entry''s legs, nothing
moves) or, with another fingerprint, CR409. Every touched account is locked once, in id order.
The first failure in posting order refuses the whole call with ledger_post''s error: CR422,
CR409, CR404, CR402, 22003.'
"""

REVOKE = f"REVOKE EXECUTE ON FUNCTION {_SIGNATURE} FROM PUBLIC"

DROP = f"DROP FUNCTION {_SIGNATURE}"


def upgrade() -> None:
    op.execute(CREATE)
    op.execute(COMMENT)
    op.execute(REVOKE)


def downgrade() -> None:
    op.execute(DROP)
