"""Mines: the game, its default limits, and its fields beside their bets.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

A mines game is a bet (game "mines", placed while the game is open, settled by the cash-out or
the mine) and a row of mines_games keyed by the bet's id: the mine positions fixed from the
seeds when the game opened and the tiles revealed, in order. One open game per player and
currency (a partial unique index); a finished game never changes, the positions never change,
and the revealed tiles only grow (a trigger, whoever runs the UPDATE). Downgrading drops the
fields and the game; it refuses while a mines bet exists (the bets' foreign key): void or
keep them.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
INSERT INTO games (code, house_edge) VALUES ('mines', 0.01)
""",
    """
-- The defaults every game started with (revision 0002), for the shipped currencies present.
INSERT INTO game_limits (game, currency, min_stake, max_stake, max_payout)
SELECT 'mines', l.currency, l.min_stake, l.max_stake, l.max_payout
FROM (VALUES
    ('XTR', 1, 10000, 1000000),
    ('TON', 10000000, 100000000000, 10000000000000),
    ('USDT', 100000, 1000000000, 100000000000),
    ('FUN', 100, 100000000, 10000000000)
) AS l(currency, min_stake, max_stake, max_payout)
JOIN currencies c ON c.code = l.currency
""",
    """
CREATE TABLE mines_games (
    id           uuid PRIMARY KEY REFERENCES bets (id),
    player_id    bigint NOT NULL REFERENCES players (id),
    currency     text NOT NULL REFERENCES currencies (code),
    mines        smallint NOT NULL CHECK (mines BETWEEN 1 AND 24),
    positions    smallint[] NOT NULL,
    revealed     smallint[] NOT NULL DEFAULT '{}',
    state        text NOT NULL CHECK (state IN ('open', 'busted', 'cashed_out')),
    opened_at    timestamptz NOT NULL,
    finished_at  timestamptz,
    CONSTRAINT ck_mines_games_positions CHECK (
        cardinality(positions) = mines AND 0 <= ALL (positions) AND 24 >= ALL (positions)),
    CONSTRAINT ck_mines_games_revealed CHECK (
        cardinality(revealed) <= 25 - mines + 1 AND 0 <= ALL (revealed) AND 24 >= ALL (revealed)),
    CONSTRAINT ck_mines_games_end CHECK ((state = 'open') = (finished_at IS NULL))
)
""",
    """
-- One open game per player and currency, whatever races past the use case's own check.
CREATE UNIQUE INDEX uq_mines_games_open ON mines_games (player_id, currency)
    WHERE state = 'open'
""",
    """
CREATE FUNCTION mines_games_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'open' THEN
        RAISE EXCEPTION 'mines game % is already %', OLD.id, OLD.state USING ERRCODE = 'CR405';
    END IF;
    IF NEW.id <> OLD.id OR NEW.player_id <> OLD.player_id OR NEW.currency <> OLD.currency
       OR NEW.mines <> OLD.mines OR NEW.positions <> OLD.positions
       OR NEW.opened_at <> OLD.opened_at
       OR NEW.revealed[1:cardinality(OLD.revealed)] IS DISTINCT FROM OLD.revealed THEN
        RAISE EXCEPTION 'the field of mines game % cannot change', OLD.id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER mines_games_guard_step BEFORE UPDATE ON mines_games
    FOR EACH ROW EXECUTE FUNCTION mines_games_guard_step()
""",
    """
CREATE TRIGGER mines_games_no_delete BEFORE DELETE ON mines_games
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
)

DOWNGRADE = (
    """
DROP TABLE mines_games
""",
    """
DROP FUNCTION mines_games_guard_step()
""",
    """
DELETE FROM game_limits WHERE game = 'mines'
""",
    """
DELETE FROM games WHERE code = 'mines'
""",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
