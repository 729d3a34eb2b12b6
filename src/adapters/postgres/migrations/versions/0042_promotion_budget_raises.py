"""Raises of a promotion budget's total (issue 22, docs/bonuses.md#raising-a-budget).

Staff raise a budget's total over HTTP, and the operator's console raises a referral budget;
both go through one use case, which records each raise here: who asked, by how much, and
whether it was applied at once or waits for a second staff member (the campaigns' four-eyes
threshold, counted per staff member over the window with the budgets of the campaigns they
created). A raise leaves `awaiting_approval` once, to `applied` or `rejected`, decided by
someone else; the row is never deleted, and its request and amount never change (trigger).
"""

from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
CREATE TABLE promotion_budget_raises (
    id           uuid PRIMARY KEY,
    budget       text NOT NULL REFERENCES promotion_budgets (code),
    currency     text NOT NULL REFERENCES currencies (code),
    increase     bigint NOT NULL CHECK (increase > 0),
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    state        text NOT NULL CHECK (state IN ('applied', 'awaiting_approval', 'rejected')),
    decided_by   text,
    decided_at   timestamptz,
    total_after  bigint CHECK (total_after > 0),
    CONSTRAINT ck_promotion_budget_raises_applied CHECK (
        (state = 'applied') = (total_after IS NOT NULL)),
    CONSTRAINT ck_promotion_budget_raises_decided CHECK (
        (decided_by IS NULL) = (decided_at IS NULL)
        AND (state <> 'awaiting_approval' OR decided_by IS NULL)
        AND (state <> 'rejected' OR decided_by IS NOT NULL)),
    CONSTRAINT ck_promotion_budget_raises_four_eyes CHECK (decided_by <> requested_by)
)
""",
    # The four-eyes sum reads one staff member's raises in a currency since the window's start.
    "CREATE INDEX ix_promotion_budget_raises_requested ON promotion_budget_raises"
    " (requested_by, currency, requested_at)",
    """
CREATE FUNCTION promotion_budget_raises_decide_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.state <> 'awaiting_approval'
       OR (NEW.id, NEW.budget, NEW.currency, NEW.increase, NEW.requested_by, NEW.requested_at)
          IS DISTINCT FROM
          (OLD.id, OLD.budget, OLD.currency, OLD.increase, OLD.requested_by, OLD.requested_at)
    THEN
        RAISE EXCEPTION 'budget raise %: decided once, its request never changed', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    "CREATE TRIGGER promotion_budget_raises_decide_once BEFORE UPDATE OR DELETE"
    " ON promotion_budget_raises FOR EACH ROW EXECUTE FUNCTION"
    " promotion_budget_raises_decide_once()",
)
DOWNGRADE = (
    "DROP TABLE promotion_budget_raises",
    "DROP FUNCTION promotion_budget_raises_decide_once()",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
