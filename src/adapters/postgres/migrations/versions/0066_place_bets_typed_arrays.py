"""`place_bets`' rows as typed arrays, one a column (issue 19).

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-04

The snapshot road's write sent every argument as JSON built in Python, and PostgreSQL took it
apart again: the postings (`jsonb_to_recordset`, then aggregated back into the very arrays
`ledger_post_many` takes), the players' standings, the seed pairs' nonces, the wallets'
balances and the refused bet ids. Now those come as arrays, one a column, encoded by asyncpg
in its binary format (uuid, bytea, timestamptz, bigint as themselves): the postings are
`ledger_post_many`'s arrays as they are (a transaction's legs flattened, each with its
transaction's index), the rest is read with `unnest(...)`. The bets (a row of `bets`, 24
columns, `jsonb_populate_recordset`) and the new seed pairs (rare) stay JSON. What it saved,
on both sides, is in bench/README.md ("place_bets' arguments as typed arrays", branch
wt-args).

The arguments change, so `place_bets` and `place_round_bets` (which passes them on) are
dropped and created again from their current text with these edits (each found once), their
settings kept and whoever could execute them still can (`function_edits.resign_functions`);
the downgrade restores 0065's (0064's) functions exactly.
"""

from adapters.postgres.function_edits import earlier_revision, resign_functions

revision = "0066"
down_revision = "0065"
branch_labels = None
depends_on = None

_TAIL = "text[], text[], text[], text, text)"
_PLACE_BETS_OLD = f"place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, {_TAIL}"
_ARRAYS = (
    "bigint[], text[], boolean[], bigint[], bigint[], bigint[], bigint[], bigint[], jsonb,"
    " jsonb, uuid[], uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[],"
    " boolean[], integer[], bigint[], text[], bigint[], "
)
_PLACE_BETS_NEW = f"place_bets({_ARRAYS}{_TAIL}"
_ROUND_OLD = f"place_round_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, {_TAIL}"
_ROUND_NEW = f"place_round_bets(jsonb, {_ARRAYS}{_TAIL}"

_ARGS_OLD = (
    "p_players jsonb, p_pairs jsonb, p_wallets jsonb, p_new_pairs jsonb, p_bets jsonb,"
    " p_absent jsonb, p_postings jsonb, p_envelopes text[]"
)
_ARGS_NEW = (
    "p_player_ids bigint[], p_player_statuses text[], p_player_terms boolean[],"
    " p_pair_ids bigint[], p_pair_nonces bigint[], p_pair_taken bigint[],"
    " p_wallet_ids bigint[], p_wallet_balances bigint[], p_new_pairs jsonb, p_bets jsonb,"
    " p_absent uuid[], p_tx_ids uuid[], p_tx_kinds text[], p_tx_keys text[],"
    " p_tx_fingerprints bytea[], p_tx_references text[], p_tx_metadata jsonb[],"
    " p_tx_created_at timestamp with time zone[], p_tx_house_only boolean[],"
    " p_leg_of integer[], p_leg_accounts bigint[], p_leg_currencies text[],"
    " p_leg_amounts bigint[], p_envelopes text[]"
)

_IDS_OLD = """    -- The ids of the rows to find, read out of the JSON in one statement: `= ANY(array)` is an
    -- index scan whatever the planner guesses of a set-returning function's rows.
    SELECT ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_players) x),
           ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_pairs) x),
           ARRAY(SELECT (x ->> 'id')::bigint FROM jsonb_array_elements(p_wallets) x),
           ARRAY(SELECT DISTINCT jsonb_array_elements_text(t -> 'accounts')::bigint
                 FROM jsonb_array_elements(p_postings) t)
    INTO v_players, v_pairs, v_wallets, v_ids;
"""
_IDS_NEW = """    -- The ids of the rows to find as arrays: `= ANY(array)` is an index scan whatever the
    -- planner guesses of a set-returning function's rows. (The rows come as arrays, one a
    -- column, revision 0066: nothing to take out of JSON.)
    v_players := p_player_ids;
    v_pairs := p_pair_ids;
    v_wallets := p_wallet_ids;
    v_ids := ARRAY(SELECT DISTINCT a FROM unnest(p_leg_accounts) AS a);
"""
_PLAYERS_OLD = "FROM jsonb_to_recordset(p_players) AS x(id bigint, status text, terms boolean)"
_PLAYERS_NEW = (
    "FROM unnest(p_player_ids, p_player_statuses, p_player_terms) AS x(id, status, terms)"
)
_PAIRS_LOCK_OLD = """    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    LEFT JOIN"""
_PAIRS_LOCK_NEW = """    FROM unnest(p_pair_ids, p_pair_nonces) AS x(id, next_nonce)
    LEFT JOIN"""
