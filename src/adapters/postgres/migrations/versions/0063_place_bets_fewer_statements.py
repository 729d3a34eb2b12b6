"""Fewer statements in one call of `place_bets` (issue 19).

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-04

A call's fixed cost was ~19 statements of its own (and ~15 more in the functions it calls),
each paying an executor start, a snapshot and its plan's nodes, and it was about half of
PostgreSQL's CPU a bet at the batch sizes the bet queue makes (bench/README.md, "what a batch
costs before its first bet" and "place_bets in fewer statements", branch wt-call). Now:

- The four id arrays (players, seed pairs, wallets, the postings' accounts) are read out of
  the JSON in one statement, not four.
- Each lock and the check of what it locked are one statement: the seed pairs locked in
  player order and compared with what was read, the wallets locked in id order and compared.
  A row locked FOR UPDATE in READ COMMITTED is returned in its newest committed version, so
  the locking subquery's rows are the ones the separate check used to read again. The lock
  order is revision 0050's (seed pairs, house accounts, wallets), the errors the same
  (CR412 with the same messages, 55P03). A stale seed pair is now reported before the house
  rows are locked rather than after: the same error, a lock fewer held while it is raised.
- `set_config('lock_timeout', ...)` is an assignment, a simple expression plpgsql evaluates
  without a statement of its own, not a PERFORM.
- The house accounts are found as `a.shard IS NOT NULL` (the house's rows, `ck_accounts_owner`)
  instead of `a.player_id IS NULL`: with the latter the generic plan read every house account
  through `uq_accounts_wallet` for its NULLs, filtered them by id and sorted them (576 rows,
  ~50 µs a call in the bench); now it is the primary key's index scan, in id order.
- The new seed pairs' INSERT runs only when there are new pairs.
- The postings become `ledger_post_many`'s arrays in the statement that calls it, one
  aggregate pass each over the transactions and over their legs (twelve scalar subqueries
  before).

`place_bets` keeps its arguments, so it is replaced in place (`CREATE OR REPLACE`, its grants
and settings kept) from its current text with these edits (each checked to be found once);
the downgrade undoes them. `place_round_bets` calls it unchanged.
"""

from adapters.postgres.function_edits import edit_function

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None

_PLACE_BETS = (
    "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text[], text[], text[], text,"
    " text)"
)

_DECLARE_OLD = """    v_replayed boolean;
    v_tx_ids uuid[];
    v_kinds text[];
    v_keys text[];
    v_fingerprints bytea[];
    v_references text[];
    v_metadata jsonb[];
    v_created_at timestamptz[];
    v_house_only boolean[];
    v_leg_of integer[];
    v_accounts bigint[];
    v_currencies text[];
    v_amounts bigint[];
    v_ids bigint[];
    v_players bigint[];
    v_pairs bigint[];
    v_wallets bigint[];
    v_house jsonb := '{}';
"""
_DECLARE_NEW = """    v_replayed boolean;
    v_ids bigint[];
    v_players bigint[];
    v_pairs bigint[];
    v_wallets bigint[];
    v_house jsonb := '{}';
    v_setting text;
"""

_START_OLD = """    PERFORM set_config('lock_timeout', p_lock_wait, true);
    -- The players' standings as read,"""
_START_NEW = """    -- (set_config as an assignment: a simple expression, no statement of its own, 0063.)
    v_setting := set_config('lock_timeout', p_lock_wait, true);
    -- The ids of the rows to find, read out of the JSON in one statement: `= ANY(array)` is an
    -- index scan whatever the planner guesses of a set-returning function's rows.
    SELECT ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_players) x),
           ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_pairs) x),
           ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_wallets) x),
           ARRAY(SELECT DISTINCT jsonb_array_elements_text(t -> 'accounts')::bigint
                 FROM jsonb_array_elements(p_postings) t)
    INTO v_players, v_pairs, v_wallets, v_ids;

    -- The players' standings as read,"""

_PLAYERS_OLD = """    -- responsible_profiles on every call (revision 0027).
    v_players := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_players) x);
"""
_PLAYERS_NEW = """    -- responsible_profiles on every call (revision 0027).
"""

