"""Telegram Stars payments: invoices and payments, refunds.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from adapters.postgres.sqlscript import execute_script

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- What we offered: one row per invoice sent. The payload is unique, so a pre-checkout can be
-- matched to the player and amount it was issued for.
CREATE TABLE stars_invoices (
    payload     text PRIMARY KEY CHECK (octet_length(payload) BETWEEN 1 AND 128),
    player_id   bigint NOT NULL REFERENCES players (id),
    amount      bigint NOT NULL CHECK (amount > 0),
    created_at  timestamptz NOT NULL
);
CREATE INDEX ix_stars_invoices_player ON stars_invoices (player_id, created_at DESC);

-- What was paid: one row per Telegram charge, written in the same transaction as the ledger
-- credit. The charge id is the key (an old invoice can be paid twice: two charges, two rows).
CREATE TABLE stars_payments (
    charge_id               text PRIMARY KEY CHECK (length(charge_id) BETWEEN 1 AND 200),
    player_id               bigint NOT NULL REFERENCES players (id),
    telegram_user_id        bigint NOT NULL CHECK (telegram_user_id > 0),
    amount                  bigint NOT NULL CHECK (amount > 0),
    payload                 text NOT NULL,
    deposit_transaction_id  uuid NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    paid_at                 timestamptz NOT NULL,
    status                  text NOT NULL DEFAULT 'paid'
                                CHECK (status IN ('paid', 'refunding', 'refunded')),
    refund_attempts         integer NOT NULL DEFAULT 0 CHECK (refund_attempts >= 0),
    refund_transaction_id   uuid UNIQUE REFERENCES ledger_transactions (id),
    refund_requested_by     text,
    refund_reason           text CHECK (length(refund_reason) <= 500),
    refunded_at             timestamptz,
    -- The ledger's reversal exists exactly while a refund is under way or done.
    CONSTRAINT ck_stars_payments_refund_posting CHECK (
        (status = 'paid') = (refund_transaction_id IS NULL)),
    CONSTRAINT ck_stars_payments_refunded_at CHECK (
        (status = 'refunded') = (refunded_at IS NOT NULL))
);
CREATE INDEX ix_stars_payments_player ON stars_payments (player_id, paid_at DESC);
"""

DOWNGRADE = r"""
DROP TABLE stars_payments;
DROP TABLE stars_invoices;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
