"""A player may cancel a withdrawal nobody has approved yet (issue 25).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03

A new final state, `cancelled`, reached only from `requested`: the money goes back from
withdrawals pending to the wallet (`withdrawal:<id>:cancel`, the decision's transaction). The
row records when (`cancelled_at`) and who (`decided_by`, which must be the player
themselves: `player:<player id>`). The trigger's state machine gains the one arrow.

The downgrade fails while any withdrawal is cancelled (the old state CHECK refuses the row),
rather than rewrite what players did.
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def _guard(transitions: str) -> str:
    """withdrawals_guard as revision 0013 left it, with the state machine's arrows given."""
    return (
        r"""
CREATE OR REPLACE FUNCTION withdrawals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN

    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'withdrawals are never truncated' USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'withdrawal % is never deleted', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state <> OLD.state AND (OLD.state, NEW.state) NOT IN (
        """
        + transitions
        + r""") THEN
        RAISE EXCEPTION 'withdrawal % is %; it cannot become %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'CR405';
    END IF;

    IF (NEW.id, NEW.player_id, NEW.request_id, NEW.currency, NEW.amount,
        NEW.requested_at, NEW.request_transaction_id)
       IS DISTINCT FROM
       (OLD.id, OLD.player_id, OLD.request_id, OLD.currency, OLD.amount,
        OLD.requested_at, OLD.request_transaction_id)
       OR (OLD.destination_sealed IS NOT NULL
           AND NEW.destination_sealed IS DISTINCT FROM OLD.destination_sealed
           AND (NEW.destination_sealed IS NULL
                OR get_byte(NEW.destination_sealed, 1) = get_byte(OLD.destination_sealed, 1)))
    THEN
        RAISE EXCEPTION 'withdrawal % cannot change what was requested', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
"""
    )


_BEFORE = """('requested', 'approved'), ('requested', 'rejected'),
        ('approved', 'paid'), ('approved', 'failed')"""
_AFTER = """('requested', 'approved'), ('requested', 'rejected'), ('requested', 'cancelled'),
        ('approved', 'paid'), ('approved', 'failed')"""

UPGRADE = (
    "ALTER TABLE withdrawals DROP CONSTRAINT withdrawals_state_check",
    """ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_state_check
    CHECK (state IN ('requested', 'approved', 'rejected', 'paid', 'failed', 'cancelled'))""",
    "ALTER TABLE withdrawals ADD COLUMN cancelled_at timestamptz",
    """ALTER TABLE withdrawals ADD CONSTRAINT ck_withdrawals_cancelled_at
    CHECK ((cancelled_at IS NOT NULL) = (state = 'cancelled'))""",
    # Only the player cancels, and only their own.
    """ALTER TABLE withdrawals ADD CONSTRAINT ck_withdrawals_cancelled_by
    CHECK (state <> 'cancelled' OR decided_by = 'player:' || player_id)""",
    _guard(_AFTER),
)

DOWNGRADE = (
    "ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_cancelled_by",
    "ALTER TABLE withdrawals DROP CONSTRAINT ck_withdrawals_cancelled_at",
    "ALTER TABLE withdrawals DROP COLUMN cancelled_at",
    "ALTER TABLE withdrawals DROP CONSTRAINT withdrawals_state_check",
    """ALTER TABLE withdrawals ADD CONSTRAINT withdrawals_state_check
    CHECK (state IN ('requested', 'approved', 'rejected', 'paid', 'failed'))""",
    _guard(_BEFORE),
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
