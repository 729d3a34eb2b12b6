"""Mines: a game with no tile revealed can end voided, its stake returned (issue 25).

Revision ID: 0035
Revises: 0033
Create Date: 2026-12-03

A player whose time-out, self-exclusion or block starts after a mines game opened may reveal no
tile, and a cash-out needs a safe tile: such a game held its stake forever. It can now end
`voided` (`domain.mines.MinesField.void`), its bet voided with it: the state's check gains the
value, and a voided game has no tile revealed (a check, whoever writes the row). The step
trigger needs nothing new: a voided game, like every finished one, never changes again.
Downgrading refuses while a voided game exists (the old check): there is no state to turn it
back into.
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    "ALTER TABLE mines_games DROP CONSTRAINT mines_games_state_check",
    """
ALTER TABLE mines_games ADD CONSTRAINT mines_games_state_check
    CHECK (state IN ('open', 'busted', 'cashed_out', 'voided'))
""",
    """
ALTER TABLE mines_games ADD CONSTRAINT ck_mines_games_voided
    CHECK (state <> 'voided' OR cardinality(revealed) = 0)
""",
)
DOWNGRADE = (
    "ALTER TABLE mines_games DROP CONSTRAINT ck_mines_games_voided",
    "ALTER TABLE mines_games DROP CONSTRAINT mines_games_state_check",
    """
ALTER TABLE mines_games ADD CONSTRAINT mines_games_state_check
    CHECK (state IN ('open', 'busted', 'cashed_out'))
""",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
