"""Free bets (issue 22, "free bets"; docs/bonuses.md, "Free bets").

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-03

A campaign of kind `free_bet` carries its free bets' game, parameters, stake, count and
expiry (all present exactly for that kind); its `amount` is one free bet's `max_win`.

`free_bets` holds one row per free bet granted: no money moves at the grant. A play stores
its proof (seed pair, nonce, server seed hash, client seed), outcome, multiplier and house
edge, the payout a bet would have had and the winnings (at most `max_win`), and the bonus the
winnings became (exactly when they are positive). The database backs the domain: a trigger
lets a row move only from `granted` to `played` or `expired`, once, never changes what was
granted, and refuses DELETE and TRUNCATE; a seed pair's nonce is played by one free bet at
most (bets and free bets take nonces from the same `seed_pairs` counter, so none is shared).
"""

from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    "ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_check",
    "ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_check"
    " CHECK (kind IN ('deposit_match', 'no_deposit', 'promo_code', 'free_bet'))",
    "ALTER TABLE campaigns"
    " ADD COLUMN free_bet_game text CHECK (free_bet_game IN"
    " ('plinko', 'limbo', 'dice', 'coin', 'roulette')),"
    " ADD COLUMN free_bet_params jsonb,"
    " ADD COLUMN free_bet_stake bigint CHECK (free_bet_stake > 0),"
    " ADD COLUMN free_bet_count integer CHECK (free_bet_count BETWEEN 1 AND 100),"
    " ADD COLUMN free_bet_expires_after interval CHECK"
    " (free_bet_expires_after BETWEEN interval '1 hour' AND interval '365 days'),"
    " ADD CONSTRAINT ck_campaigns_free_bet CHECK ("
    " (kind = 'free_bet') = (free_bet_game IS NOT NULL)"
    " AND (kind = 'free_bet') = (free_bet_params IS NOT NULL)"
    " AND (kind = 'free_bet') = (free_bet_stake IS NOT NULL)"
    " AND (kind = 'free_bet') = (free_bet_count IS NOT NULL)"
    " AND (kind = 'free_bet') = (free_bet_expires_after IS NOT NULL))",
    """
CREATE TABLE free_bets (
    id               uuid PRIMARY KEY,
    player_id        bigint NOT NULL REFERENCES players (id),
    campaign         text NOT NULL REFERENCES campaigns (code),
    game             text NOT NULL CHECK (game IN ('plinko', 'limbo', 'dice', 'coin', 'roulette')),
    params           jsonb NOT NULL,
    currency         text NOT NULL REFERENCES currencies (code),
    stake            bigint NOT NULL CHECK (stake > 0),
    max_win          bigint NOT NULL CHECK (max_win > 0),
    state            text NOT NULL DEFAULT 'granted'
                     CHECK (state IN ('granted', 'played', 'expired')),
    granted_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    played_at        timestamptz,
    seed_pair_id     bigint REFERENCES seed_pairs (id),
    nonce            bigint CHECK (nonce >= 0),
    server_seed_hash text,
    client_seed      text,
    house_edge       numeric(7,6),
    outcome          bigint,
    multiplier_num   numeric,
    multiplier_den   numeric CHECK (multiplier_den > 0),
    payout           bigint CHECK (payout >= 0),
    winnings         bigint,
    bonus_id         uuid REFERENCES bonuses (id),
    expired_at       timestamptz,
    CONSTRAINT ck_free_bets_expiry CHECK (expires_at > granted_at),
    CONSTRAINT ck_free_bets_played CHECK (
        (state = 'played') = (played_at IS NOT NULL)
        AND (state = 'played') = (seed_pair_id IS NOT NULL)
        AND (state = 'played') = (nonce IS NOT NULL)
        AND (state = 'played') = (server_seed_hash IS NOT NULL)
        AND (state = 'played') = (client_seed IS NOT NULL)
        AND (state = 'played') = (house_edge IS NOT NULL)
        AND (state = 'played') = (outcome IS NOT NULL)
        AND (state = 'played') = (multiplier_num IS NOT NULL)
        AND (state = 'played') = (multiplier_den IS NOT NULL)
        AND (state = 'played') = (payout IS NOT NULL)
        AND (state = 'played') = (winnings IS NOT NULL)
        AND (played_at IS NULL OR played_at < expires_at)),
    CONSTRAINT ck_free_bets_winnings CHECK (
        winnings IS NULL OR (winnings BETWEEN 0 AND max_win
                             AND winnings <= greatest(payout - stake, 0)
                             AND (winnings > 0) = (bonus_id IS NOT NULL))),
    CONSTRAINT ck_free_bets_bonus CHECK (bonus_id IS NULL OR state = 'played'),
    CONSTRAINT ck_free_bets_expired CHECK (
        (state = 'expired') = (expired_at IS NOT NULL)
        AND (expired_at IS NULL OR expired_at >= expires_at)),
    CONSTRAINT uq_free_bets_nonce UNIQUE (seed_pair_id, nonce),
    CONSTRAINT uq_free_bets_bonus UNIQUE (bonus_id)
)
""",
    # A player's list (granted first, by expiry), the expiry job's search, a campaign's counts.
    "CREATE INDEX ix_free_bets_player ON free_bets (player_id, state, expires_at)",
    "CREATE INDEX ix_free_bets_expiry ON free_bets (expires_at) WHERE state = 'granted'",
    "CREATE INDEX ix_free_bets_campaign ON free_bets (campaign, state)",
    r"""
CREATE FUNCTION free_bets_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'free bets are never truncated' USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'free bet % is never deleted', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF OLD.state <> 'granted' THEN
        RAISE EXCEPTION 'free bet % is %; it never changes again', OLD.id, OLD.state
            USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state NOT IN ('played', 'expired') THEN
        RAISE EXCEPTION 'free bet % is granted; it can only be played or expire', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    IF (NEW.id, NEW.player_id, NEW.campaign, NEW.game, NEW.params, NEW.currency, NEW.stake,
        NEW.max_win, NEW.granted_at, NEW.expires_at)
       IS DISTINCT FROM
       (OLD.id, OLD.player_id, OLD.campaign, OLD.game, OLD.params, OLD.currency, OLD.stake,
        OLD.max_win, OLD.granted_at, OLD.expires_at)
    THEN
        RAISE EXCEPTION 'free bet % cannot change what was granted', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    "CREATE TRIGGER free_bets_guard BEFORE UPDATE OR DELETE ON free_bets"
    " FOR EACH ROW EXECUTE FUNCTION free_bets_guard()",
    "CREATE TRIGGER free_bets_no_truncate BEFORE TRUNCATE ON free_bets"
    " FOR EACH STATEMENT EXECUTE FUNCTION free_bets_guard()",
)
DOWNGRADE = (
    "DROP TABLE free_bets",
    "DROP FUNCTION free_bets_guard()",
    "DELETE FROM campaign_redemptions WHERE campaign IN"
    " (SELECT code FROM campaigns WHERE kind = 'free_bet')",
    "DELETE FROM campaigns WHERE kind = 'free_bet'",
    "ALTER TABLE campaigns DROP CONSTRAINT ck_campaigns_free_bet,"
    " DROP COLUMN free_bet_game, DROP COLUMN free_bet_params, DROP COLUMN free_bet_stake,"
    " DROP COLUMN free_bet_count, DROP COLUMN free_bet_expires_after",
    "ALTER TABLE campaigns DROP CONSTRAINT campaigns_kind_check",
    "ALTER TABLE campaigns ADD CONSTRAINT campaigns_kind_check"
    " CHECK (kind IN ('deposit_match', 'no_deposit', 'promo_code'))",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
