"""Risk: flags for staff review, payment identities, outcome monitoring.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from adapters.postgres.sqlscript import execute_script

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- A flag raised for staff review, with the evidence that made its rule fire. Open until a
-- staff member resolves or dismisses it with a note; a review is final.
CREATE TABLE risk_flags (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    player_id    bigint NOT NULL REFERENCES players (id),
    kind         text NOT NULL CHECK (kind IN ('improbable_results', 'rapid_withdrawal',
                     'shared_payment_identity', 'large_win', 'large_wager')),
    status       text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'resolved', 'dismissed')),
    evidence     jsonb NOT NULL CHECK (jsonb_typeof(evidence) = 'object'),
    raised_at    timestamptz NOT NULL,
    reviewed_by  text,
    reviewed_at  timestamptz,
    review_note  text CHECK (length(review_note) BETWEEN 1 AND 1000),
    -- A reviewed flag names who, when and why; an open one none of these.
    CONSTRAINT ck_risk_flags_review CHECK (
        (status = 'open') = (reviewed_at IS NULL)
        AND (reviewed_at IS NULL) = (reviewed_by IS NULL)
        AND (reviewed_at IS NULL) = (review_note IS NULL))
);
-- A rule that fires again while its flag is open adds nothing: one open flag per player and
-- kind, which is what makes the scan idempotent.
CREATE UNIQUE INDEX uq_risk_flags_open ON risk_flags (player_id, kind) WHERE status = 'open';
CREATE INDEX ix_risk_flags_player ON risk_flags (player_id, id DESC);
CREATE INDEX ix_risk_flags_status ON risk_flags (status, id DESC);

-- Only a review changes a flag, once; nothing deletes one.
CREATE FUNCTION risk_flags_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'open' THEN
        RAISE EXCEPTION 'risk flag % is already %', OLD.id, OLD.status USING ERRCODE = 'CR405';
    END IF;
    IF NEW.player_id <> OLD.player_id OR NEW.kind <> OLD.kind OR NEW.evidence <> OLD.evidence
       OR NEW.raised_at <> OLD.raised_at THEN
        RAISE EXCEPTION 'the evidence of risk flag % cannot change', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER risk_flags_guard BEFORE UPDATE ON risk_flags
    FOR EACH ROW EXECUTE FUNCTION risk_flags_guard();
CREATE TRIGGER risk_flags_no_delete BEFORE DELETE ON risk_flags
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- Who paid from or to what, by the sha256 of the normalized identity (never the identity
-- itself): one row per player and identity, so a second player on it is one lookup away.
CREATE TABLE payment_identities (
    kind           text NOT NULL CHECK (kind IN ('withdrawal_destination', 'stars_payer',
                       'provider_payer')),
    hash           text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    player_id      bigint NOT NULL REFERENCES players (id),
    first_seen_at  timestamptz NOT NULL,
    CONSTRAINT uq_payment_identities UNIQUE (kind, hash, player_id)
);
CREATE INDEX ix_payment_identities_player ON payment_identities (player_id);

-- The scan, the outcome monitor and the reports read settled bets by settlement time.
CREATE INDEX ix_bets_settled_at ON bets (settled_at) WHERE state IN ('won', 'lost');
"""

DOWNGRADE = r"""
DROP INDEX ix_bets_settled_at;
DROP TABLE payment_identities;
DROP TABLE risk_flags;
DROP FUNCTION risk_flags_guard();
"""


def upgrade() -> None:
    execute_script(UPGRADE)


def downgrade() -> None:
    execute_script(DOWNGRADE)
