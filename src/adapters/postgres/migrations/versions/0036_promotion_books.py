"""Promotion books: bonus accounts, the promotions account, budgets (issue 22).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03

Bonus money is kept in the double-entry ledger, never in the cash balance: each player gets a
`player_bonus` account per currency beside the `player_wallet` (at most one of each: the
unique constraint now includes the kind). The house's side of every promotion is the
sharded `promotions` account, which may go negative like the adjustments account (its balance
is what promotions have cost). Three journal kinds name the movements: `grant` (promotions to
a bonus account or a wallet), `conversion` (bonus to wallet, wagering complete) and `forfeit`
(bonus back to promotions).

`promotion_budgets` bounds every grant: a grant raises `spent` in the transaction that posts
it, and `spent <= total` is a check, so no bug and no loop can grant past a budget; a trigger
lets `spent` only grow and `total` never fall below it (reconcile compares `spent` with the
grants posted against each budget).

The placement snapshot read every account of the bettors in the bet's currency; it now reads
their wallets only (the text of revision 0033 with `kind = 'player_wallet'`), or a bonus
account would be taken for a wallet.

Downgrading drops the bonus and promotions accounts no posting ever touched (every process
creates the promotions shards at start), and refuses while one that holds postings, or a
promotion posting, exists (the old checks).
"""

from alembic import op

from adapters.postgres.function_edits import earlier_revision

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def _snapshot_0033() -> str:
    # Revision 0033's text of the function, loaded rather than copied, so the two revisions
    # cannot drift apart by more than the one line this one changes.
    return str(earlier_revision(__file__, "0033_generic_plans_for_bets.py").PLACEMENT_SNAPSHOT)


_WALLETS_0033 = "WHERE player_id = ANY(p_players) AND currency = ANY(p_currencies)),"
_WALLETS_0036 = (
    "WHERE player_id = ANY(p_players) AND currency = ANY(p_currencies)\n"
    "                      AND kind = 'player_wallet'),"
)


def _snapshot(old: str, new: str) -> str:
    text = _snapshot_0033()
    if text.count(old) != 1:
        raise RuntimeError("revision 0033's placement_snapshot changed")
    return text.replace(old, new).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


_OLD_KINDS = (
    "'player_wallet', 'house_bankroll', 'bets_in_play', 'deposits_clearing',"
    " 'withdrawals_pending', 'adjustments', 'payout_clearing'"
)
_NEW_KINDS = _OLD_KINDS + ", 'player_bonus', 'promotions'"
_OLD_NEGATIVE = "'house_bankroll', 'deposits_clearing', 'adjustments'"
_NEW_NEGATIVE = _OLD_NEGATIVE + ", 'promotions'"
_OLD_JOURNAL = (
    "'deposit', 'withdrawal', 'bet', 'win', 'loss', 'refund', 'adjustment', 'transfer', 'debit'"
)
_NEW_JOURNAL = _OLD_JOURNAL + ", 'grant', 'conversion', 'forfeit'"


def _account_checks(kinds: str, negative: str, players: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_kind",
        f"ALTER TABLE accounts ADD CONSTRAINT ck_accounts_kind CHECK (kind IN ({kinds}))",
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_negative_policy",
        "ALTER TABLE accounts ADD CONSTRAINT ck_accounts_negative_policy"
        f" CHECK (allow_negative = (kind IN ({negative})))",
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_owner",
        f"""
ALTER TABLE accounts ADD CONSTRAINT ck_accounts_owner CHECK (
    (kind IN ({players}) AND player_id IS NOT NULL AND shard IS NULL)
    OR (kind NOT IN ({players}) AND player_id IS NULL AND shard IS NOT NULL))
""",
    )


def _journal_kinds(kinds: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check",
        "ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check"
        f" CHECK (kind IN ({kinds}))",
    )


# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    *_account_checks(_NEW_KINDS, _NEW_NEGATIVE, "'player_wallet', 'player_bonus'"),
    "ALTER TABLE accounts DROP CONSTRAINT uq_accounts_wallet",
    # One wallet and one bonus account per player and currency; the index still serves the
    # lookups by player and currency.
    "ALTER TABLE accounts ADD CONSTRAINT uq_accounts_wallet UNIQUE (player_id, currency, kind)",
    *_journal_kinds(_NEW_JOURNAL),
    """
CREATE TABLE promotion_budgets (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_.:-]{0,79}$'),
    currency   text NOT NULL REFERENCES currencies (code),
    total      bigint NOT NULL CHECK (total >= 0),
    spent      bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_promotion_budgets_within CHECK (spent <= total)
)
""",
    """
CREATE FUNCTION promotion_budgets_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.spent < OLD.spent THEN
        RAISE EXCEPTION 'budget % : what was spent cannot be unspent', OLD.code
            USING ERRCODE = 'CR405';
    END IF;
    IF NEW.code <> OLD.code OR NEW.currency <> OLD.currency THEN
        RAISE EXCEPTION 'budget % : code and currency are fixed', OLD.code
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    "CREATE TRIGGER promotion_budgets_guard BEFORE UPDATE ON promotion_budgets"
    " FOR EACH ROW EXECUTE FUNCTION promotion_budgets_guard()",
    "CREATE TRIGGER promotion_budgets_no_delete BEFORE DELETE ON promotion_budgets"
    " FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    _snapshot(_WALLETS_0033, _WALLETS_0036),
)
DOWNGRADE = (
    _snapshot(_WALLETS_0033, _WALLETS_0033),
    "DROP TABLE promotion_budgets",
    "DROP FUNCTION promotion_budgets_guard()",
    """
DELETE FROM accounts AS a
WHERE a.kind IN ('player_bonus', 'promotions')
  AND NOT EXISTS (SELECT 1 FROM ledger_legs AS l WHERE l.account_id = a.id)
""",
    *_journal_kinds(_OLD_JOURNAL),
    "ALTER TABLE accounts DROP CONSTRAINT uq_accounts_wallet",
    "ALTER TABLE accounts ADD CONSTRAINT uq_accounts_wallet UNIQUE (player_id, currency)",
    *_account_checks(_OLD_KINDS, _OLD_NEGATIVE, "'player_wallet'"),
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
