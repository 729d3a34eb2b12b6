"""The catalogue of aggregators' games (issue 24, the game launch flow).

Revision ID: 0056
Revises: 0058
Create Date: 2026-12-03

`aggregator_games` (domain/aggregator_games.py, docs/aggregators.md "The catalogue"): one row
per aggregator and game code, upserted from the aggregator's games list by the refresh (its
name, category, product, its own `provider_enabled` switch, `listed` and `last_seen_at`), and
the operator's own switch `operator_enabled`, off for every game the catalogue first sees and
kept across refreshes. A game is launchable only when listed, enabled by the aggregator and by
the operator. Rows are never deleted (a game gone from the list is unlisted, and keeps the
operator's switch for when it comes back): the app role reads, inserts and updates it.
"""

from alembic import op

revision = "0056"
down_revision = "0058"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE aggregator_games (
    aggregator        text NOT NULL CHECK (aggregator ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    game_code         text NOT NULL CHECK (length(game_code) BETWEEN 1 AND 100),
    name              text NOT NULL CHECK (length(name) <= 200),
    category          text NOT NULL DEFAULT '' CHECK (length(category) <= 100),
    product           text NOT NULL DEFAULT '' CHECK (length(product) <= 100),
    provider_enabled  boolean NOT NULL,
    operator_enabled  boolean NOT NULL DEFAULT false,
    listed            boolean NOT NULL DEFAULT true,
    first_seen_at     timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    PRIMARY KEY (aggregator, game_code),
    CONSTRAINT ck_aggregator_games_seen CHECK (last_seen_at >= first_seen_at)
)
"""
    )
    op.execute(
        "CREATE INDEX ix_aggregator_games_launchable ON aggregator_games (aggregator, name)"
        " WHERE listed AND provider_enabled AND operator_enabled"
    )


def downgrade() -> None:
    op.execute("DROP TABLE aggregator_games")