_WALLETS_OLD = "FROM jsonb_to_recordset(p_wallets) AS x(id bigint, balance bigint)"
_WALLETS_NEW = "FROM unnest(p_wallet_ids, p_wallet_balances) AS x(id, balance)"
_ABSENT_OLD = """    IF p_absent <> '[]' AND EXISTS (
           SELECT 1 FROM bets b
           WHERE b.id = ANY(ARRAY(SELECT x::uuid FROM jsonb_array_elements_text(p_absent) x)))
    THEN"""
_ABSENT_NEW = """    IF cardinality(p_absent) > 0 AND EXISTS (SELECT 1 FROM bets b WHERE b.id = ANY(p_absent))
    THEN"""
_NONCES_OLD = """    FROM jsonb_to_recordset(p_pairs) AS x(id bigint, next_nonce bigint, taken bigint)
    WHERE s.id = x.id"""
_NONCES_NEW = """    FROM unnest(p_pair_ids, p_pair_taken) AS x(id, taken)
    WHERE s.id = x.id"""
# 0063's text of the postings' statement, loaded rather than copied (as 0036 and 0065 load
# theirs), so the two revisions cannot drift apart; this edit ends before its line break.
_POSTINGS_OLD = earlier_revision(
    __file__, "0063_place_bets_fewer_statements.py"
)._POSTINGS_NEW.removesuffix("\n")
_POSTINGS_NEW = """    -- (The arguments are its arrays as they are: a transaction's legs flattened, each with
    -- its transaction's index in `p_leg_of`, revision 0066.)
    IF cardinality(p_tx_ids) > 0 THEN
        WITH posted AS (
            SELECT p.*, p_tx_house_only[p.n] AS house_only
            FROM ledger_post_many(p_tx_ids, p_tx_kinds, p_tx_keys, p_tx_fingerprints,
                                  p_tx_references, p_tx_metadata, p_tx_created_at, p_leg_of,
                                  p_leg_accounts, p_leg_currencies, p_leg_amounts) AS p
        ),"""

_CALL_OLD = """PERFORM place_bets(p_players, p_pairs, p_wallets, p_new_pairs, p_bets, p_absent, p_postings,
                       p_envelopes,"""
_CALL_NEW = """PERFORM place_bets(p_player_ids, p_player_statuses, p_player_terms, p_pair_ids,
                       p_pair_nonces, p_pair_taken, p_wallet_ids, p_wallet_balances,
                       p_new_pairs, p_bets, p_absent, p_tx_ids, p_tx_kinds, p_tx_keys,
                       p_tx_fingerprints, p_tx_references, p_tx_metadata, p_tx_created_at,
                       p_tx_house_only, p_leg_of, p_leg_accounts, p_leg_currencies,
                       p_leg_amounts, p_envelopes,"""

_CHANGES = (
    (
        _PLACE_BETS_OLD,
        _PLACE_BETS_NEW,
        (
            (_ARGS_OLD, _ARGS_NEW),
            (_IDS_OLD, _IDS_NEW),
            (_PLAYERS_OLD, _PLAYERS_NEW),
            (_PAIRS_LOCK_OLD, _PAIRS_LOCK_NEW),
            (_WALLETS_OLD, _WALLETS_NEW),
            (_ABSENT_OLD, _ABSENT_NEW),
            (_NONCES_OLD, _NONCES_NEW),
            (_POSTINGS_OLD, _POSTINGS_NEW),
        ),
    ),
    (_ROUND_OLD, _ROUND_NEW, ((_ARGS_OLD, _ARGS_NEW), (_CALL_OLD, _CALL_NEW))),
)


def upgrade() -> None:
    resign_functions(_CHANGES, forward=True)


def downgrade() -> None:
    resign_functions(_CHANGES, forward=False)