_LOCKS_OLD = """    -- (Ids gathered into arrays first: `= ANY(array)` is an index scan whatever the planner
    -- guesses of a set-returning function's rows.)
    v_pairs := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_pairs) x);
    PERFORM 1 FROM seed_pairs s WHERE s.id = ANY(v_pairs) ORDER BY s.player_id FOR UPDATE;

    v_ids := ARRAY(SELECT DISTINCT jsonb_array_elements_text(t -> 'accounts')::bigint
                   FROM jsonb_array_elements(p_postings) t);
    PERFORM set_config('lock_timeout', p_house_wait, true);
    PERFORM 1 FROM accounts a
    WHERE a.id = ANY(v_ids) AND a.player_id IS NULL
    ORDER BY a.id FOR UPDATE;
    PERFORM set_config('lock_timeout', p_lock_wait, true);
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    WHERE NOT EXISTS (SELECT 1 FROM seed_pairs s
                      WHERE s.id = x.id AND s.next_nonce = x.next_nonce
                        AND s.revealed_at IS NULL AND s.id = ANY(v_pairs));
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'seed pair(s) % moved on since they were read', v_stale
            USING ERRCODE = 'CR412';
    END IF;

    v_wallets := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_wallets) x);
    PERFORM 1 FROM accounts a WHERE a.id = ANY(v_wallets) ORDER BY a.id FOR UPDATE;
    -- (`a.id = ANY`: joined to the JSON rows alone, the planner scanned every account.)
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_wallets) AS x(id bigint, balance bigint)
    WHERE NOT EXISTS (SELECT 1 FROM accounts a
                      WHERE a.id = x.id AND a.balance = x.balance AND a.id = ANY(v_wallets));
    IF v_stale IS NOT NULL THEN
"""
_LOCKS_NEW = """    -- Each lock and the check of what it locked are one statement (revision 0063): a row
    -- locked FOR UPDATE in READ COMMITTED comes back in its newest committed version, the one
    -- compared. The locking subquery sorts, then locks row by row in that order, whatever
    -- joins it.
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    LEFT JOIN (SELECT s.id, s.next_nonce, s.revealed_at FROM seed_pairs s
               WHERE s.id = ANY(v_pairs) ORDER BY s.player_id FOR UPDATE) AS s ON s.id = x.id
    WHERE s.id IS NULL OR s.next_nonce IS DISTINCT FROM x.next_nonce
       OR s.revealed_at IS NOT NULL;
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'seed pair(s) % moved on since they were read', v_stale
            USING ERRCODE = 'CR412';
    END IF;

    -- (`a.shard IS NOT NULL`: the house's rows, ck_accounts_owner. Written `a.player_id IS
    -- NULL`, the generic plan read every house account through uq_accounts_wallet for its
    -- NULLs and sorted them; this is the primary key's index scan, in id order.)
    v_setting := set_config('lock_timeout', p_house_wait, true);
    PERFORM 1 FROM accounts a
    WHERE a.id = ANY(v_ids) AND a.shard IS NOT NULL
    ORDER BY a.id FOR UPDATE;
    v_setting := set_config('lock_timeout', p_lock_wait, true);

    -- (`a.id = ANY`: joined to the JSON rows alone, the planner scanned every account.)
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_wallets) AS x(id bigint, balance bigint)
    LEFT JOIN (SELECT a.id, a.balance FROM accounts a
               WHERE a.id = ANY(v_wallets) ORDER BY a.id FOR UPDATE) AS a ON a.id = x.id
    WHERE a.id IS NULL OR a.balance IS DISTINCT FROM x.balance;
    IF v_stale IS NOT NULL THEN
"""

_NEW_PAIRS_OLD = """    INSERT INTO seed_pairs (id, player_id, server_seed_encrypted, server_seed_hash,
                            client_seed, next_nonce, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT x.id, x.player_id, decode(x.sealed, 'base64'), x.hash, x.client_seed, x.next_nonce,
           x.created_at
    FROM jsonb_to_recordset(p_new_pairs) AS x(id bigint, player_id bigint, sealed text,
                                              hash text, client_seed text, next_nonce bigint,
                                              created_at timestamptz)
    ORDER BY x.player_id
    ON CONFLICT (player_id) WHERE revealed_at IS NULL DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count <> jsonb_array_length(p_new_pairs) THEN
        RAISE EXCEPTION 'a player got a seed pair since it was read' USING ERRCODE = 'CR412';
    END IF;
"""
_NEW_PAIRS_NEW = """    IF p_new_pairs <> '[]' THEN
        INSERT INTO seed_pairs (id, player_id, server_seed_encrypted, server_seed_hash,
                                client_seed, next_nonce, created_at)
        OVERRIDING SYSTEM VALUE
        SELECT x.id, x.player_id, decode(x.sealed, 'base64'), x.hash, x.client_seed,
               x.next_nonce, x.created_at
        FROM jsonb_to_recordset(p_new_pairs) AS x(id bigint, player_id bigint, sealed text,
                                                  hash text, client_seed text,
                                                  next_nonce bigint, created_at timestamptz)
        ORDER BY x.player_id
        ON CONFLICT (player_id) WHERE revealed_at IS NULL DO NOTHING;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        IF v_count <> jsonb_array_length(p_new_pairs) THEN
            RAISE EXCEPTION 'a player got a seed pair since it was read'
                USING ERRCODE = 'CR412';
        END IF;
    END IF;
"""

