"""Campaigns and their redemptions (issue 22, "Campaigns").

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03

A campaign (deposit match, no-deposit grant, promo code) spends from the promotion budget of
the same code (a foreign key: the budget exists first), so its grants are bounded by the
budget's `spent <= total` check. A promo code may also cap how many players have it: `uses`
counts them and `uses <= max_uses` is a check, so a hundred players racing for the last ten
uses get exactly ten, whatever the code above does.

`campaign_redemptions` holds one row per campaign and player (the primary key: a player has
a campaign once, however many times or doors they try at once) and the grant's idempotency
key (unique: a deposit matched once).
"""

from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
CREATE TABLE campaigns (
    code              text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]{2,39}$')
                      REFERENCES promotion_budgets (code),
    kind              text NOT NULL CHECK (kind IN ('deposit_match', 'no_deposit', 'promo_code')),
    currency          text NOT NULL REFERENCES currencies (code),
    amount            bigint NOT NULL CHECK (amount > 0),
    match_percent     integer CHECK (match_percent BETWEEN 1 AND 1000),
    starts_at         timestamptz NOT NULL,
    ends_at           timestamptz NOT NULL,
    audience          text NOT NULL CHECK (audience IN ('new_players', 'all', 'list')),
    players           bigint[] NOT NULL DEFAULT '{}',
    wagering_multiple integer NOT NULL CHECK (wagering_multiple BETWEEN 0 AND 200),
    wagering_base     text NOT NULL CHECK (wagering_base IN ('bonus', 'bonus_and_deposit')),
    expires_after     interval NOT NULL
                      CHECK (expires_after BETWEEN interval '1 hour' AND interval '365 days'),
    max_stake         bigint CHECK (max_stake > 0),
    max_uses          integer CHECK (max_uses >= 1),
    uses              integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    state             text NOT NULL
                      CHECK (state IN ('awaiting_approval', 'active', 'paused', 'ended')),
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    approved_by       text,
    CONSTRAINT ck_campaigns_uses_within CHECK (max_uses IS NULL OR uses <= max_uses),
    CONSTRAINT ck_campaigns_window CHECK (ends_at > starts_at),
    CONSTRAINT ck_campaigns_match CHECK ((kind = 'deposit_match') = (match_percent IS NOT NULL)),
    CONSTRAINT ck_campaigns_list CHECK ((audience = 'list') = (cardinality(players) > 0))
)
""",
    "CREATE INDEX ix_campaigns_open ON campaigns (kind, currency) WHERE state = 'active'",
    "CREATE INDEX ix_campaigns_creator ON campaigns (created_by, created_at)",
    """
CREATE TABLE campaign_redemptions (
    campaign    text NOT NULL REFERENCES campaigns (code),
    player_id   bigint NOT NULL REFERENCES players (id),
    key         text NOT NULL UNIQUE CHECK (length(key) BETWEEN 1 AND 200),
    amount      bigint NOT NULL CHECK (amount > 0),
    bonus_id    text,
    redeemed_at timestamptz NOT NULL,
    PRIMARY KEY (campaign, player_id)
)
""",
    "CREATE INDEX ix_campaign_redemptions_player ON campaign_redemptions (player_id)",
)
DOWNGRADE = (
    "DROP TABLE campaign_redemptions",
    "DROP TABLE campaigns",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
