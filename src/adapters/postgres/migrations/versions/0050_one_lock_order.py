"""One lock order for a bet's rows on both roads (issue 19).

Revision ID: 0050
Revises: 0051
Create Date: 2026-12-03

A bet locks its player's seed pair (the nonce) and the accounts it posts to. The locked road
(`Placement._place_in`) took the seed pair first (`take_nonce`), then the accounts when it
posted (`ledger_post_many`: every account in id order); the snapshot write (`place_bets`) took
the house rows first, then the seed pairs, then the wallets. A bet on the locked road holding
its seed pair and waiting for a house row, and a batch holding that house row and waiting for
the seed pair, was a deadlock (3 of 100 concurrent bets of one player; commit c0d1f40 made the
victim start over). Now both take them in one order:

1. seed pairs, in player order (`place_bets`; the locked road's `take_nonce`, one pair);
2. house accounts (no player), in id order;
3. players' accounts, in id order.

`place_bets` moves its seed-pair lock before the house rows; `ledger_post_many` locks the
house accounts before the players' (it locked all in id order, so a wallet with a smaller id
than a house row was taken first, the other way round from `place_bets`). Every other
`ledger_post_many` call keeps one total order with them. Nothing else in either function
changes: each text is the previous one with these statements edited, and the migration checks
that each edit found its text (docs/schema.sql has the result).
"""

from adapters.postgres.function_edits import edit_function

revision = "0050"
down_revision = "0051"
branch_labels = None
depends_on = None

_PLACE_BETS = "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)"
_LEDGER_POST_MANY = (
    "ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[], integer[],"
    " bigint[], text[], bigint[])"
)

# place_bets, as revision 0033 left it: the comment, the house rows' lock, then the seed pairs'.
_HOUSE_THEN_PAIRS = """    -- Lock waits are bounded (p_lock_wait; the house rows p_house_wait), so that a
    -- transaction of the locked road, which may hold a seed pair or a wallet and queue on the
    -- house rows, is never the one to fail: this write gives up (55P03) and is tried again.
"""
_PAIRS_FIRST_COMMENT = """    -- Lock waits are bounded (p_lock_wait; the house rows p_house_wait): this write gives up
    -- (55P03) and is tried again rather than queue long behind a transaction of the locked
    -- road. Both roads lock in one order (revision 0050): seed pairs in player order, house
    -- accounts in id order, players' accounts in id order, so the two cannot deadlock.
"""
_OLD_LOCKS = """    -- The house rows the postings move, in id order, then the seed pairs in player order,
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
"""
_NEW_LOCKS = """    -- The seed pairs in player order, then the house rows the postings move in id order,
    -- then the wallets in id order: the locked road's order too (the seed pair when it takes
    -- the nonce, then `ledger_post_many`: house accounts, then players', each in id order).
    -- (Ids gathered into arrays first: `= ANY(array)` is an index scan whatever the planner
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
"""

_OLD_ACCOUNTS = """    -- Every account the postings touch, locked once, in id order: calls over the same
    -- accounts queue in one order, so they cannot deadlock with each other.
    PERFORM 1 FROM accounts AS a
    WHERE a.id IN (SELECT x.acc FROM unnest(p_leg_of, p_accounts) AS x(t, acc)
                   WHERE x.t < v_limit AND v_new[x.t])
    ORDER BY a.id
    FOR UPDATE OF a;
"""
_NEW_ACCOUNTS = """    -- Every account the postings touch, locked once: the house accounts (no player) in id
    -- order, then the players' in id order, as place_bets takes them (revision 0050). Calls
    -- over the same accounts queue in one order, so they cannot deadlock with each other.
    PERFORM 1 FROM accounts AS a
    WHERE a.id IN (SELECT x.acc FROM unnest(p_leg_of, p_accounts) AS x(t, acc)
                   WHERE x.t < v_limit AND v_new[x.t])
    ORDER BY a.player_id IS NOT NULL, a.id
    FOR UPDATE OF a;
"""

_EDITS = {
    _PLACE_BETS: ((_HOUSE_THEN_PAIRS, _PAIRS_FIRST_COMMENT), (_OLD_LOCKS, _NEW_LOCKS)),
    _LEDGER_POST_MANY: ((_OLD_ACCOUNTS, _NEW_ACCOUNTS),),
}


def _rewrite(forward: bool) -> None:
    for function, edits in _EDITS.items():
        edit_function(function, edits, forward=forward)


def upgrade() -> None:
    _rewrite(forward=True)


def downgrade() -> None:
    _rewrite(forward=False)