_POSTINGS_OLD = """    WITH t AS (
        SELECT * FROM ROWS FROM (jsonb_to_recordset(p_postings) AS (
                 id uuid, kind text, key text, fingerprint text, reference text,
                 metadata jsonb, created_at timestamptz, accounts bigint[], currencies text[],
                 amounts bigint[], house_only boolean))
             WITH ORDINALITY AS x(id, kind, key, fingerprint, reference, metadata, created_at,
                                  accounts, currencies, amounts, house_only, n)
    ),
    legs AS (
        SELECT t.n, l.account, l.currency, l.amount, l.i
        FROM t, unnest(t.accounts, t.currencies, t.amounts) WITH ORDINALITY
                AS l(account, currency, amount, i)
    )
    SELECT (SELECT array_agg(id ORDER BY n) FROM t), (SELECT array_agg(kind ORDER BY n) FROM t),
           (SELECT array_agg(key ORDER BY n) FROM t),
           (SELECT array_agg(decode(fingerprint, 'hex') ORDER BY n) FROM t),
           (SELECT array_agg(reference ORDER BY n) FROM t),
           (SELECT array_agg(metadata ORDER BY n) FROM t),
           (SELECT array_agg(created_at ORDER BY n) FROM t),
           (SELECT array_agg(house_only ORDER BY n) FROM t),
           (SELECT array_agg(n::integer ORDER BY n, i) FROM legs),
           (SELECT array_agg(account ORDER BY n, i) FROM legs),
           (SELECT array_agg(currency ORDER BY n, i) FROM legs),
           (SELECT array_agg(amount ORDER BY n, i) FROM legs)
    INTO v_tx_ids, v_kinds, v_keys, v_fingerprints, v_references, v_metadata, v_created_at,
         v_house_only, v_leg_of, v_accounts, v_currencies, v_amounts;
    IF v_tx_ids IS NOT NULL THEN
        WITH posted AS (
            SELECT * FROM ledger_post_many(v_tx_ids, v_kinds, v_keys, v_fingerprints,
                                           v_references, v_metadata, v_created_at, v_leg_of,
                                           v_accounts, v_currencies, v_amounts)
        ),
"""
_POSTINGS_NEW = """    -- (The arrays are built in the statement that posts them, one pass over the transactions
    -- and one over their legs, revision 0063.)
    IF p_postings <> '[]' THEN
        WITH t AS (
            SELECT * FROM ROWS FROM (jsonb_to_recordset(p_postings) AS (
                     id uuid, kind text, key text, fingerprint text, reference text,
                     metadata jsonb, created_at timestamptz, accounts bigint[],
                     currencies text[], amounts bigint[], house_only boolean))
                 WITH ORDINALITY AS x(id, kind, key, fingerprint, reference, metadata,
                                      created_at, accounts, currencies, amounts, house_only, n)
        ),
        txs AS (
            SELECT array_agg(id ORDER BY n) AS ids, array_agg(kind ORDER BY n) AS kinds,
                   array_agg(key ORDER BY n) AS keys,
                   array_agg(decode(fingerprint, 'hex') ORDER BY n) AS fingerprints,
                   array_agg(reference ORDER BY n) AS refs,
                   array_agg(metadata ORDER BY n) AS metadata,
                   array_agg(created_at ORDER BY n) AS created_at,
                   array_agg(house_only ORDER BY n) AS house_only
            FROM t
        ),
        legs AS (
            SELECT array_agg(t.n::integer ORDER BY t.n, l.i) AS leg_of,
                   array_agg(l.account ORDER BY t.n, l.i) AS accounts,
                   array_agg(l.currency ORDER BY t.n, l.i) AS currencies,
                   array_agg(l.amount ORDER BY t.n, l.i) AS amounts
            FROM t, unnest(t.accounts, t.currencies, t.amounts) WITH ORDINALITY
                    AS l(account, currency, amount, i)
        ),
        posted AS (
            SELECT p.*, txs.house_only[p.n] AS house_only
            FROM txs, legs,
                 ledger_post_many(txs.ids, txs.kinds, txs.keys, txs.fingerprints, txs.refs,
                                  txs.metadata, txs.created_at, legs.leg_of, legs.accounts,
                                  legs.currencies, legs.amounts) AS p
        ),
"""

_HOUSE_OLD = """            WHERE v_house_only[p.n]
"""
_HOUSE_NEW = """            WHERE p.house_only
"""

_EDITS = (
    (_DECLARE_OLD, _DECLARE_NEW),
    (_START_OLD, _START_NEW),
    (_PLAYERS_OLD, _PLAYERS_NEW),
    (_LOCKS_OLD, _LOCKS_NEW),
    (_NEW_PAIRS_OLD, _NEW_PAIRS_NEW),
    (_POSTINGS_OLD, _POSTINGS_NEW),
    (_HOUSE_OLD, _HOUSE_NEW),
)


def upgrade() -> None:
    edit_function(_PLACE_BETS, _EDITS, forward=True)


def downgrade() -> None:
    edit_function(_PLACE_BETS, _EDITS, forward=False)
