"""Games, provably fair seed pairs and bets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE games (
    code        text PRIMARY KEY,
    enabled     boolean NOT NULL DEFAULT true,
    house_edge  numeric(7, 6) NOT NULL CHECK (house_edge >= 0 AND house_edge < 1),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO games (code, house_edge) VALUES
    ('dice', 0.01), ('coin', 0.01), ('roulette', 0), ('limbo', 0.01),
    ('tg_dice', 0.03), ('tg_slot', 0), ('tg_darts', 0.03), ('tg_bowling', 0.03),
    ('tg_basketball', 0.03), ('tg_football', 0.03);

CREATE TABLE game_limits (
    game        text NOT NULL REFERENCES games (code) ON DELETE CASCADE,
    currency    text NOT NULL REFERENCES currencies (code),
    min_stake   bigint NOT NULL CHECK (min_stake > 0),
    max_stake   bigint NOT NULL,
    max_payout  bigint NOT NULL,
    PRIMARY KEY (game, currency),
    CONSTRAINT ck_game_limits_order CHECK (min_stake <= max_stake AND max_stake <= max_payout)
);
-- Defaults per currency in minor units: XTR 1..10,000 Stars (pays up to 1,000,000); TON
-- 0.01..100 (10,000); USDT 0.10..1,000 (100,000); FUN 1..1,000,000 (100,000,000).
INSERT INTO game_limits (game, currency, min_stake, max_stake, max_payout)
SELECT g.code, l.currency, l.min_stake, l.max_stake, l.max_payout
FROM games g CROSS JOIN (VALUES
    ('XTR', 1, 10000, 1000000),
    ('TON', 10000000, 100000000000, 10000000000000),
    ('USDT', 100000, 1000000000, 100000000000),
    ('FUN', 100, 100000000, 10000000000)
) AS l(currency, min_stake, max_stake, max_payout);

CREATE TABLE seed_pairs (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    player_id               bigint NOT NULL REFERENCES players (id),
    -- AES-GCM ciphertext; the key lives in configuration, never in this database.
    server_seed_encrypted   bytea NOT NULL,
    server_seed_hash        text NOT NULL CHECK (server_seed_hash ~ '^[0-9a-f]{64}$'),
    client_seed             text NOT NULL CHECK (length(client_seed) BETWEEN 1 AND 64),
    next_nonce              bigint NOT NULL DEFAULT 0 CHECK (next_nonce >= 0),
    created_at              timestamptz NOT NULL,
    revealed_at             timestamptz
);
-- One active (unrevealed) pair per player: nonces are handed out from exactly one row.
CREATE UNIQUE INDEX uq_seed_pairs_active ON seed_pairs (player_id) WHERE revealed_at IS NULL;
CREATE INDEX ix_seed_pairs_player ON seed_pairs (player_id, id DESC);

CREATE TABLE bets (
    id                          uuid PRIMARY KEY,
    player_id                   bigint NOT NULL REFERENCES players (id),
    game                        text NOT NULL REFERENCES games (code),
    currency                    text NOT NULL REFERENCES currencies (code),
    stake                       bigint NOT NULL CHECK (stake > 0),
    params                      jsonb NOT NULL,
    house_edge                  numeric(7, 6) NOT NULL,
    max_payout                  bigint NOT NULL CHECK (max_payout >= 0),
    state                       text NOT NULL CHECK (state IN ('placed', 'won', 'lost', 'voided')),
    placed_at                   timestamptz NOT NULL,
    placed_transaction_id       uuid NOT NULL REFERENCES ledger_transactions (id)
                                    DEFERRABLE INITIALLY DEFERRED,
    seed_pair_id                bigint REFERENCES seed_pairs (id),
    nonce                       bigint CHECK (nonce >= 0),
    server_seed_hash            text,
    client_seed                 text,
    dice_chat_id                bigint,
    dice_message_id             bigint,
    outcome                     bigint,
    multiplier_num              numeric,
    multiplier_den              numeric CHECK (multiplier_den > 0),
    payout                      bigint CHECK (payout >= 0 AND payout <= max_payout),
    settled_at                  timestamptz,
    settlement_transaction_id   uuid REFERENCES ledger_transactions (id)
                                    DEFERRABLE INITIALLY DEFERRED,
    void_reason                 text,
    CONSTRAINT ck_bets_fairness CHECK (
        (seed_pair_id IS NULL) = (nonce IS NULL)
        AND (seed_pair_id IS NULL) = (server_seed_hash IS NULL)
        AND (seed_pair_id IS NULL) = (client_seed IS NULL)),
    CONSTRAINT ck_bets_dice CHECK ((dice_chat_id IS NULL) = (dice_message_id IS NULL)),
    -- The state decides which facts exist: no half-settled bet can be written.
    CONSTRAINT ck_bets_state CHECK (CASE state
        WHEN 'placed' THEN outcome IS NULL AND payout IS NULL AND settled_at IS NULL
            AND settlement_transaction_id IS NULL AND void_reason IS NULL
        WHEN 'voided' THEN outcome IS NULL AND payout IS NULL AND settled_at IS NOT NULL
            AND settlement_transaction_id IS NOT NULL AND void_reason IS NOT NULL
        WHEN 'won' THEN outcome IS NOT NULL AND payout > 0 AND settled_at IS NOT NULL
            AND settlement_transaction_id IS NOT NULL AND multiplier_num IS NOT NULL
        WHEN 'lost' THEN outcome IS NOT NULL AND payout = 0 AND settled_at IS NOT NULL
            AND settlement_transaction_id IS NOT NULL AND multiplier_num IS NOT NULL
        END),
    -- A nonce is used once per pair; a dice message settles one bet.
    CONSTRAINT uq_bets_nonce UNIQUE (seed_pair_id, nonce),
    CONSTRAINT uq_bets_dice UNIQUE (dice_chat_id, dice_message_id),
    CONSTRAINT uq_bets_settlement UNIQUE (settlement_transaction_id)
);
CREATE INDEX ix_bets_player ON bets (player_id, placed_at DESC);
CREATE INDEX ix_bets_open ON bets (placed_at) WHERE state = 'placed';

-- A settled bet never changes again, whoever runs the UPDATE.
CREATE FUNCTION bets_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'placed' THEN
        RAISE EXCEPTION 'bet % is already %', OLD.id, OLD.state USING ERRCODE = 'CR405';
    END IF;
    IF NEW.id <> OLD.id OR NEW.player_id <> OLD.player_id OR NEW.stake <> OLD.stake
       OR NEW.currency <> OLD.currency OR NEW.game <> OLD.game OR NEW.params <> OLD.params
       OR NEW.placed_transaction_id <> OLD.placed_transaction_id THEN
        RAISE EXCEPTION 'the terms of bet % cannot change', OLD.id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER bets_guard_transition BEFORE UPDATE ON bets
    FOR EACH ROW EXECUTE FUNCTION bets_guard_transition();
CREATE TRIGGER bets_no_delete BEFORE DELETE ON bets
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

DOWNGRADE = """
DROP TABLE bets;
DROP FUNCTION bets_guard_transition();
DROP TABLE seed_pairs;
DROP TABLE game_limits;
DROP TABLE games;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
