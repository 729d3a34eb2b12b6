"""A bet in two round trips (issue 19): `place_bets`, the write of bets decided on a snapshot.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02

A provably fair bet is read without locks (one statement), decided in Python, and written by one
call of `place_bets` in autocommit (the statement is the transaction). The function locks what
the decision rested on — the players (shared: a block waits for it, it waits for a block), the
seed pairs in player order, the accounts in id order — and checks that it still holds: each
player's status and terms as read and no responsible-gambling record, each seed pair's nonce and
each wallet's balance as read. A mismatch raises SQLSTATE CR412 before anything is written (the
caller reads again and decides again); otherwise it inserts the bets (a bet id that exists is a
CR412 too: the caller's next read sees a replay), advances the nonces, posts every transaction
with one call of `ledger_post_many` (revision 0021) and appends the events with
`outbox_append` (revision 0022), one outbox row for the call.

`place_bets` runs with its owner's rights (like `ledger_post`, revision 0014) so that it may lock
accounts, which the services' role may only read; balances and the journal still change only
inside the posting functions. Neither function is callable by PUBLIC: `croupier db grant` grants them.
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# p_players [{id, status, terms}], p_pairs [{id, next_nonce, taken}], p_wallets [{id, balance}]:
# what the decision read. p_new_pairs: seed pairs to create (ids taken from the sequence by the
# read; next_nonce already past the nonces their bets take), p_bets: rows of `bets`, p_absent:
# ids of bets refused on what was read, p_postings: `ledger_post`'s arguments (and whether the
# transaction moves house accounts only: its event's balances are filled in here), p_events:
# the unit of work's event envelopes (outbox_append's argument).
PLACE_BETS = r"""
CREATE FUNCTION place_bets(
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
    v_house jsonb := '{}';
BEGIN
    -- Lock waits are bounded (p_lock_wait; the house rows p_house_wait), so that a
    -- transaction of the locked road, which may hold a seed pair or a wallet and queue on the
    -- house rows, is never the one to fail: this write gives up (55P03) and is tried again.
    PERFORM set_config('lock_timeout', p_lock_wait, true);
    -- The players' standings as read, and no responsible-gambling record since. Read, not
    -- locked: the locked road reads a player without a record the same way (a block that
    -- commits while this statement runs is ordered after the bet, as it would be there).
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_players) AS x(id bigint, status text, terms boolean)
    WHERE NOT EXISTS (
              SELECT 1 FROM players p LEFT JOIN player_preferences pp ON pp.player_id = p.id
              WHERE p.id = x.id AND p.status = x.status
                AND (pp.terms_accepted_at IS NOT NULL) = x.terms)
       OR EXISTS (SELECT 1 FROM responsible_profiles r WHERE r.player_id = x.id);
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

    v_ids := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_pairs) x);
    PERFORM 1 FROM seed_pairs s WHERE s.id = ANY(v_ids) ORDER BY s.player_id FOR UPDATE;
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    WHERE NOT EXISTS (SELECT 1 FROM seed_pairs s
                      WHERE s.id = x.id AND s.next_nonce = x.next_nonce
                        AND s.revealed_at IS NULL);
    IF v_stale IS NOT NULL THEN
        RAISE EXCEPTION 'seed pair(s) % moved on since they were read', v_stale
            USING ERRCODE = 'CR412';
    END IF;

    v_ids := ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_wallets) x);
    PERFORM 1 FROM accounts a WHERE a.id = ANY(v_ids) ORDER BY a.id FOR UPDATE;
    SELECT string_agg(x.id::text, ', ') INTO v_stale
    FROM jsonb_to_recordset(p_wallets) AS x(id bigint, balance bigint)
    WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = x.id AND a.balance = x.balance);
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

    UPDATE seed_pairs s SET next_nonce = s.next_nonce + x.taken
    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    WHERE s.id = x.id;

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
            FROM posted p JOIN accounts a ON a.id = p.account_id
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

_OUTBOX_SIGNATURE = "outbox_append(jsonb)"
_PLACE_SIGNATURE = "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)"


def upgrade() -> None:
    # Only `croupier db grant` lets the services' role append events (revision 0022 left the
    # default, callable by PUBLIC).
    op.execute(f"REVOKE EXECUTE ON FUNCTION {_OUTBOX_SIGNATURE} FROM PUBLIC")
    op.execute(PLACE_BETS)
    op.execute(f"REVOKE EXECUTE ON FUNCTION {_PLACE_SIGNATURE} FROM PUBLIC")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {_PLACE_SIGNATURE}")
    op.execute(f"GRANT EXECUTE ON FUNCTION {_OUTBOX_SIGNATURE} TO PUBLIC")
