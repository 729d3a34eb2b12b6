"""Four eyes per staff member and per player, not per request (issue 18).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02

Small adjustments are recorded in adjustment_requests too now (approved at once), so that the
four-eyes rule can add up what one staff member posted and what one player received over its
window; two indexes serve those sums. Risk flags gain the kind `staff_chain`. A withdrawal
above the second-approval threshold records its first approval (`first_approved_by`,
`first_approved_at`): set once, never by the one who completes the approval. Downgrading
refuses while a staff_chain flag exists (review and delete those first), and drops the
first approvals.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# One statement a string: the driver runs one at a time (and the revision imports no project
# code, so not adapters.postgres.sqlscript).
UPGRADE = (
    """CREATE INDEX ix_adjustment_requests_staff_window
    ON adjustment_requests (requested_by, currency, requested_at)""",
    """CREATE INDEX ix_adjustment_requests_player_window
    ON adjustment_requests (player_id, currency, requested_at)""",
    "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check",
    """ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN (
    'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',
    'large_wager', 'staff_chain'))""",
    """ALTER TABLE withdrawals
    ADD COLUMN first_approved_by text CHECK (length(first_approved_by) BETWEEN 1 AND 200),
    ADD COLUMN first_approved_at timestamptz,
    ADD CONSTRAINT ck_withdrawals_first_approval
        CHECK ((first_approved_by IS NULL) = (first_approved_at IS NULL)),
    ADD CONSTRAINT ck_withdrawals_second_approver CHECK (
        state NOT IN ('approved', 'paid', 'failed')
        OR first_approved_by IS DISTINCT FROM decided_by)""",
    # Its own trigger, beside the state machine's: a first approval, once given, stays.
    """CREATE FUNCTION withdrawals_first_approval_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.first_approved_by IS NOT NULL AND (NEW.first_approved_by, NEW.first_approved_at)
       IS DISTINCT FROM (OLD.first_approved_by, OLD.first_approved_at) THEN
        RAISE EXCEPTION 'withdrawal % has its first approval already', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$""",
    """CREATE TRIGGER withdrawals_first_approval_guard BEFORE UPDATE ON withdrawals
    FOR EACH ROW EXECUTE FUNCTION withdrawals_first_approval_guard()""",
)

DOWNGRADE = (
    "DROP TRIGGER withdrawals_first_approval_guard ON withdrawals",
    "DROP FUNCTION withdrawals_first_approval_guard()",
    """ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_second_approver,
    DROP CONSTRAINT ck_withdrawals_first_approval, DROP COLUMN first_approved_at,
    DROP COLUMN first_approved_by""",
    "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check",
    """ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN (
    'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',
    'large_wager'))""",
    "DROP INDEX ix_adjustment_requests_player_window",
    "DROP INDEX ix_adjustment_requests_staff_window",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
