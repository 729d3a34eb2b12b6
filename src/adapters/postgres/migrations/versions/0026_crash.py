"""Crash: the chain's commitment, its rounds and their bets.

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-03

Who may read what (docs/games.md, "Crash"):
- `crash_chains` holds what is public: the chain's published end h_N, its salt and length, and
  the next round. The services read it; only the schema's owner writes it (`croupier crash
  chain new` / `salt`, which connect as the owner), so the app cannot swap the chain or skip
  rounds.
- `crash_chain_checkpoints` holds every `checkpoint_every`-th link from h_0, which is as good as
  the secret: the services' role has no privilege on it at all. Round hashes come out through
  the owner's functions, and only for rounds that have started: `crash_start_round` starts the
  round (PostgreSQL's clock) and returns its hash, `crash_round_hash` returns the hash of a
  round already started (a cash-out checks the crash time with it, a new leader recovers a
  round with it). No function gives a hash of a round still taking bets, or of a future one.
- `crash_rounds`: a round's hash and crash point are written only when it crashes, and a
  trigger refuses a hash that is not the chain's link for that round.
- `crash_bets`: the round seat of a bet (the bet itself, its money and its state, is a row of
  `bets` on the one road); one per player, round and currency.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

UPGRADE = (
    r"""
INSERT INTO games (code, house_edge) VALUES ('crash', 0.01)
""",
    r"""
-- The defaults of revision 0002 per currency. A bet without a target counts as riding to the
-- 1,000x cap against max_payout.
INSERT INTO game_limits (game, currency, min_stake, max_stake, max_payout)
SELECT 'crash', l.currency, l.min_stake, l.max_stake, l.max_payout
FROM (VALUES
    ('XTR', 1, 10000, 1000000),
    ('TON', 10000000, 100000000000, 10000000000000),
    ('USDT', 100000, 1000000000, 100000000000),
    ('FUN', 100, 100000000, 10000000000)
) AS l(currency, min_stake, max_stake, max_payout)
WHERE EXISTS (SELECT 1 FROM currencies c WHERE c.code = l.currency)
""",
    r"""
CREATE TABLE crash_chains (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    end_hash            text NOT NULL UNIQUE CHECK (end_hash ~ '^[0-9a-f]{64}$'),
    -- Set once, after the end was published and before the first round.
    salt                text CHECK (length(salt) BETWEEN 1 AND 200),
    length              bigint NOT NULL CHECK (length BETWEEN 1 AND 100000000),
    checkpoint_every    integer NOT NULL CHECK (checkpoint_every BETWEEN 1 AND 100000),
    next_round          bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_crash_chains_next CHECK (next_round BETWEEN 1 AND length + 1),
    CONSTRAINT ck_crash_chains_salted CHECK (salt IS NOT NULL OR next_round = 1)
)
""",
    r"""
