"""VIP rakeback: the claims' table and the index that reads a player's settled turnover.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03

Levels are configuration (a setting), computed from the bets at every read, never stored: the
index `ix_bets_player_settled` on (player_id, currency, settled_at), covering stake and
house_edge, for won and lost bets only, makes the level's 30-day sum and a claim's period
an index-only range scan of one player's rows. The bet placement road is untouched: no SQL
function changes, and an insert into `bets` maintains one more partial index (a bet enters
it when it settles). On a large `bets` table, build the index by hand first with `CREATE
INDEX CONCURRENTLY` under the same name: the migration then finds it and skips it.

`rakeback_claims` holds every paid claim: its id (the door's claim id, so a repeat finds
it), the period it paid for (`since` < `until`, the watermark the next claim starts from),
the level and share, the amount and its ledger transaction. Claims form a chain per player
and currency (`previous_claim`), and UNIQUE NULLS NOT DISTINCT on (player, currency,
previous_claim) refuses two claims after the same one: the lock the adapter takes makes a
race wait, this makes a lost lock fail rather than pay twice.
"""

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

UPGRADE = (
    """
CREATE INDEX IF NOT EXISTS ix_bets_player_settled ON bets (player_id, currency, settled_at)
    INCLUDE (stake, house_edge) WHERE state IN ('won', 'lost')
""",
    """
CREATE TABLE rakeback_claims (
    id             uuid PRIMARY KEY,
    player_id      bigint NOT NULL REFERENCES players (id),
    currency       text NOT NULL REFERENCES currencies (code),
    previous_claim uuid REFERENCES rakeback_claims (id),
    since          timestamptz NOT NULL,
    until          timestamptz NOT NULL,
    level          text NOT NULL CHECK (length(level) BETWEEN 1 AND 32),
    share          numeric NOT NULL CHECK (share >= 0 AND share <= 1),
    wagered        bigint NOT NULL CHECK (wagered > 0),
    amount         bigint NOT NULL CHECK (amount > 0),
    transaction_id uuid NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    claimed_at     timestamptz NOT NULL,
    CONSTRAINT ck_rakeback_claims_period CHECK (since < until),
    -- Rakeback is a share of the house edge on what was wagered: never more than wagered.
    CONSTRAINT ck_rakeback_claims_amount CHECK (amount <= wagered),
    CONSTRAINT uq_rakeback_claims_chain
        UNIQUE NULLS NOT DISTINCT (player_id, currency, previous_claim)
)
""",
    "CREATE INDEX ix_rakeback_claims_latest ON rakeback_claims (player_id, currency, until DESC)",
    "CREATE TRIGGER rakeback_claims_no_change BEFORE UPDATE OR DELETE ON rakeback_claims"
    " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
)
DOWNGRADE = (
    "DROP TABLE rakeback_claims",
    "DROP INDEX ix_bets_player_settled",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
