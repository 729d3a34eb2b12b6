"""`place_bets`' bets as typed arrays, one a column of `bets` (issue 19).

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-04

Revision 0066 sent every argument of the snapshot road's write as arrays but the bets: a JSON
array of rows of `bets` (24 columns), built in Python as dicts and taken apart again by
`jsonb_populate_recordset`. Now each column comes as an array of its own (NULL where a bet has
no value), read with `unnest(...)` straight into the INSERT; `params` as jsonb[]; the numeric
columns are sent as text and cast by the statement (asyncpg's numeric encoder builds a Decimal
an element). What it saved is in bench/README.md ("the bets as arrays", branch wt-bets).

The arguments change, so `place_bets` and `place_round_bets` (which passes them on) are
dropped and created again from their current text with these edits (each found once), their
settings kept and whoever could execute them still can (`function_edits.resign_functions`);
the downgrade restores 0066's functions exactly.
"""

from adapters.postgres.function_edits import resign_functions

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None

_TAIL = (
    " uuid[], uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[], boolean[],"
    " integer[], bigint[], text[], bigint[], text[], text[], text[], text, text)"
)
_HEAD = "bigint[], text[], boolean[], bigint[], bigint[], bigint[], bigint[], bigint[], jsonb,"
_BETS = (
    " uuid[], bigint[], text[], text[], bigint[], jsonb[], numeric[], bigint[], text[],"
    " timestamptz[], uuid[], bigint[], bigint[], text[], text[], bigint[], bigint[], bigint[],"
    " numeric[], numeric[], bigint[], timestamptz[], uuid[], text[],"
)
_PLACE_BETS_OLD = f"place_bets({_HEAD} jsonb,{_TAIL}"
_PLACE_BETS_NEW = f"place_bets({_HEAD}{_BETS}{_TAIL}"
_ROUND_OLD = f"place_round_bets(jsonb, {_HEAD} jsonb,{_TAIL}"
_ROUND_NEW = f"place_round_bets(jsonb, {_HEAD}{_BETS}{_TAIL}"

_ARGS_OLD = "p_new_pairs jsonb, p_bets jsonb, p_absent uuid[],"
_ARGS_NEW = (
    "p_new_pairs jsonb, p_bet_ids uuid[], p_bet_players bigint[], p_bet_games text[],"
    " p_bet_currencies text[], p_bet_stakes bigint[], p_bet_params jsonb[],"
    " p_bet_house_edges numeric[], p_bet_max_payouts bigint[], p_bet_states text[],"
    " p_bet_placed_at timestamp with time zone[], p_bet_placed_txs uuid[],"
    " p_bet_pairs bigint[], p_bet_nonces bigint[], p_bet_seed_hashes text[],"
    " p_bet_client_seeds text[], p_bet_dice_chats bigint[], p_bet_dice_messages bigint[],"
    " p_bet_outcomes bigint[], p_bet_multiplier_nums numeric[],"
    " p_bet_multiplier_dens numeric[], p_bet_payouts bigint[],"
    " p_bet_settled_at timestamp with time zone[], p_bet_settlement_txs uuid[],"
    " p_bet_void_reasons text[], p_absent uuid[],"
)
_INSERT_OLD = """    SELECT id, player_id, game, currency, stake, params, house_edge, max_payout, state,
        placed_at, placed_transaction_id, seed_pair_id, nonce, server_seed_hash, client_seed,
        dice_chat_id, dice_message_id, outcome, multiplier_num, multiplier_den, payout,
        settled_at, settlement_transaction_id, void_reason
    FROM jsonb_populate_recordset(NULL::bets, p_bets)
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count <> jsonb_array_length(p_bets) THEN"""
_INSERT_NEW = """    -- (The rows as arrays, one a column, in the table's order, revision 0067.)
    SELECT * FROM unnest(p_bet_ids, p_bet_players, p_bet_games, p_bet_currencies, p_bet_stakes,
        p_bet_params, p_bet_house_edges, p_bet_max_payouts, p_bet_states, p_bet_placed_at,
        p_bet_placed_txs, p_bet_pairs, p_bet_nonces, p_bet_seed_hashes, p_bet_client_seeds,
        p_bet_dice_chats, p_bet_dice_messages, p_bet_outcomes, p_bet_multiplier_nums,
        p_bet_multiplier_dens, p_bet_payouts, p_bet_settled_at, p_bet_settlement_txs,
        p_bet_void_reasons)
    ON CONFLICT (id) DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count <> cardinality(p_bet_ids) THEN"""
_CALL_OLD = "p_new_pairs, p_bets, p_absent,"
_CALL_NEW = """p_new_pairs, p_bet_ids, p_bet_players, p_bet_games,
                       p_bet_currencies, p_bet_stakes, p_bet_params, p_bet_house_edges,
                       p_bet_max_payouts, p_bet_states, p_bet_placed_at, p_bet_placed_txs,
                       p_bet_pairs, p_bet_nonces, p_bet_seed_hashes, p_bet_client_seeds,
                       p_bet_dice_chats, p_bet_dice_messages, p_bet_outcomes,
                       p_bet_multiplier_nums, p_bet_multiplier_dens, p_bet_payouts,
                       p_bet_settled_at, p_bet_settlement_txs, p_bet_void_reasons, p_absent,"""

_CHANGES = (
    (_PLACE_BETS_OLD, _PLACE_BETS_NEW, ((_ARGS_OLD, _ARGS_NEW), (_INSERT_OLD, _INSERT_NEW))),
    (_ROUND_OLD, _ROUND_NEW, ((_ARGS_OLD, _ARGS_NEW), (_CALL_OLD, _CALL_NEW))),
)


def upgrade() -> None:
    resign_functions(_CHANGES, forward=True)


def downgrade() -> None:
    resign_functions(_CHANGES, forward=False)
