"""Withdrawals: requests, their state machine, KYC status.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from adapters.postgres.sqlscript import execute_script

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE players ADD COLUMN kyc_status text NOT NULL DEFAULT 'unverified'
    CONSTRAINT ck_players_kyc_status CHECK (kyc_status IN ('unverified', 'pending', 'verified'));

-- Approved withdrawals sit in payout clearing until the payout is confirmed or fails. It holds
-- money owed out, so it may not go negative: ck_accounts_negative_policy already demands
-- allow_negative = false for every kind it does not list, and stays as it is.
ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check;
ALTER TABLE accounts ADD CONSTRAINT ck_accounts_kind CHECK (kind IN ('player_wallet',
    'house_bankroll', 'bets_in_play', 'deposits_clearing', 'withdrawals_pending', 'adjustments',
    'payout_clearing'));

-- One row per withdrawal request. Each state carries exactly the steps that led to it, and
-- each step names the ledger transaction that moved its money.
CREATE TABLE withdrawals (
    id                         uuid PRIMARY KEY,
    player_id                  bigint NOT NULL REFERENCES players (id),
    request_id                 uuid NOT NULL,
    currency                   text NOT NULL REFERENCES currencies (code),
    amount                     bigint NOT NULL CHECK (amount > 0),
    destination                text NOT NULL CHECK (length(destination) BETWEEN 1 AND 200),
    state                      text NOT NULL DEFAULT 'requested'
                                   CHECK (state IN ('requested', 'approved', 'rejected', 'paid',
                                                    'failed')),
    holds                      text[] NOT NULL DEFAULT '{}',
    requested_at               timestamptz NOT NULL,
    request_transaction_id     uuid NOT NULL UNIQUE REFERENCES ledger_transactions (id),
    decided_by                 text CHECK (length(decided_by) BETWEEN 1 AND 200),
    approved_at                timestamptz,
    rejected_at                timestamptz,
    decision_transaction_id    uuid UNIQUE REFERENCES ledger_transactions (id),
    settled_by                 text CHECK (length(settled_by) BETWEEN 1 AND 200),
    paid_at                    timestamptz,
    failed_at                  timestamptz,
    settlement_transaction_id  uuid UNIQUE REFERENCES ledger_transactions (id),
    reason                     text CHECK (length(reason) BETWEEN 1 AND 500),
    payout_reference           text CHECK (length(payout_reference) BETWEEN 1 AND 200),
    -- The client's request id is the idempotency key of a request, per player.
    CONSTRAINT uq_withdrawals_request UNIQUE (player_id, request_id),
    CONSTRAINT ck_withdrawals_decided CHECK (
        (state = 'requested') = (decided_by IS NULL AND decision_transaction_id IS NULL)),
    CONSTRAINT ck_withdrawals_decision_made CHECK (
        (state = 'requested') OR (decided_by IS NOT NULL AND decision_transaction_id IS NOT NULL)),
    CONSTRAINT ck_withdrawals_approved_at CHECK (
        (approved_at IS NOT NULL) = (state IN ('approved', 'paid', 'failed'))),
    CONSTRAINT ck_withdrawals_rejected_at CHECK ((rejected_at IS NOT NULL) = (state = 'rejected')),
    CONSTRAINT ck_withdrawals_settled CHECK (
        (state IN ('paid', 'failed'))
        = (settled_by IS NOT NULL AND settlement_transaction_id IS NOT NULL)),
    CONSTRAINT ck_withdrawals_unsettled CHECK (
        state IN ('paid', 'failed') OR (settled_by IS NULL AND settlement_transaction_id IS NULL)),
    CONSTRAINT ck_withdrawals_paid_at CHECK ((paid_at IS NOT NULL) = (state = 'paid')),
    CONSTRAINT ck_withdrawals_failed_at CHECK ((failed_at IS NOT NULL) = (state = 'failed')),
    CONSTRAINT ck_withdrawals_reason CHECK ((reason IS NOT NULL) = (state IN ('rejected', 'failed'))),
    CONSTRAINT ck_withdrawals_paid_reference CHECK (state <> 'paid' OR payout_reference IS NOT NULL)
);
-- The staff queue (by state, oldest first) and the rolling daily total of one player.
CREATE INDEX ix_withdrawals_queue ON withdrawals (state, requested_at, id);
CREATE INDEX ix_withdrawals_player ON withdrawals (player_id, currency, requested_at);

-- The state machine, whoever runs the SQL: a row is never deleted, what was requested never
-- changes, and the state moves only along requested -> approved -> paid | failed and
-- requested -> rejected.
CREATE FUNCTION withdrawals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'withdrawals are never truncated' USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'withdrawal % is never deleted', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF (NEW.id, NEW.player_id, NEW.request_id, NEW.currency, NEW.amount, NEW.destination,
        NEW.requested_at, NEW.request_transaction_id)
       IS DISTINCT FROM
       (OLD.id, OLD.player_id, OLD.request_id, OLD.currency, OLD.amount, OLD.destination,
        OLD.requested_at, OLD.request_transaction_id) THEN
        RAISE EXCEPTION 'withdrawal % cannot change what was requested', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state <> OLD.state AND (OLD.state, NEW.state) NOT IN (
        ('requested', 'approved'), ('requested', 'rejected'),
        ('approved', 'paid'), ('approved', 'failed')) THEN
        RAISE EXCEPTION 'withdrawal % is %; it cannot become %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER withdrawals_guard BEFORE UPDATE OR DELETE ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION withdrawals_guard();
CREATE TRIGGER withdrawals_no_truncate BEFORE TRUNCATE ON withdrawals
    FOR EACH STATEMENT EXECUTE FUNCTION withdrawals_guard();
"""

# Payout clearing accounts can go only if no money ever moved through them: the DELETE fails on
# the ledger's foreign key otherwise, and the downgrade with it, rather than rewrite the books.
DOWNGRADE = r"""
DROP TABLE withdrawals;
DROP FUNCTION withdrawals_guard();
DELETE FROM accounts WHERE kind = 'payout_clearing';
ALTER TABLE accounts DROP CONSTRAINT ck_accounts_kind;
ALTER TABLE accounts ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('player_wallet',
    'house_bankroll', 'bets_in_play', 'deposits_clearing', 'withdrawals_pending',
    'adjustments'));
ALTER TABLE players DROP COLUMN kyc_status;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
