"""The largest limit a player can set (issue 23, UKGC RTS 12: limits typed as free text).

Revision ID: 0049
Revises: 0047
Create Date: 2026-12-03

`domain.responsible.max_limit`: a deposit, loss or wager limit (and a pending raise) is at most
a billion whole units of its currency, and never over 10**18 minor units. The table checks the
same, as a backstop for every door: a CHECK for the 10**18 ceiling, and a trigger for the
per-currency bound (a CHECK cannot read the currency's exponent from `currencies`).

A row over the bound (possible before, through the HTTP doors) is lowered to it first: a lower
limit is more protection and applies at once, as `SetLimit` would apply it; a pending raise
over the bound becomes a raise to the bound, or goes when the limit is already there.
Downgrading drops the checks and keeps the rows as they are.
"""

from alembic import op

revision = "0049"
down_revision = "0047"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
UPDATE responsible_limits AS l
SET amount = least(l.amount, b.cap),
    pending_amount = CASE
        WHEN l.pending_amount IS NULL OR l.pending_amount <= b.cap THEN l.pending_amount
        WHEN least(l.amount, b.cap) < b.cap THEN b.cap
    END,
    pending_requested_at = CASE
        WHEN l.pending_amount IS NULL OR l.pending_amount <= b.cap
            OR least(l.amount, b.cap) < b.cap THEN l.pending_requested_at
    END
FROM (SELECT c.code,
             CAST(least(1000000000::numeric * power(10::numeric, c.exponent), 1e18::numeric)
                  AS bigint) AS cap
      FROM currencies AS c) AS b
WHERE b.code = l.currency AND (l.amount > b.cap OR l.pending_amount > b.cap)
""",
    """
ALTER TABLE responsible_limits ADD CONSTRAINT ck_responsible_limits_bound CHECK (
    amount <= 1000000000000000000
    AND (pending_amount IS NULL OR pending_amount <= 1000000000000000000))
""",
    """
CREATE FUNCTION responsible_limits_bound() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_cap bigint;
BEGIN
    -- domain.responsible.max_limit: a billion whole units, at most 10^18 minor units.
    SELECT CAST(least(1000000000::numeric * power(10::numeric, c.exponent), 1e18::numeric)
                AS bigint)
    INTO v_cap FROM currencies AS c WHERE c.code = NEW.currency;
    IF NEW.amount > v_cap OR NEW.pending_amount > v_cap THEN
        RAISE EXCEPTION 'a % limit can be at most % minor units', NEW.currency, v_cap
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_responsible_limits_bound';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER responsible_limits_bound BEFORE INSERT OR UPDATE ON responsible_limits
    FOR EACH ROW EXECUTE FUNCTION responsible_limits_bound()
""",
)

DOWNGRADE = (
    "DROP TRIGGER responsible_limits_bound ON responsible_limits",
    "DROP FUNCTION responsible_limits_bound()",
    "ALTER TABLE responsible_limits DROP CONSTRAINT ck_responsible_limits_bound",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
