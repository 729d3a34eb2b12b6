"""Fewer index writes a bet: the nonce update stays on its page, and a bet without a dice
message writes nothing into the dice messages' unique index (issue 19).

Revision ID: 0061
Revises: 0057
Create Date: 2026-12-04

Measured in bench/README.md ("PostgreSQL's CPU a bet inside place_bets", branch wt-pg):

- `seed_pairs` gets `fillfactor = 80`. Every provably fair bet moves its seed pair's
  `next_nonce` (`place_bets`' nonce UPDATE, the locked road's too); a row of a full page
  cannot get its new version on the same page, so the update was not HOT and wrote a new
  entry into each of the table's three indexes (45% of the nonce updates of a 2,000-bet run
  on freshly made pairs; 10% with the room left). Only pages written from now on keep the
  room (the setting does not rewrite the table); older pages gain it as their dead versions
  are pruned.
- `uq_bets_dice` was a UNIQUE constraint over (dice_chat_id, dice_message_id): every bet
  wrote an entry, though only a Telegram dice bet has the pair (the others' NULLs never
  collide). It becomes a unique index of the same name over the rows that have both: the
  same rule (two rows can only collide when both columns are set, NULLs being distinct),
  the same error name the adapter translates (`bets._translate`), one index write a bet
  less. Built before the constraint is dropped, in one transaction.
"""

from alembic import op

revision = "0061"
down_revision = "0057"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE seed_pairs SET (fillfactor = 80)")
    op.execute(
        "CREATE UNIQUE INDEX uq_bets_dice_set ON bets (dice_chat_id, dice_message_id)"
        " WHERE dice_chat_id IS NOT NULL AND dice_message_id IS NOT NULL"
    )
    op.execute("ALTER TABLE bets DROP CONSTRAINT uq_bets_dice")
    op.execute("ALTER INDEX uq_bets_dice_set RENAME TO uq_bets_dice")


def downgrade() -> None:
    op.execute("ALTER INDEX uq_bets_dice RENAME TO uq_bets_dice_set")
    op.execute(
        "ALTER TABLE bets ADD CONSTRAINT uq_bets_dice UNIQUE (dice_chat_id, dice_message_id)"
    )
    op.execute("DROP INDEX uq_bets_dice_set")
    op.execute("ALTER TABLE seed_pairs RESET (fillfactor)")
