"""Staff accounts, staff API keys, the audit log, player notes and four-eyes adjustments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from adapters.postgres.sqlscript import execute_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE staff (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    role            text NOT NULL CHECK (role IN ('viewer', 'support', 'finance', 'operator',
                                                  'admin')),
    totp_secret     text,
    token_version   integer NOT NULL DEFAULT 0 CHECK (token_version >= 0),
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL
);

CREATE TABLE staff_api_keys (
    key_id       text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
    staff_id     bigint NOT NULL REFERENCES staff (id),
    label        text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

-- Who did what, when, from where, before and after. Append-only.
CREATE TABLE audit_log (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        timestamptz NOT NULL,
    action    text NOT NULL,
    actor     text NOT NULL,
    subject   text NOT NULL DEFAULT '',
    source    text NOT NULL DEFAULT '',
    before    jsonb,
    after     jsonb
);
CREATE INDEX ix_audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX ix_audit_log_subject ON audit_log (subject, id DESC);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE TABLE player_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    player_id   bigint NOT NULL REFERENCES players (id),
    author      text NOT NULL,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    created_at  timestamptz NOT NULL
);
CREATE INDEX ix_player_notes_player ON player_notes (player_id, id DESC);

ALTER TABLE players ADD COLUMN status_reason text;

-- An adjustment above the four-eyes threshold waits here for a second finance user.
CREATE TABLE adjustment_requests (
    id                  uuid PRIMARY KEY,
    player_id           bigint NOT NULL REFERENCES players (id),
    currency            text NOT NULL REFERENCES currencies (code),
    amount              bigint NOT NULL CHECK (amount <> 0),
    reason              text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by        text NOT NULL,
    requested_at        timestamptz NOT NULL,
    state               text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by          text,
    decided_at          timestamptz,
    transaction_id      uuid REFERENCES ledger_transactions (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT ck_adjustment_requests_decision CHECK (
        (state = 'pending') = (decided_by IS NULL AND decided_at IS NULL)),
    CONSTRAINT ck_adjustment_requests_posted CHECK (
        (state = 'approved') = (transaction_id IS NOT NULL)),
    -- The second pair of eyes must be a different person.
    CONSTRAINT ck_adjustment_requests_four_eyes CHECK (decided_by IS DISTINCT FROM requested_by)
);
CREATE INDEX ix_adjustment_requests_pending ON adjustment_requests (requested_at)
    WHERE state = 'pending';
"""

DOWNGRADE = """
DROP TABLE adjustment_requests;
ALTER TABLE players DROP COLUMN status_reason;
DROP TABLE player_notes;
DROP TABLE audit_log;
DROP TABLE staff_api_keys;
DROP TABLE staff;
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
