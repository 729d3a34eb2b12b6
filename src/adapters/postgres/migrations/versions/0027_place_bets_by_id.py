"""`place_bets` finds the rows it checks by id: no whole-table scan per call (issue 19).

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-03

Revision 0023's `place_bets` joined its JSON arguments (`jsonb_to_recordset`, which the planner
guesses at 100 rows) to the tables it checks, and the planner answered with hash joins over
whole tables on every call: every player, their preferences and the responsible-gambling
records for the standings (6.8 ms a call with 10,000 players, `EXPLAIN ANALYZE`), every
account for the balances, every seed pair for the nonce update. Each batch of bets paid for
the size of the casino. Now each of those statements also names the ids it wants
(`= ANY(array)`, gathered first as the locks already were), which the planner serves with
index scans. Same signature, same checks, same errors, same order of locks: only the plans
change. `CREATE OR REPLACE` keeps the function's owner and grants.
"""

from pathlib import Path

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

PLACE_BETS = r"""
CREATE OR REPLACE FUNCTION place_bets(
    p_players jsonb, p_pairs jsonb, p_wallets jsonb, p_new_pairs jsonb, p_bets jsonb,
    p_absent jsonb, p_postings jsonb, p_events jsonb, p_house_wait text, p_lock_wait text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_stale text;
    v_count bigint;
    v_replayed boolean;
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
BEGIN
    -- Lock waits are bounded (p_lock_wait; the house rows p_house_wait), so that a
    -- transaction of the locked road, which may hold a seed pair or a wallet and queue on the
    -- house rows, is never the one to fail: this write gives up (55P03) and is tried again.
    PERFORM set_config('lock_timeout', p_lock_wait, true);
    -- The players' standings as read, and no responsible-gambling record since. Read, not
    -- locked: the locked road reads a player without a record the same way (a block that
    -- commits while this statement runs is ordered after the bet, as it would be there).
    -- The rows are found by id (`= ANY(array)`, index scans): written as NOT EXISTS ... OR
    -- EXISTS over the JSON rows, the planner hashed all of players, player_preferences and
    -- responsible_profiles on every call (revision 0027).
    v_players := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_players) x);
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_players) AS x(id bigint, status text, terms boolean)
    LEFT JOIN (SELECT p.id, p.status, pp.terms_accepted_at IS NOT NULL AS terms,
                      r.player_id IS NOT NULL AS guarded
               FROM players p
               LEFT JOIN player_preferences pp
                      ON pp.player_id = p.id AND pp.player_id = ANY(v_players)
               LEFT JOIN responsible_profiles r
                      ON r.player_id = p.id AND r.player_id = ANY(v_players)
               WHERE p.id = ANY(v_players)) AS cur ON cur.id = x.id
    WHERE cur.id IS NULL OR cur.status IS DISTINCT FROM x.status
       OR cur.terms IS DISTINCT FROM x.terms OR cur.guarded;
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'the standing of player(s) % changed since it was read', v_stale
            USING ERRCODE = 'CR412';
    END IF;

    -- The house rows the postings move, in id order, then the seed pairs in player order,
    -- then the wallets in id order: the order a batch has always taken them in.
    -- (Ids gathered into arrays first: `= ANY(array)` is an index scan whatever the planner
    -- guesses of a set-returning function's rows.)
    v_ids := ARRAY(SELECT DISTINCT jsonb_array_elements_text(t -> 'accounts')::bigint
                   FROM jsonb_array_elements(p_postings) t);
    PERFORM set_config('lock_timeout', p_house_wait, true);
    PERFORM 1 FROM accounts a
    WHERE a.id = ANY(v_ids) AND a.player_id IS NULL
    ORDER BY a.id FOR UPDATE;
    PERFORM set_config('lock_timeout', p_lock_wait, true);

    v_pairs := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_pairs) x);
    PERFORM 1 FROM seed_pairs s WHERE s.id = ANY(v_pairs) ORDER BY s.player_id FOR UPDATE;
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
        RAISE EXCEPTION 'the balance of account(s) % changed since it was read', v_stale
            USING ERRCODE = 'CR412';
    END IF;

    INSERT INTO seed_pairs (id, player_id, server_seed_encrypted, server_seed_hash,
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

    -- A bet refused on what was read is refused only while no twin of it was placed.
    IF p_absent <> '[]' AND EXISTS (
           SELECT 1 FROM bets b
           WHERE b.id = ANY(ARRAY(SELECT x::uuid FROM jsonb_array_elements_text(p_absent) x)))
    THEN
        RAISE EXCEPTION 'a refused bet id was placed since it was read' USING ERRCODE = 'CR412';
    END IF;

    INSERT INTO bets (id, player_id, game, currency, stake, params, house_edge, max_payout, state,
        placed_at, placed_transaction_id, seed_pair_id, nonce, server_seed_hash, client_seed,
        dice_chat_id, dice_message_id, outcome, multiplier_num, multiplier_den, payout,
        settled_at, settlement_transaction_id, void_reason)
    SELECT id, player_id, game, currency, stake, params, house_edge, max_payout, state,
        placed_at, placed_transaction_id, seed_pair_id, nonce, server_seed_hash, client_seed,
        dice_chat_id, dice_message_id, outcome, multiplier_num, multiplier_den, payout,
        settled_at, settlement_transaction_id, void_reason
    FROM jsonb_populate_recordset(NULL::bets, p_bets)
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count <> jsonb_array_length(p_bets) THEN
        RAISE EXCEPTION 'a bet id was placed since it was read' USING ERRCODE = 'CR412';
    END IF;

    -- (`s.id = ANY`: joined to the JSON rows alone, the planner scanned every seed pair.)
    UPDATE seed_pairs s SET next_nonce = s.next_nonce + x.taken
    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    WHERE s.id = x.id AND s.id = ANY(v_pairs);

    -- All the postings in one call of ledger_post_many (revision 0021), in order; the legs
    -- of the transactions that move only house accounts come back for their events.
    WITH t AS (
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
        house AS (
            SELECT p.transaction_id,
                   jsonb_agg(jsonb_build_object(
                       'account_id', p.account_id, 'account_kind', a.kind,
                       'currency', p.currency, 'amount', p.amount,
                       'balance', p.balance_after) ORDER BY p.account_id) AS legs
            -- (`a.id = ANY`: v_ids still holds every account of the postings.)
            FROM posted p JOIN accounts a ON a.id = p.account_id AND a.id = ANY(v_ids)
            WHERE v_house_only[p.n]
            GROUP BY p.transaction_id
        )
        SELECT (SELECT coalesce(bool_or(replayed), false) FROM posted),
               (SELECT coalesce(jsonb_object_agg(transaction_id::text, legs), '{}') FROM house)
        INTO v_replayed, v_house;
        IF v_replayed THEN
            RAISE EXCEPTION 'a transaction of these bets was posted since it was read'
                USING ERRCODE = 'CR412';
        END IF;
    END IF;

    -- The event of a transaction that moved no player's money (a lost bet's settlement)
    -- tells the house accounts' new balances, which only the posting knows: filled in here.
    IF v_house <> '{}' THEN
        SELECT jsonb_agg(CASE WHEN v_house ? (e -> 'data' ->> 'transaction_id')
                                   AND e ->> 'aggregate_type' = 'ledger_transaction'
                              THEN jsonb_set(e, '{data,balances}',
                                             v_house -> (e -> 'data' ->> 'transaction_id'))
                              ELSE e END ORDER BY n)
        INTO p_events
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS x(e, n);
    END IF;
    PERFORM outbox_append(p_events);
END;
$$
"""


def _revision_0023() -> str:
    """0023's function, as that frozen revision wrote it (its module name starts with a digit,
    so it is read by path), to put back on downgrade."""
    source = (Path(__file__).with_name("0023_place_bets.py")).read_text()
    start = source.index('PLACE_BETS = r"""') + len('PLACE_BETS = r"""')
    text = source[start : source.index('"""', start)]
    return text.replace("CREATE FUNCTION place_bets(", "CREATE OR REPLACE FUNCTION place_bets(", 1)


def upgrade() -> None:
    op.execute(PLACE_BETS)


def downgrade() -> None:
    op.execute(_revision_0023())