CREATE TABLE crash_chain_checkpoints (
    chain_id    bigint NOT NULL REFERENCES crash_chains (id),
    link_index  bigint NOT NULL CHECK (link_index >= 0),
    link_hash   text NOT NULL CHECK (link_hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (chain_id, link_index)
)
""",
    r"""
CREATE TABLE crash_rounds (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chain_id        bigint NOT NULL REFERENCES crash_chains (id),
    number          bigint NOT NULL CHECK (number >= 1),
    phase           text NOT NULL CHECK (phase IN ('betting', 'running', 'crashed')),
    betting_ends_at timestamptz NOT NULL,
    started_at      timestamptz,
    crashed_at      timestamptz,
    crash_point     bigint CHECK (crash_point >= 100),
    round_hash      text CHECK (round_hash ~ '^[0-9a-f]{64}$'),
    -- Finished by a recovery rather than the driver that ran it (domain/crash_rounds.py).
    interrupted     boolean NOT NULL DEFAULT false,
    CONSTRAINT uq_crash_rounds_number UNIQUE (chain_id, number),
    CONSTRAINT ck_crash_rounds_phase CHECK (CASE phase
        WHEN 'betting' THEN started_at IS NULL AND crashed_at IS NULL
            AND crash_point IS NULL AND round_hash IS NULL
        WHEN 'running' THEN started_at IS NOT NULL AND crashed_at IS NULL
            AND crash_point IS NULL AND round_hash IS NULL
        WHEN 'crashed' THEN started_at IS NOT NULL AND crashed_at IS NOT NULL
            AND crash_point IS NOT NULL AND round_hash IS NOT NULL
        END)
)
""",
    r"""
CREATE INDEX ix_crash_rounds_open ON crash_rounds (id) WHERE phase <> 'crashed'
""",
    r"""
CREATE TABLE crash_bets (
    bet_id          uuid PRIMARY KEY,
    round_id        bigint NOT NULL REFERENCES crash_rounds (id),
    player_id       bigint NOT NULL REFERENCES players (id),
    currency        text NOT NULL REFERENCES currencies (code),
    target          bigint CHECK (target BETWEEN 101 AND 100000),
    -- What the bet rides against the round's share of the bankroll: max payout - stake.
    exposure        bigint NOT NULL CHECK (exposure >= 0),
    cashed_out_at   bigint CHECK (cashed_out_at BETWEEN 100 AND 100000),
    cashed_out_ms   bigint CHECK (cashed_out_ms >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_crash_bets_seat UNIQUE (round_id, player_id, currency),
    CONSTRAINT ck_crash_bets_cash_out CHECK ((cashed_out_at IS NULL) = (cashed_out_ms IS NULL)),
    CONSTRAINT ck_crash_bets_target CHECK (cashed_out_at IS NULL OR target IS NULL
                                           OR cashed_out_at <= target)
)
""",
    r"""
-- The chain's link i, hashed forward from the checkpoint at or below it.
CREATE FUNCTION crash_link(p_chain bigint, p_index bigint) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_every integer;
    v_from bigint;
    v_hash text;
BEGIN
    SELECT checkpoint_every INTO v_every FROM crash_chains WHERE id = p_chain;
    v_from := (p_index / v_every) * v_every;
    SELECT link_hash INTO v_hash FROM crash_chain_checkpoints
    WHERE chain_id = p_chain AND link_index = v_from;
    IF v_hash IS NULL THEN
        RAISE EXCEPTION 'crash chain % has no link %', p_chain, p_index USING ERRCODE = 'CR404';
    END IF;
    FOR i IN 1 .. p_index - v_from LOOP
        v_hash := encode(sha256(convert_to(v_hash, 'UTF8')), 'hex');
    END LOOP;
    RETURN v_hash;
END;
$$
""",
    r"""
-- The next round of the chain, taking bets until p_betting_ends_at. Only here does a chain's
-- next round advance: rounds are taken in order, none skipped.
CREATE FUNCTION crash_open_round(p_chain bigint, p_betting_ends_at timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_chain crash_chains%ROWTYPE;
    v_id bigint;
BEGIN
    SELECT * INTO v_chain FROM crash_chains WHERE id = p_chain FOR UPDATE;
    IF NOT FOUND OR v_chain.salt IS NULL THEN
        RAISE EXCEPTION 'crash chain % is not ready (no salt)', p_chain USING ERRCODE = 'CR405';
    END IF;
    IF v_chain.next_round > v_chain.length THEN
        RAISE EXCEPTION 'crash chain % is used up', p_chain USING ERRCODE = 'CR405';
    END IF;
    INSERT INTO crash_rounds (chain_id, number, phase, betting_ends_at)
    VALUES (p_chain, v_chain.next_round, 'betting', p_betting_ends_at)
    RETURNING id INTO v_id;
    UPDATE crash_chains SET next_round = next_round + 1 WHERE id = p_chain;
    RETURN v_id;
END;
$$
""",
    r"""
-- Start a betting round now, by PostgreSQL's clock, and give its hash (its start again, if it
-- already started). Waits for the bets being placed on it (they hold its row FOR SHARE).
CREATE FUNCTION crash_start_round(p_round bigint) RETURNS TABLE (started_at timestamptz, round_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_round crash_rounds%ROWTYPE;
    v_length bigint;
BEGIN
    SELECT * INTO v_round FROM crash_rounds r WHERE r.id = p_round FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no crash round %', p_round USING ERRCODE = 'CR404';
    END IF;
    IF v_round.phase = 'betting' THEN
        UPDATE crash_rounds r SET phase = 'running', started_at = clock_timestamp()
        WHERE r.id = p_round RETURNING * INTO v_round;
    END IF;
    SELECT c.length INTO v_length FROM crash_chains c WHERE c.id = v_round.chain_id;
    started_at := v_round.started_at;
    round_hash := crash_link(v_round.chain_id, v_length - v_round.number);
    RETURN NEXT;
END;
$$
""",
    r"""
-- The hash of a round that has started (never of one still taking bets).
CREATE FUNCTION crash_round_hash(p_round bigint) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_round crash_rounds%ROWTYPE;
    v_length bigint;
BEGIN
    SELECT * INTO v_round FROM crash_rounds WHERE id = p_round;
    IF NOT FOUND OR v_round.phase = 'betting' THEN
        RAISE EXCEPTION 'crash round % has not started', p_round USING ERRCODE = 'CR405';
    END IF;
    SELECT length INTO v_length FROM crash_chains WHERE id = v_round.chain_id;
    RETURN crash_link(v_round.chain_id, v_length - v_round.number);
END;
$$
""",
    r"""
-- A round only moves forward, and reveals its own link, nothing else.
CREATE FUNCTION crash_rounds_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_length bigint;
BEGIN
    IF OLD.phase = 'crashed' THEN
        RAISE EXCEPTION 'crash round % is over', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NEW.chain_id <> OLD.chain_id OR NEW.number <> OLD.number OR NEW.id <> OLD.id
       OR (OLD.started_at IS NOT NULL AND NEW.started_at IS DISTINCT FROM OLD.started_at) THEN
        RAISE EXCEPTION 'crash round % cannot be rewritten', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NEW.round_hash IS NOT NULL THEN
        SELECT length INTO v_length FROM crash_chains WHERE id = NEW.chain_id;
        IF NEW.round_hash <> crash_link(NEW.chain_id, v_length - NEW.number) THEN
            RAISE EXCEPTION 'that is not the hash of crash round %', OLD.id
                USING ERRCODE = 'CR405';
        END IF;
    END IF;
    RETURN NEW;
END;
$$
""",
    r"""
CREATE TRIGGER crash_rounds_guard BEFORE UPDATE ON crash_rounds
    FOR EACH ROW EXECUTE FUNCTION crash_rounds_guard()
""",
    r"""
REVOKE EXECUTE ON FUNCTION crash_link(bigint, bigint) FROM PUBLIC
""",
    r"""
REVOKE EXECUTE ON FUNCTION crash_open_round(bigint, timestamptz) FROM PUBLIC
""",
    r"""
REVOKE EXECUTE ON FUNCTION crash_start_round(bigint) FROM PUBLIC
""",
    r"""
REVOKE EXECUTE ON FUNCTION crash_round_hash(bigint) FROM PUBLIC
""",
    r"""
REVOKE EXECUTE ON FUNCTION crash_rounds_guard() FROM PUBLIC
""",
)

DOWNGRADE = (
    r"""
DROP TABLE crash_bets
""",
    r"""
DROP TRIGGER crash_rounds_guard ON crash_rounds
""",
    r"""
DROP FUNCTION crash_rounds_guard()
""",
    r"""
DROP FUNCTION crash_round_hash(bigint)
""",
    r"""
DROP FUNCTION crash_start_round(bigint)
""",
    r"""
DROP FUNCTION crash_open_round(bigint, timestamptz)
""",
    r"""
DROP FUNCTION crash_link(bigint, bigint)
""",
    r"""
DROP TABLE crash_rounds
""",
    r"""
DROP TABLE crash_chain_checkpoints
""",
    r"""
DROP TABLE crash_chains
""",
    r"""
DELETE FROM game_limits WHERE game = 'crash'
""",
    r"""
DELETE FROM games WHERE code = 'crash'
""",
)


def upgrade() -> None:
    # One statement a call: asyncpg prepares every statement, and a prepared one holds one.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
