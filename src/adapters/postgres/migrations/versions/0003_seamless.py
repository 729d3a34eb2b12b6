"""Seamless wallet: game providers' rounds and transactions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- A provider's game round: one player, one currency; open until a credit closes it. Every
-- call on a round locks its row first, which serialises the calls of one round.
CREATE TABLE seamless_rounds (
    provider    text NOT NULL CHECK (provider ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    round_id    text NOT NULL CHECK (length(round_id) BETWEEN 1 AND 100),
    player_id   bigint NOT NULL REFERENCES players (id),
    currency    text NOT NULL REFERENCES currencies (code),
    opened_at   timestamptz NOT NULL,
    closed_at   timestamptz,
    -- The transaction id of the credit that closed the round.
    closed_by   text,
    CONSTRAINT pk_seamless_rounds PRIMARY KEY (provider, round_id),
    -- What provider_transactions refers to: a transaction's player and currency are its
    -- round's.
    CONSTRAINT uq_seamless_rounds_owner UNIQUE (provider, round_id, player_id, currency),
    CONSTRAINT ck_seamless_rounds_closed CHECK ((closed_at IS NULL) = (closed_by IS NULL))
);
CREATE INDEX ix_seamless_rounds_player ON seamless_rounds (player_id, opened_at DESC);

-- One row per provider transaction id. A debit is 'debited', then maybe 'rolled_back'; a
-- rollback of a debit never seen leaves a tombstone ('cancelled', no amount) so that the
-- debit is refused if it arrives late; a credit is 'credited' (a zero credit moves nothing).
CREATE TABLE provider_transactions (
    provider                        text NOT NULL,
    transaction_id                  text NOT NULL
                                        CHECK (length(transaction_id) BETWEEN 1 AND 100),
    kind                            text NOT NULL CHECK (kind IN ('debit', 'credit')),
    state                           text NOT NULL
                                        CHECK (state IN ('debited', 'rolled_back', 'cancelled',
                                                         'credited')),
    player_id                       bigint NOT NULL REFERENCES players (id),
    round_id                        text NOT NULL,
    currency                        text NOT NULL REFERENCES currencies (code),
    amount                          bigint CHECK (amount >= 0),
    game_id                         text NOT NULL DEFAULT '' CHECK (length(game_id) <= 100),
    created_at                      timestamptz NOT NULL,
    ledger_transaction_id           uuid REFERENCES ledger_transactions (id)
                                        DEFERRABLE INITIALLY DEFERRED,
    rolled_back_at                  timestamptz,
    rollback_ledger_transaction_id  uuid REFERENCES ledger_transactions (id)
                                        DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT pk_provider_transactions PRIMARY KEY (provider, transaction_id),
    CONSTRAINT fk_provider_transactions_round FOREIGN KEY (provider, round_id, player_id, currency)
        REFERENCES seamless_rounds (provider, round_id, player_id, currency),
    -- The state decides which facts exist (coalesce: a NULL must fail the check, not pass it).
    CONSTRAINT ck_provider_transactions_state CHECK (coalesce(CASE state
        WHEN 'debited' THEN kind = 'debit' AND amount > 0
            AND ledger_transaction_id IS NOT NULL
            AND rolled_back_at IS NULL AND rollback_ledger_transaction_id IS NULL
        WHEN 'rolled_back' THEN kind = 'debit' AND amount > 0
            AND ledger_transaction_id IS NOT NULL
            AND rolled_back_at IS NOT NULL AND rollback_ledger_transaction_id IS NOT NULL
        WHEN 'cancelled' THEN kind = 'debit' AND amount IS NULL
            AND ledger_transaction_id IS NULL
            AND rolled_back_at IS NOT NULL AND rollback_ledger_transaction_id IS NULL
        WHEN 'credited' THEN kind = 'credit' AND amount >= 0
            AND (ledger_transaction_id IS NULL) = (amount = 0)
            AND rolled_back_at IS NULL AND rollback_ledger_transaction_id IS NULL
        END, false)),
    -- A journal entry belongs to one provider call.
    CONSTRAINT uq_provider_transactions_ledger UNIQUE (ledger_transaction_id),
    CONSTRAINT uq_provider_transactions_rollback_ledger UNIQUE (rollback_ledger_transaction_id)
);
CREATE INDEX ix_provider_transactions_round ON provider_transactions (provider, round_id);

ALTER TABLE seamless_rounds ADD CONSTRAINT fk_seamless_rounds_closed_by
    FOREIGN KEY (provider, closed_by) REFERENCES provider_transactions (provider, transaction_id)
    DEFERRABLE INITIALLY DEFERRED;

-- A provider transaction changes once: a debit is rolled back. Nothing else about it changes.
CREATE FUNCTION provider_transactions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'debited' THEN
        RAISE EXCEPTION 'provider transaction % of % is already %; it never changes again',
            OLD.transaction_id, OLD.provider, OLD.state USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state <> 'rolled_back' THEN
        RAISE EXCEPTION 'debit % of % only changes by being rolled back',
            OLD.transaction_id, OLD.provider USING ERRCODE = 'CR405';
    END IF;
    IF (NEW.provider, NEW.transaction_id, NEW.kind, NEW.player_id, NEW.round_id, NEW.currency,
        NEW.amount, NEW.game_id, NEW.created_at, NEW.ledger_transaction_id)
       IS DISTINCT FROM
       (OLD.provider, OLD.transaction_id, OLD.kind, OLD.player_id, OLD.round_id, OLD.currency,
        OLD.amount, OLD.game_id, OLD.created_at, OLD.ledger_transaction_id) THEN
        RAISE EXCEPTION 'the terms of provider transaction % of % cannot change',
            OLD.transaction_id, OLD.provider USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER provider_transactions_guard BEFORE UPDATE ON provider_transactions
    FOR EACH ROW EXECUTE FUNCTION provider_transactions_guard();
CREATE TRIGGER provider_transactions_no_delete BEFORE DELETE ON provider_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- A round changes once: a credit closes it. It never reopens and never changes hands.
CREATE FUNCTION seamless_rounds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.closed_at IS NOT NULL THEN
        RAISE EXCEPTION 'round % of % was already closed by %',
            OLD.round_id, OLD.provider, OLD.closed_by USING ERRCODE = 'CR405';
    END IF;
    IF (NEW.provider, NEW.round_id, NEW.player_id, NEW.currency, NEW.opened_at)
       IS DISTINCT FROM (OLD.provider, OLD.round_id, OLD.player_id, OLD.currency, OLD.opened_at)
    THEN
        RAISE EXCEPTION 'the terms of round % of % cannot change', OLD.round_id, OLD.provider
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER seamless_rounds_guard BEFORE UPDATE ON seamless_rounds
    FOR EACH ROW EXECUTE FUNCTION seamless_rounds_guard();
CREATE TRIGGER seamless_rounds_no_delete BEFORE DELETE ON seamless_rounds
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

DOWNGRADE = """
ALTER TABLE seamless_rounds DROP CONSTRAINT fk_seamless_rounds_closed_by;
DROP TABLE provider_transactions;
DROP FUNCTION provider_transactions_guard();
DROP TABLE seamless_rounds;
DROP FUNCTION seamless_rounds_guard();
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
