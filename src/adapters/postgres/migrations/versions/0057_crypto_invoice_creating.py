"""Crypto Pay deposits: the "creating" mark that keeps a double tap from making two invoices
at the provider (issue 24).

Revision ID: 0057
Revises: 0060
Create Date: 2026-12-03

`crypto_invoices.creating_until`: set on a pending invoice, under its row lock, and committed
before `createInvoice` is called (with the insert, for the request that makes the invoice);
while it is in the future a twin request (the same idempotency key) does not call the provider
but is told the invoice is being created (docs/payments-crypto.md, "A double tap"). A time
past is a call whose caller died or whose answer was lost: the next request takes it over.
Only a pending invoice carries one (activating or failing it clears it). The step guard now
lets a pending invoice stay pending while only its mark changes. No new grant: the app role
updates `crypto_invoices` already.
"""

from alembic import op

revision = "0057"
down_revision = "0060"
branch_labels = None
depends_on = None

_GUARD = """
CREATE OR REPLACE FUNCTION crypto_invoices_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
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
        OR (OLD.state IN ('expired', 'failed') AND NEW.state = 'held')
        -- A pending invoice stays pending only to take or give back its "creating" mark.
        OR (OLD.state = 'pending' AND NEW.state = 'pending'
            AND NEW.provider_invoice_id IS NULL AND NEW.pay_url = OLD.pay_url
            AND NEW.paid_at IS NULL AND NEW.deposit_transaction_id IS NULL
            AND NEW.hold_reason = OLD.hold_reason)) THEN
        RAISE EXCEPTION 'crypto invoice % cannot go from % to %', OLD.reference, OLD.state,
            NEW.state USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
"""

_OLD_GUARD = """
CREATE OR REPLACE FUNCTION crypto_invoices_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
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
"""


def upgrade() -> None:
    op.execute(
        "ALTER TABLE crypto_invoices ADD COLUMN creating_until timestamptz,"
        " ADD CONSTRAINT ck_crypto_invoices_creating_only_pending"
        " CHECK (creating_until IS NULL OR state = 'pending')"
    )
    op.execute(_GUARD)


def downgrade() -> None:
    op.execute(_OLD_GUARD)
    op.execute(
        "ALTER TABLE crypto_invoices DROP CONSTRAINT ck_crypto_invoices_creating_only_pending,"
        " DROP COLUMN creating_until"
    )
