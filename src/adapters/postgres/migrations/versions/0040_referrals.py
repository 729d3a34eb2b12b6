"""Referrals: attribution set once, commissions settled once per period, the abuse flag
(issue 22).

A player's referrer (`player_preferences.referred_by`, revision 0007) is fixed when the
preferences are made, at the player's first contact: a trigger refuses any later change, a
NULL made a referrer included (an attribution not made at first contact is never made), and
the row's check already refuses oneself.

`referral_commissions` records each (referrer, period, currency) the job settled, once: the
primary key is the idempotency of the job (a rerun or a second instance finds the row, or
waits for the first one's transaction and then finds it) and the row is written in the
transaction that posts the payment (`transaction_id`, the journal entry; NULL when nothing was
paid: `nothing` or `withheld`). Append-only for the services.

The risk flags get a kind: `referral_abuse` (a referred player shares a payment identity
with their referrer).

Downgrading refuses while a `referral_abuse` flag exists (the old check).
"""

from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

_OLD_FLAGS = (
    "'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',"
    " 'large_wager', 'staff_chain', 'payment_mismatch'"
)
_NEW_FLAGS = _OLD_FLAGS + ", 'referral_abuse'"


def _flag_kinds(kinds: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check",
        f"ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN ({kinds}))",
    )


# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
CREATE FUNCTION player_preferences_referral_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.referred_by IS DISTINCT FROM OLD.referred_by THEN
        RAISE EXCEPTION 'player %: a referrer is set at first contact and never changed',
            OLD.player_id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    "CREATE TRIGGER player_preferences_referral_once BEFORE UPDATE OF referred_by"
    " ON player_preferences FOR EACH ROW EXECUTE FUNCTION player_preferences_referral_once()",
    # The referrer's statistics and the job read a referrer's referred players.
    "CREATE INDEX ix_player_preferences_referred_by ON player_preferences (referred_by)"
    " WHERE referred_by IS NOT NULL",
    """
CREATE TABLE referral_commissions (
    referrer_id    bigint NOT NULL REFERENCES players (id),
    period_start   timestamptz NOT NULL,
    period_end     timestamptz NOT NULL,
    currency       text NOT NULL REFERENCES currencies (code),
    basis          text NOT NULL CHECK (basis IN ('ngr', 'deposits')),
    base           bigint NOT NULL CHECK (base >= 0),
    share_bps      integer NOT NULL CHECK (share_bps BETWEEN 0 AND 10000),
    uncapped       bigint NOT NULL CHECK (uncapped >= 0),
    cap            bigint CHECK (cap > 0),
    amount         bigint NOT NULL CHECK (amount >= 0),
    outcome        text NOT NULL CHECK (outcome IN ('paid', 'nothing', 'withheld')),
    referred       bigint[] NOT NULL,
    excluded       jsonb NOT NULL CHECK (jsonb_typeof(excluded) = 'object'),
    transaction_id uuid REFERENCES ledger_transactions (id),
    settled_at     timestamptz NOT NULL,
    PRIMARY KEY (referrer_id, period_start, currency),
    CONSTRAINT ck_referral_commissions_period CHECK (period_end > period_start),
    CONSTRAINT ck_referral_commissions_amount CHECK (
        amount <= uncapped AND (cap IS NULL OR amount <= cap)),
    CONSTRAINT ck_referral_commissions_paid CHECK (
        (outcome = 'paid') = (transaction_id IS NOT NULL)
        AND (outcome = 'paid') = (amount > 0))
)
""",
    "CREATE TRIGGER referral_commissions_append_only BEFORE DELETE OR UPDATE"
    " ON referral_commissions FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    *_flag_kinds(_NEW_FLAGS),
)
DOWNGRADE = (
    *_flag_kinds(_OLD_FLAGS),
    "DROP TABLE referral_commissions",
    "DROP INDEX ix_player_preferences_referred_by",
    "DROP TRIGGER player_preferences_referral_once ON player_preferences",
    "DROP FUNCTION player_preferences_referral_once()",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
