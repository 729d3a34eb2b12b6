"""Deposits in crypto through Crypto Pay (issue 24): the invoices, and the account of the money
held at Crypto Pay.

Revision ID: 0051
Revises: 0049
Create Date: 2026-12-03

`crypto_invoices` (domain/crypto_pay.py, docs/payments-crypto.md) keeps every invoice we asked
Crypto Pay for: our reference (the payload the provider echoes) is the key, the provider's
invoice id is unique (one credit per provider invoice), a player's idempotency key is unique
per player. A trigger allows only the domain's steps (pending -> active, failed, expired, paid,
held; active -> paid, expired, held; expired -> held), never changes what the invoice asked,
and refuses a delete; a paid invoice names its one deposit transaction (unique), and only a
paid one does.

The account kind `crypto_pay_held` (negative by design, like the deposits clearing account)
is where the money paid in through Crypto Pay is booked against the players' wallets.

Downgrading drops the table and the `crypto_pay_held` accounts no posting touched; it refuses
while such an account holds postings (the account kind's check).
"""

from alembic import op

revision = "0051"
down_revision = "0049"
branch_labels = None
depends_on = None

_OLD_KINDS = (
    "'player_wallet', 'house_bankroll', 'bets_in_play', 'deposits_clearing',"
    " 'withdrawals_pending', 'adjustments', 'payout_clearing', 'player_bonus', 'promotions',"
    " 'duel_escrow'"
)
_NEW_KINDS = _OLD_KINDS + ", 'crypto_pay_held'"
_OLD_NEGATIVE = "'house_bankroll', 'deposits_clearing', 'adjustments', 'promotions'"
_NEW_NEGATIVE = _OLD_NEGATIVE + ", 'crypto_pay_held'"


def _kinds(kinds: str, negative: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_kind",
        f"ALTER TABLE accounts ADD CONSTRAINT ck_accounts_kind CHECK (kind IN ({kinds}))",
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_negative_policy",
        "ALTER TABLE accounts ADD CONSTRAINT ck_accounts_negative_policy"
        f" CHECK (allow_negative = (kind IN ({negative})))",
    )


# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    *_kinds(_NEW_KINDS, _NEW_NEGATIVE),
    """
CREATE TABLE crypto_invoices (
    reference               text PRIMARY KEY CHECK (reference ~ '^cp:[0-9a-f]{32}$'),
    provider_invoice_id     bigint UNIQUE CHECK (provider_invoice_id > 0),
    player_id               bigint NOT NULL REFERENCES players (id),
    idempotency_key         text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
    currency                text NOT NULL REFERENCES currencies (code)
                                CHECK (currency IN ('USDT', 'TON')),
    amount                  bigint NOT NULL CHECK (amount > 0),
    state                   text NOT NULL CHECK (state IN (
                                'pending', 'active', 'paid', 'expired', 'failed', 'held')),
    pay_url                 text NOT NULL DEFAULT '' CHECK (length(pay_url) <= 2048),
    created_at              timestamptz NOT NULL,
    expires_at              timestamptz NOT NULL,
    paid_at                 timestamptz,
    deposit_transaction_id  uuid UNIQUE REFERENCES ledger_transactions (id),
    hold_reason             text NOT NULL DEFAULT '' CHECK (length(hold_reason) <= 500),
    CONSTRAINT uq_crypto_invoices_key UNIQUE (player_id, idempotency_key),
    CONSTRAINT ck_crypto_invoices_expiry CHECK (expires_at > created_at),
    CONSTRAINT ck_crypto_invoices_at_provider CHECK (
        state IN ('pending', 'failed', 'expired') OR provider_invoice_id IS NOT NULL),
    CONSTRAINT ck_crypto_invoices_credit CHECK (
        (state = 'paid') = (deposit_transaction_id IS NOT NULL)),
    CONSTRAINT ck_crypto_invoices_paid_at CHECK (
        (state IN ('paid', 'held')) = (paid_at IS NOT NULL)),
    CONSTRAINT ck_crypto_invoices_hold CHECK ((state = 'held') = (hold_reason <> ''))
)
""",
    """
-- The poller's read: open invoices, oldest first.
CREATE INDEX ix_crypto_invoices_open ON crypto_invoices (created_at)
    WHERE state IN ('pending', 'active')
""",
    "CREATE INDEX ix_crypto_invoices_player ON crypto_invoices (player_id, created_at)",
    """
CREATE FUNCTION crypto_invoices_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reference <> OLD.reference OR NEW.player_id <> OLD.player_id
       OR NEW.idempotency_key <> OLD.idempotency_key OR NEW.currency <> OLD.currency
       OR NEW.amount <> OLD.amount OR NEW.created_at <> OLD.created_at
       OR NEW.expires_at <> OLD.expires_at
       OR (OLD.provider_invoice_id IS NOT NULL
           AND NEW.provider_invoice_id IS DISTINCT FROM OLD.provider_invoice_id) THEN
        RAISE EXCEPTION 'the terms of crypto invoice % cannot change', OLD.reference
            USING ERRCODE = 'CR405';
    END IF;
    IF NOT (
        (OLD.state = 'pending'
            AND NEW.state IN ('active', 'failed', 'expired', 'paid', 'held'))
        OR (OLD.state = 'active' AND NEW.state IN ('paid', 'expired', 'held'))
        OR (OLD.state IN ('expired', 'failed') AND NEW.state = 'held')) THEN
        RAISE EXCEPTION 'crypto invoice % cannot go from % to %', OLD.reference, OLD.state,
            NEW.state USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER crypto_invoices_guard_step BEFORE UPDATE ON crypto_invoices
    FOR EACH ROW EXECUTE FUNCTION crypto_invoices_guard_step()
""",
    """
CREATE TRIGGER crypto_invoices_no_delete BEFORE DELETE ON crypto_invoices
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
)

DOWNGRADE = (
    "DROP TABLE crypto_invoices",
    "DROP FUNCTION crypto_invoices_guard_step()",
    """
DELETE FROM accounts AS a
WHERE a.kind = 'crypto_pay_held'
  AND NOT EXISTS (SELECT 1 FROM ledger_legs AS l WHERE l.account_id = a.id)
""",
    *_kinds(_OLD_KINDS, _OLD_NEGATIVE),
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
