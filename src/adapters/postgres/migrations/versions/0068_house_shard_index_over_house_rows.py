"""The house accounts' unique key over the house rows only, so that no plan can read the
wallets through it (issue 19).

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-05

`uq_accounts_house_shard` was a UNIQUE constraint over (kind, currency, shard): an entry for
every account, though only a house account has a shard (a wallet's NULL never collides:
`ck_accounts_owner` gives every player's account a NULL shard). Its leading columns are
also what the snapshot read's wallet lookup names (`kind = 'player_wallet' AND currency =
ANY(...) AND player_id = ANY(...)`), and with no statistics on `accounts` (a restored or
copied database before its first ANALYZE) the generic plan `placement_snapshot` keeps per
connection took it for the better index: it read every player's wallet to find a batch's,
2.8 ms a read at 10,000 players, growing with the players (bench/README.md, 2026-12-05).

It becomes a unique index of the same name over the rows with a shard: the same rule (two
rows collide only when all three are set), the house lookups by shard still find it (`shard
= $3` implies the predicate), and the wallet lookup cannot use it, on any statistics
(`uq_accounts_wallet`, its own key, is then the only index that fits). It holds the house
accounts alone (16 shards × 10 kinds × 4 currencies here) instead of one entry a player's
account. `provision_house_accounts` names it by its columns and predicate in its ON
CONFLICT (an index is not a constraint). Built before the constraint is dropped, in one
transaction, as revision 0061 did for `uq_bets_dice`.
"""

from alembic import op

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE UNIQUE INDEX uq_accounts_house_shard_set ON accounts (kind, currency, shard)"
        " WHERE shard IS NOT NULL"
    )
    op.execute("ALTER TABLE accounts DROP CONSTRAINT uq_accounts_house_shard")
    op.execute("ALTER INDEX uq_accounts_house_shard_set RENAME TO uq_accounts_house_shard")


def downgrade() -> None:
    op.execute("ALTER INDEX uq_accounts_house_shard RENAME TO uq_accounts_house_shard_set")
    op.execute(
        "ALTER TABLE accounts ADD CONSTRAINT uq_accounts_house_shard UNIQUE (kind, currency, shard)"
    )
    op.execute("DROP INDEX uq_accounts_house_shard_set")
