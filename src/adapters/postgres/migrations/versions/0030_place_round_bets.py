"""`place_round_bets`: crash bets on the snapshot road, in batches (issue 21, the load target).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03

A crash bet is a bet of the one road plus its seat in the round taking bets. Until now it took
the locked road alone (about 7 ms of CPU a bet). `place_round_bets` writes a batch of them in
one statement: it wraps `place_bets` (revision 0027, unchanged, which checks and writes the
bets, postings and events as decided on the snapshot) and adds, set-based, what a round needs:

- the round still takes bets, by PostgreSQL's clock (phase 'betting' and before
  `betting_ends_at`); its row is held FOR SHARE until commit, so `crash_start_round` (FOR
  UPDATE) waits for the bets, as it waits for a bet of the locked road;
- the seats are free: one bet per player, round and currency (the unique index);
- each currency's exposure (the sum of the round's seats' `exposure`, this batch's included)
  is within the limit the decisions used (the round's share of the bankroll). The sum is taken
  under the same transaction lock per round and currency as the locked road takes
  (`adapters.postgres.crash`), so two batches cannot both pass on one reading.

Any of these not holding raises CR412 and writes nothing: the caller reads again and decides
again (a round closed, a seat taken, the exposure grown: each refusal then falls to its bet).
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_SIGNATURE = (
    "place_round_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text, text)"
)

PLACE_ROUND_BETS = r"""
CREATE FUNCTION place_round_bets(
    p_round jsonb, p_players jsonb, p_pairs jsonb, p_wallets jsonb, p_new_pairs jsonb,
    p_bets jsonb, p_absent jsonb, p_postings jsonb, p_events jsonb, p_house_wait text,
    p_lock_wait text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_round bigint := (p_round ->> 'id')::bigint;
    v_open boolean;
    v_count bigint;
    v_currency text;
    v_over text;
BEGIN
    -- First, before any other lock, as the locked road holds it: the driver cannot start the
    -- round while these bets are written.
    SELECT r.phase = 'betting' AND r.betting_ends_at > clock_timestamp() INTO v_open
    FROM crash_rounds r WHERE r.id = v_round FOR SHARE;
    IF v_open IS NOT TRUE THEN
        RAISE EXCEPTION 'crash round % stopped taking bets since it was read', v_round
            USING ERRCODE = 'CR412';
    END IF;

    PERFORM place_bets(p_players, p_pairs, p_wallets, p_new_pairs, p_bets, p_absent, p_postings,
                       p_events, p_house_wait, p_lock_wait);

    -- No conflict target: a bet id already seated or a seat already taken both leave a row out.
    INSERT INTO crash_bets (bet_id, round_id, player_id, currency, target, exposure)
    SELECT x.bet_id, v_round, x.player_id, x.currency, x.target, x.exposure
    FROM jsonb_to_recordset(p_round -> 'seats')
         AS x(bet_id uuid, player_id bigint, currency text, target bigint, exposure bigint)
    ORDER BY x.player_id, x.currency
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count <> jsonb_array_length(p_round -> 'seats') THEN
        RAISE EXCEPTION 'a seat in crash round % was taken since it was read', v_round
            USING ERRCODE = 'CR412';
    END IF;

    -- Last, so the locks are held for one statement and the commit. The key is the locked
    -- road's (`_EXPOSURE_LOCK` in adapters/postgres/crash.py), in currency order.
    PERFORM set_config('lock_timeout', p_house_wait, true);
    FOR v_currency IN SELECT l.key FROM jsonb_each_text(p_round -> 'limits') l ORDER BY l.key
    LOOP
        PERFORM pg_advisory_xact_lock(1668440435, hashtext(v_round::text || ':' || v_currency));
    END LOOP;
    SELECT string_agg(l.key, ', ') INTO v_over
    FROM jsonb_each_text(p_round -> 'limits') l
    WHERE (SELECT coalesce(sum(b.exposure), 0) FROM crash_bets b
           WHERE b.round_id = v_round AND b.currency = l.key) > l.value::bigint;
    IF v_over IS NOT NULL THEN
        RAISE EXCEPTION 'the exposure of crash round % in % grew since it was read', v_round,
            v_over USING ERRCODE = 'CR412';
    END IF;
END;
$$
"""


def upgrade() -> None:
    op.execute(PLACE_ROUND_BETS)
    # Only `croupier db grant` lets the services' role call it.
    op.execute(f"REVOKE EXECUTE ON FUNCTION {_SIGNATURE} FROM PUBLIC")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {_SIGNATURE}")
