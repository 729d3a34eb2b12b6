"""The snapshot read, `placement_snapshot`, cheaper to start and to run (issue 19).

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-04

The read before a batch's write was ~230 µs of PostgreSQL's wall a call at a batch of one
(its query 141), a fixed cost of every batch (bench/README.md, "the snapshot read's cost a
batch", branch wt-read). Measured part by part on its generic plans, with and without the
tables' statistics, nothing read more rows than it returned (the bankrolls' house rows are
`uq_accounts_wallet`'s index condition on all three of its columns: NULL player, currency,
kind), so the plans stay; what cost was the building of the JSON and one scan done twice:

- `json_build_object` / `json_agg` / `json_build_array` instead of their jsonb forms: the
  text is what is returned, and jsonb built every value into its binary form, sorted every
  object's keys, then printed it all as text (the pairs at a batch of 16: 32 → 21 µs).
- The active seed pairs and the reserved ids in one scan of the players and their active
  pair (a LEFT JOIN), instead of the pairs' scan and a NOT EXISTS anti join over them.
- No `coalesce(..., '[]')` around each aggregate: an empty one is JSON null, which the
  service reads as empty (`adapters.postgres.snapshot_placements`).

The same rows, read without locks in one statement; the function keeps its arguments,
settings (the caller's rights, search_path, generic plans) and grants: replaced in place
(`CREATE OR REPLACE` of its current text with the body swapped); the downgrade swaps it back.
"""

from adapters.postgres.function_edits import earlier_revision, edit_function

revision = "0065"
down_revision = "0064"
branch_labels = None
depends_on = None

_SNAPSHOT = "placement_snapshot(uuid[], bigint[], text[], text[], text)"


def _body_0064() -> str:
    # The body as revisions 0033 and 0036 wrote it (unchanged since), loaded rather than
    # copied, as 0036 loads 0033's.
    module = earlier_revision(__file__, "0036_promotion_books.py")
    text = str(module._snapshot(module._WALLETS_0033, module._WALLETS_0036))
    return text[text.index("    RETURN (\n") : text.index("END;\n$$")]


_BODY_NEW = """    RETURN json_build_object(
        'existing', (SELECT json_agg(id) FROM bets WHERE id = ANY(p_bets)),
        'guarded', (SELECT json_agg(player_id) FROM responsible_profiles
                    WHERE player_id = ANY(p_players)),
        'standings', (SELECT json_agg(json_build_array(
                                 p.id, p.status, pp.terms_accepted_at IS NOT NULL))
                      FROM players p
                      LEFT JOIN player_preferences pp
                             ON pp.player_id = p.id AND pp.player_id = ANY(p_players)
                      WHERE p.id = ANY(p_players)),
        'wallets', (SELECT json_agg(json_build_array(player_id, currency, id, balance))
                    FROM accounts
                    WHERE player_id = ANY(p_players) AND currency = ANY(p_currencies)
                      AND kind = 'player_wallet'),
        -- The active pairs and, for each player without one, a pair id reserved: one scan.
        -- (An aggregate's FILTER is checked before its arguments are evaluated, so nextval
        -- runs only for the players without a pair, as the NOT EXISTS did.)
        'pairs', (SELECT json_build_array(
                             json_agg(json_build_array(
                                 s.id, s.player_id, encode(s.server_seed_encrypted, 'base64'),
                                 s.server_seed_hash, s.client_seed, s.next_nonce, s.created_at))
                                 FILTER (WHERE s.id IS NOT NULL),
                             json_agg(json_build_array(x.p, nextval('seed_pairs_id_seq')))
                                 FILTER (WHERE s.id IS NULL))
                  FROM unnest(p_players) AS x(p)
                  LEFT JOIN seed_pairs s ON s.player_id = x.p AND s.revealed_at IS NULL),
        'bankrolls', (SELECT json_object_agg(currency, total)
                      FROM (SELECT currency, sum(balance) AS total FROM accounts
                            WHERE kind = p_house_kind AND player_id IS NULL
                              AND currency = ANY(p_currencies)
                            GROUP BY currency) AS house),
        'games', (SELECT json_agg(json_build_array(
                             g.code, g.enabled, CAST(g.house_edge AS text),
                             (SELECT json_object_agg(l.currency, json_build_array(
                                         l.min_stake, l.max_stake, l.max_payout))
                              FROM game_limits l WHERE l.game = g.code)))
                  FROM games g WHERE g.code = ANY(p_games))
    )::text;
"""


def upgrade() -> None:
    edit_function(_SNAPSHOT, ((_body_0064(), _BODY_NEW),), forward=True)


def downgrade() -> None:
    edit_function(_SNAPSHOT, ((_body_0064(), _BODY_NEW),), forward=False)
