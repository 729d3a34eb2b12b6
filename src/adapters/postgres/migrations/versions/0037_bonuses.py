"""Bonuses: one row per granted bonus, and each game's contribution to wagering (issue 22).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03

A bonus is pending money in the player's bonus account (revision 0036); this table holds its
terms (amount, wagering required, largest counted stake, expiry, campaign, budget) and where it
is in its state machine: `active`, then once `converted`, `forfeited` or `expired`
(docs/bonuses.md). The database mirrors the domain's rules:

- one active bonus per player and currency (a partial unique index), one bonus per granting
  key (a caller's retry finds the first);
- amounts positive, expiry after the grant, the end recorded exactly when the bonus ended, a
  reason exactly when it was forfeited or expired;
- a trigger lets a bonus move only from `active` to one of its ends, never changes its terms,
  and refuses DELETE and TRUNCATE.

`games.bonus_contribution_pct` is each game's share of a stake that counts toward wagering
(whole per cent): slot-like games 100, dice, coin and Telegram's dice games 10, roulette 5;
staff change it with the game's settings. Wagering progress is read from `bets` through the
existing index `ix_bets_player (player_id, placed_at DESC)`: a player's bets since the grant.
"""

from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
CREATE TABLE bonuses (
    id                   uuid PRIMARY KEY,
    player_id            bigint NOT NULL REFERENCES players (id),
    key                  text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    currency             text NOT NULL REFERENCES currencies (code),
    amount               bigint NOT NULL CHECK (amount > 0),
    wagering_required    bigint NOT NULL CHECK (wagering_required >= 0),
    max_stake            bigint CHECK (max_stake > 0),
    campaign             text NOT NULL CHECK (length(campaign) BETWEEN 1 AND 80),
    budget               text NOT NULL REFERENCES promotion_budgets (code),
    state                text NOT NULL DEFAULT 'active'
                         CHECK (state IN ('active', 'converted', 'forfeited', 'expired')),
    granted_at           timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,
    grant_transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
    ended_at             timestamptz,
    end_transaction_id   uuid REFERENCES ledger_transactions (id),
    forfeit_reason       text CHECK (forfeit_reason IN ('given_up', 'withdrawal', 'expired')),
    CONSTRAINT uq_bonuses_key UNIQUE (key),
    CONSTRAINT ck_bonuses_expiry CHECK (expires_at > granted_at),
    CONSTRAINT ck_bonuses_ended CHECK (
        (state = 'active') = (ended_at IS NULL)
        AND (state = 'active') = (end_transaction_id IS NULL)
        AND (ended_at IS NULL OR ended_at >= granted_at)),
    CONSTRAINT ck_bonuses_reason CHECK (
        CASE state
            WHEN 'forfeited' THEN forfeit_reason IN ('given_up', 'withdrawal')
            WHEN 'expired' THEN forfeit_reason = 'expired'
            ELSE forfeit_reason IS NULL
        END)
)
""",
    # One active bonus per player and currency: two grants racing both insert, one waits and
    # then fails here.
    "CREATE UNIQUE INDEX uq_bonuses_active ON bonuses (player_id, currency) WHERE state = 'active'",
    # The expiry sweep's search, and a player's list.
    "CREATE INDEX ix_bonuses_expiry ON bonuses (expires_at) WHERE state = 'active'",
    "CREATE INDEX ix_bonuses_player ON bonuses (player_id, granted_at DESC)",
    r"""
CREATE FUNCTION bonuses_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'bonuses are never truncated' USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'bonus % is never deleted', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state <> OLD.state AND (OLD.state, NEW.state) NOT IN (
        ('active', 'converted'), ('active', 'forfeited'), ('active', 'expired')) THEN
        RAISE EXCEPTION 'bonus % is %; it cannot become %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state = OLD.state AND (NEW.ended_at, NEW.end_transaction_id, NEW.forfeit_reason)
            IS DISTINCT FROM (OLD.ended_at, OLD.end_transaction_id, OLD.forfeit_reason) THEN
        RAISE EXCEPTION 'bonus % has ended once already', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF (NEW.id, NEW.player_id, NEW.key, NEW.currency, NEW.amount, NEW.wagering_required,
        NEW.max_stake, NEW.campaign, NEW.budget, NEW.granted_at, NEW.expires_at,
        NEW.grant_transaction_id)
       IS DISTINCT FROM
       (OLD.id, OLD.player_id, OLD.key, OLD.currency, OLD.amount, OLD.wagering_required,
        OLD.max_stake, OLD.campaign, OLD.budget, OLD.granted_at, OLD.expires_at,
        OLD.grant_transaction_id)
    THEN
        RAISE EXCEPTION 'bonus % cannot change its terms', OLD.id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    "CREATE TRIGGER bonuses_guard BEFORE UPDATE OR DELETE ON bonuses"
    " FOR EACH ROW EXECUTE FUNCTION bonuses_guard()",
    "CREATE TRIGGER bonuses_no_truncate BEFORE TRUNCATE ON bonuses"
    " FOR EACH STATEMENT EXECUTE FUNCTION bonuses_guard()",
    "ALTER TABLE games ADD COLUMN bonus_contribution_pct smallint NOT NULL DEFAULT 100"
    " CONSTRAINT ck_games_bonus_contribution CHECK (bonus_contribution_pct BETWEEN 0 AND 100)",
    "UPDATE games SET bonus_contribution_pct = 10 WHERE code IN"
    " ('dice', 'coin', 'tg_dice', 'tg_darts', 'tg_bowling', 'tg_basketball', 'tg_football')",
    "UPDATE games SET bonus_contribution_pct = 5 WHERE code = 'roulette'",
)
DOWNGRADE = (
    "ALTER TABLE games DROP COLUMN bonus_contribution_pct",
    "DROP TABLE bonuses",
    "DROP FUNCTION bonuses_guard()",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
