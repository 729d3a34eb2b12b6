"""A bet's two statements are planned once per connection (issue 19).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03

PL/pgSQL keeps a plan for each statement of a function per connection, but under the default
`plan_cache_mode = auto` it plans each one again on every call (a custom plan for the call's
values) whenever it guesses the generic plan dearer. pg_stat_statements with
`track = all, track_planning = on` counted ~1 planning a call for nine of their statements (the
standings check, the seed pairs' and wallets' checks and locks, the postings' read-back and
counts, the call of `ledger_post_many`): about 0.8 ms of PostgreSQL's ~3 ms of CPU for a bet
alone went to planning the same statements again. Every one of those statements finds its rows
by id (`= ANY(array)`, revision 0027), which the generic plan does by index as the custom one
did (tests/integration/test_bet_on_snapshot.py checks the plans), so the functions now run with
`plan_cache_mode = force_generic_plan`: planned once per connection. Nothing else changes (same
checks, locks, errors, grants); the setting applies only while the function runs.

The snapshot read a placement decides on (`adapters.postgres.snapshot_placements`) was one
prepared statement that PostgreSQL planned again on every call for the same reason (~0.35 ms
a call). It is now the body of `placement_snapshot`, a function with the same setting (invoker's
rights: it reads what the app role may read, and reserves seed pair ids as it did): its generic
plan reads every table by index (`EXPLAIN (GENERIC_PLAN)` of the statement, 10,000 players).
As in revision 0027, the joined tables also name the ids wanted (`= ANY(p_players)`): a
generic plan knows no array's size, and without them it may join `player_preferences` or
`seed_pairs` whole (the test suite's database, with the plans test, found one).
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_FUNCTIONS = (
    "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)",
    "ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[], integer[],"
    " bigint[], text[], bigint[])",
)


PLACEMENT_SNAPSHOT = r"""
CREATE FUNCTION placement_snapshot(
    p_bets uuid[], p_players bigint[], p_currencies text[], p_games text[], p_house_kind text)
RETURNS text LANGUAGE plpgsql
SET search_path = public, pg_temp SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    RETURN (
    SELECT jsonb_build_object(
        'existing', (SELECT coalesce(jsonb_agg(id), '[]') FROM bets WHERE id = ANY(p_bets)),
        'guarded', (SELECT coalesce(jsonb_agg(player_id), '[]') FROM responsible_profiles
                    WHERE player_id = ANY(p_players)),
        'standings', (SELECT coalesce(jsonb_agg(jsonb_build_array(
                                 p.id, p.status, pp.terms_accepted_at IS NOT NULL)), '[]')
                      FROM players p
                      LEFT JOIN player_preferences pp
                             ON pp.player_id = p.id AND pp.player_id = ANY(p_players)
                      WHERE p.id = ANY(p_players)),
        'wallets', (SELECT coalesce(jsonb_agg(jsonb_build_array(player_id, currency, id, balance)),
                                    '[]')
                    FROM accounts
                    WHERE player_id = ANY(p_players) AND currency = ANY(p_currencies)),
        'pairs', (SELECT coalesce(jsonb_agg(jsonb_build_array(
                             id, player_id, encode(server_seed_encrypted, 'base64'),
                             server_seed_hash, client_seed, next_nonce, created_at)), '[]')
                  FROM seed_pairs WHERE player_id = ANY(p_players) AND revealed_at IS NULL),
        'reserved', (SELECT coalesce(jsonb_agg(jsonb_build_array(
                                p, nextval('seed_pairs_id_seq'))), '[]')
                     FROM unnest(p_players) AS p
                     WHERE NOT EXISTS (SELECT 1 FROM seed_pairs s
                                       WHERE s.player_id = p AND s.revealed_at IS NULL
                                         AND s.player_id = ANY(p_players))),
        'bankrolls', (SELECT coalesce(jsonb_object_agg(currency, total), '{}')
                      FROM (SELECT currency, sum(balance) AS total FROM accounts
                            WHERE kind = p_house_kind AND player_id IS NULL
                              AND currency = ANY(p_currencies)
                            GROUP BY currency) AS house),
        'games', (SELECT coalesce(jsonb_agg(jsonb_build_array(
                             g.code, g.enabled, CAST(g.house_edge AS text),
                             (SELECT coalesce(jsonb_object_agg(l.currency, jsonb_build_array(
                                                  l.min_stake, l.max_stake, l.max_payout)), '{}')
                              FROM game_limits l WHERE l.game = g.code))), '[]')
                  FROM games g WHERE g.code = ANY(p_games))
    )::text
    );
END;
$$
"""


def upgrade() -> None:
    for function in _FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET plan_cache_mode = force_generic_plan")
    op.execute(PLACEMENT_SNAPSHOT)


def downgrade() -> None:
    op.execute("DROP FUNCTION placement_snapshot(uuid[], bigint[], text[], text[], text)")
    for function in _FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} RESET plan_cache_mode")
