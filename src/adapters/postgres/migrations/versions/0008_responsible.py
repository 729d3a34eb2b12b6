"""Responsible gambling: player limits (with pending raises), time-outs and self-exclusion (never
shortened, never deleted), reality checks.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- One row per player who ever set a limit, an exclusion or a reality check. Every setting
-- references it, so a player without one has no settings; it is also the row that the bet
-- and deposit guard locks (SELECT ... FOR UPDATE) to check a player's bets one at a time.
CREATE TABLE responsible_profiles (
    player_id   bigint PRIMARY KEY REFERENCES players (id),
    created_at  timestamptz NOT NULL
);

-- `amount` is the limit in force. A raise (pending_amount > amount) or a removal
-- (pending_amount NULL) waits from pending_requested_at for a 24-hour cooling-off and the
-- player's confirmation; it never applies by itself.
CREATE TABLE responsible_limits (
    player_id             bigint NOT NULL REFERENCES responsible_profiles (player_id),
    kind                  text NOT NULL CHECK (kind IN ('deposit', 'loss', 'wager')),
    period                text NOT NULL CHECK (period IN ('24h', '7d', '30d')),
    currency              text NOT NULL REFERENCES currencies (code),
    amount                bigint NOT NULL CHECK (amount > 0),
    set_at                timestamptz NOT NULL,
    pending_amount        bigint,
    pending_requested_at  timestamptz,
    CONSTRAINT pk_responsible_limits PRIMARY KEY (player_id, kind, period, currency),
    CONSTRAINT ck_responsible_limits_pending CHECK (
        (pending_amount IS NULL OR pending_requested_at IS NOT NULL)
        AND (pending_amount IS NULL OR pending_amount > amount))
);

-- A time-out or a self-exclusion; `until` NULL is permanent (a self-exclusion only).
CREATE TABLE responsible_exclusions (
    player_id   bigint PRIMARY KEY REFERENCES responsible_profiles (player_id),
    kind        text NOT NULL CHECK (kind IN ('timeout', 'self_exclusion')),
    started_at  timestamptz NOT NULL,
    until       timestamptz,
    CONSTRAINT ck_responsible_exclusions_until CHECK (until IS NULL OR until > started_at),
    CONSTRAINT ck_responsible_exclusions_permanent CHECK (
        until IS NOT NULL OR kind = 'self_exclusion')
);

-- Nobody ends an exclusion early, whoever runs the SQL: `until` only ever moves later (and
-- a permanent one stays permanent), a row is never deleted or truncated, and a new start or
-- a self-exclusion turning into a time-out is only possible once the stored one has ended.
CREATE FUNCTION responsible_exclusions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'exclusions are never truncated' USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the exclusion of player % is never deleted; it ends on time',
            OLD.player_id USING ERRCODE = 'CR405';
    END IF;
    IF NEW.player_id <> OLD.player_id THEN
        RAISE EXCEPTION 'the exclusion of player % cannot move to another player',
            OLD.player_id USING ERRCODE = 'CR405';
    END IF;
    IF (OLD.until IS NULL AND NEW.until IS NOT NULL) OR NEW.until < OLD.until THEN
        RAISE EXCEPTION 'the exclusion of player % runs until %; it cannot be shortened',
            OLD.player_id, coalesce(OLD.until::text, 'forever') USING ERRCODE = 'CR405';
    END IF;
    IF (NEW.started_at IS DISTINCT FROM OLD.started_at
        OR (OLD.kind = 'self_exclusion' AND NEW.kind = 'timeout'))
       AND (OLD.until IS NULL OR NEW.started_at < OLD.until) THEN
        RAISE EXCEPTION 'the exclusion of player % is still running; it can only be extended',
            OLD.player_id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER responsible_exclusions_guard BEFORE UPDATE OR DELETE ON responsible_exclusions
    FOR EACH ROW EXECUTE FUNCTION responsible_exclusions_guard();
CREATE TRIGGER responsible_exclusions_no_truncate BEFORE TRUNCATE ON responsible_exclusions
    FOR EACH STATEMENT EXECUTE FUNCTION responsible_exclusions_guard();

-- The next bet waits for an acknowledgement once interval_minutes have passed since
-- acknowledged_at (the start of the session, or the last acknowledgement).
CREATE TABLE responsible_reality_checks (
    player_id           bigint PRIMARY KEY REFERENCES responsible_profiles (player_id),
    interval_minutes    integer NOT NULL CHECK (interval_minutes BETWEEN 15 AND 240),
    session_started_at  timestamptz NOT NULL,
    acknowledged_at     timestamptz NOT NULL,
    CONSTRAINT ck_responsible_reality_checks_order CHECK (acknowledged_at >= session_started_at)
);

-- The usage read model sums a player's seamless debits and credits over a window.
CREATE INDEX ix_provider_transactions_player ON provider_transactions (player_id, created_at);
"""

DOWNGRADE = """
DROP INDEX ix_provider_transactions_player;
DROP TABLE responsible_reality_checks;
DROP TABLE responsible_exclusions;
DROP FUNCTION responsible_exclusions_guard();
DROP TABLE responsible_limits;
DROP TABLE responsible_profiles;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
