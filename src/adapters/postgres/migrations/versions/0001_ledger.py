"""Players, accounts and the double-entry ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Every invariant the domain keeps is kept here again, so that no code path (a bug, a manual
# fix in psql, a future service) can break the books.
UPGRADE = r"""
CREATE TABLE currencies (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]{1,9}$'),
    exponent    smallint NOT NULL CHECK (exponent BETWEEN 0 AND 18),
    name        text NOT NULL DEFAULT ''
);
INSERT INTO currencies (code, exponent, name) VALUES
    ('XTR', 0, 'Telegram Stars'),
    ('TON', 9, 'Toncoin'),
    ('USDT', 6, 'Tether USD'),
    ('FUN', 2, 'Play money (demo)');

CREATE TABLE players (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_user_id  bigint NOT NULL CHECK (telegram_user_id > 0),
    username          text,
    language_code     text,
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    created_at        timestamptz NOT NULL,
    CONSTRAINT uq_players_telegram_user_id UNIQUE (telegram_user_id)
);

CREATE TABLE accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('player_wallet', 'house_bankroll',
                        'bets_in_play', 'deposits_clearing', 'withdrawals_pending',
                        'adjustments')),
    currency        text NOT NULL REFERENCES currencies (code),
    player_id       bigint REFERENCES players (id),
    shard           smallint CHECK (shard >= 0),
    balance         bigint NOT NULL DEFAULT 0,
    allow_negative  boolean NOT NULL,
    CONSTRAINT ck_accounts_balance_non_negative CHECK (allow_negative OR balance >= 0),
    CONSTRAINT ck_accounts_owner CHECK (
        (kind = 'player_wallet' AND player_id IS NOT NULL AND shard IS NULL)
        OR (kind <> 'player_wallet' AND player_id IS NULL AND shard IS NOT NULL)),
    -- Which accounts may go negative is policy, not a per-row choice.
    CONSTRAINT ck_accounts_negative_policy CHECK (
        allow_negative = (kind IN ('house_bankroll', 'deposits_clearing', 'adjustments'))),
    CONSTRAINT uq_accounts_wallet UNIQUE (player_id, currency),
    CONSTRAINT uq_accounts_house_shard UNIQUE (kind, currency, shard)
);

CREATE TABLE ledger_transactions (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'bet', 'win',
                        'loss', 'refund', 'adjustment', 'transfer', 'debit')),
    idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    fingerprint      bytea NOT NULL CHECK (length(fingerprint) = 32),
    reference        text NOT NULL DEFAULT '',
    metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL,
    CONSTRAINT uq_ledger_transactions_idempotency_key UNIQUE (idempotency_key)
);
CREATE INDEX ix_ledger_transactions_created_at ON ledger_transactions (created_at);

CREATE TABLE ledger_legs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  uuid NOT NULL REFERENCES ledger_transactions (id),
    account_id      bigint NOT NULL REFERENCES accounts (id),
    currency        text NOT NULL REFERENCES currencies (code),
    amount          bigint NOT NULL CHECK (amount <> 0),
    balance_after   bigint NOT NULL,
    CONSTRAINT uq_ledger_legs_transaction_account UNIQUE (transaction_id, account_id)
);
CREATE INDEX ix_ledger_legs_account_id_id ON ledger_legs (account_id, id);

-- Posting a transaction is one call, so one round trip: record the journal entry, then apply
-- each leg in account-id order (a fixed lock order, so two postings over the same accounts
-- cannot deadlock), each with a conditional UPDATE that refuses to take an account that may
-- not go negative below zero. A replay of the idempotency key returns the first result.
CREATE FUNCTION ledger_post(
    p_id uuid, p_kind text, p_key text, p_fingerprint bytea, p_reference text,
    p_metadata jsonb, p_created_at timestamptz,
    p_accounts bigint[], p_currencies text[], p_amounts bigint[])
RETURNS TABLE (transaction_id uuid, replayed boolean, created_at timestamptz,
               account_id bigint, currency text, amount bigint, balance_after bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_existing record;
    v_leg record;
    v_balance bigint;
BEGIN
    IF cardinality(p_accounts) < 2
       OR cardinality(p_accounts) <> cardinality(p_currencies)
       OR cardinality(p_accounts) <> cardinality(p_amounts) THEN
        RAISE EXCEPTION 'a transaction needs two or more legs' USING ERRCODE = 'CR422';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_currencies, p_amounts) AS x(c, a)
               GROUP BY c HAVING sum(a) <> 0) THEN
        RAISE EXCEPTION 'legs do not sum to zero per currency' USING ERRCODE = 'CR422';
    END IF;

    INSERT INTO ledger_transactions AS t
        (id, kind, idempotency_key, fingerprint, reference, metadata, created_at)
    VALUES (p_id, p_kind, p_key, p_fingerprint, p_reference, p_metadata, p_created_at)
    ON CONFLICT ON CONSTRAINT uq_ledger_transactions_idempotency_key DO NOTHING;

    IF NOT FOUND THEN
        SELECT t.id, t.fingerprint, t.created_at INTO v_existing
        FROM ledger_transactions t WHERE t.idempotency_key = p_key;
        IF v_existing.fingerprint <> p_fingerprint THEN
            RAISE EXCEPTION 'idempotency key % was already used for a different operation', p_key
                USING ERRCODE = 'CR409';
        END IF;
        RETURN QUERY
            SELECT l.transaction_id, true, v_existing.created_at, l.account_id, l.currency,
                   l.amount, l.balance_after
            FROM ledger_legs l WHERE l.transaction_id = v_existing.id ORDER BY l.account_id;
        RETURN;
    END IF;

    FOR v_leg IN
        SELECT x.acc, x.cur, x.amt FROM unnest(p_accounts, p_currencies, p_amounts) AS x(acc, cur, amt)
        ORDER BY x.acc
    LOOP
        UPDATE accounts a SET balance = a.balance + v_leg.amt
        WHERE a.id = v_leg.acc AND a.currency = v_leg.cur
          AND (a.allow_negative OR a.balance + v_leg.amt >= 0)
        RETURNING a.balance INTO v_balance;
        IF NOT FOUND THEN
            IF NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = v_leg.acc AND a.currency = v_leg.cur) THEN
                RAISE EXCEPTION 'no % account with id %', v_leg.cur, v_leg.acc USING ERRCODE = 'CR404';
            END IF;
            RAISE EXCEPTION 'insufficient funds on account %', v_leg.acc USING ERRCODE = 'CR402';
        END IF;
        INSERT INTO ledger_legs (transaction_id, account_id, currency, amount, balance_after)
        VALUES (p_id, v_leg.acc, v_leg.cur, v_leg.amt, v_balance);
        transaction_id := p_id; replayed := false; created_at := p_created_at;
        account_id := v_leg.acc; currency := v_leg.cur; amount := v_leg.amt;
        balance_after := v_balance;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- The journal is append-only: a correction is a new transaction, never an edit.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'CR403';
END;
$$;
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_legs_append_only BEFORE UPDATE OR DELETE ON ledger_legs
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

DOWNGRADE = """
DROP TABLE ledger_legs;
DROP TABLE ledger_transactions;
DROP FUNCTION ledger_refuse_change();
DROP FUNCTION ledger_post(uuid, text, text, bytea, text, jsonb, timestamptz, bigint[], text[], bigint[]);
DROP TABLE accounts;
DROP TABLE players;
DROP TABLE currencies;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
