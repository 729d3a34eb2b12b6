"""Duels in group chats: the duel escrow account kind, duels and their dice (issue 23).

Revision ID: 0045
Revises: 0040
Create Date: 2026-12-03

A duel (domain/duels.py, docs/duels.md) holds its players' stakes in the sharded house account
`duel_escrow` (never negative: it holds exactly the open duels' stakes, reconcile checks).
`duels` mirrors the domain's invariants: two different players, a positive stake, one of the
five Telegram dice games, a winner exactly when settled and one of the two players, an end
time exactly when final. A trigger allows only the domain's transitions (challenged →
accepted, declined, expired; accepted → rolling, settled, refunded; rolling → rolling,
settled, refunded), never changes what the duel was made with, and refuses a delete.
`duel_rolls` keeps every die the bot sent, one per seat and round (the primary key: a repeated
roll cannot be recorded twice), append-only.

The risk flags get a kind, `duel_collusion` (domain/duels_collusion.py: duels that look like
chip dumping).

Downgrading drops the tables and the escrow accounts no posting touched; it refuses while an
escrow account holds postings (the account kind's check) or a `duel_collusion` flag exists.
"""

from alembic import op

revision = "0045"
down_revision = "0043"
branch_labels = None
depends_on = None

_OLD_KINDS = (
    "'player_wallet', 'house_bankroll', 'bets_in_play', 'deposits_clearing',"
    " 'withdrawals_pending', 'adjustments', 'payout_clearing', 'player_bonus', 'promotions'"
)
_NEW_KINDS = _OLD_KINDS + ", 'duel_escrow'"
_OLD_FLAGS = (
    "'improbable_results', 'rapid_withdrawal', 'shared_payment_identity', 'large_win',"
    " 'large_wager', 'staff_chain', 'payment_mismatch', 'referral_abuse'"
)
_NEW_FLAGS = _OLD_FLAGS + ", 'duel_collusion'"


def _kinds(kinds: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_kind",
        f"ALTER TABLE accounts ADD CONSTRAINT ck_accounts_kind CHECK (kind IN ({kinds}))",
    )


def _flag_kinds(kinds: str) -> tuple[str, ...]:
    return (
        "ALTER TABLE risk_flags DROP CONSTRAINT risk_flags_kind_check",
        f"ALTER TABLE risk_flags ADD CONSTRAINT risk_flags_kind_check CHECK (kind IN ({kinds}))",
    )


# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    *_kinds(_NEW_KINDS),
    *_flag_kinds(_NEW_FLAGS),
    """
CREATE TABLE duels (
    id             uuid PRIMARY KEY,
    chat_id        bigint NOT NULL,
    challenger_id  bigint NOT NULL REFERENCES players (id),
    challenged_id  bigint NOT NULL REFERENCES players (id),
    currency       text NOT NULL REFERENCES currencies (code),
    stake          bigint NOT NULL CHECK (stake > 0),
    game           text NOT NULL CHECK (game IN ('🎲', '🎯', '🏀', '⚽', '🎳')),
    cut_bps        integer NOT NULL CHECK (cut_bps BETWEEN 0 AND 5000),
    max_ties       smallint NOT NULL CHECK (max_ties BETWEEN 0 AND 10),
    state          text NOT NULL CHECK (state IN (
                       'challenged', 'accepted', 'rolling', 'settled', 'refunded', 'declined',
                       'expired')),
    winner_id      bigint REFERENCES players (id),
    created_at     timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    finished_at    timestamptz,
    CONSTRAINT ck_duels_two_players CHECK (challenger_id <> challenged_id),
    CONSTRAINT ck_duels_winner CHECK (
        (state = 'settled') = (winner_id IS NOT NULL)
        AND (winner_id IS NULL OR winner_id IN (challenger_id, challenged_id))),
    CONSTRAINT ck_duels_end CHECK (
        (state IN ('settled', 'refunded', 'declined', 'expired')) = (finished_at IS NOT NULL))
)
""",
    """
-- The expiry job's read: open duels by deadline.
CREATE INDEX ix_duels_open_deadline ON duels (deadline)
    WHERE state IN ('challenged', 'accepted', 'rolling')
""",
    "CREATE INDEX ix_duels_challenger ON duels (challenger_id, created_at)",
    "CREATE INDEX ix_duels_challenged ON duels (challenged_id, created_at)",
    """
CREATE FUNCTION duels_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.chat_id <> OLD.chat_id OR NEW.challenger_id <> OLD.challenger_id
       OR NEW.challenged_id <> OLD.challenged_id OR NEW.currency <> OLD.currency
       OR NEW.stake <> OLD.stake OR NEW.game <> OLD.game OR NEW.cut_bps <> OLD.cut_bps
       OR NEW.max_ties <> OLD.max_ties OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'the terms of duel % cannot change', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NOT (
        (OLD.state = 'challenged' AND NEW.state IN ('accepted', 'declined', 'expired'))
        OR (OLD.state = 'accepted' AND NEW.state IN ('rolling', 'settled', 'refunded'))
        OR (OLD.state = 'rolling' AND NEW.state IN ('rolling', 'settled', 'refunded'))) THEN
        RAISE EXCEPTION 'duel % cannot go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER duels_guard_step BEFORE UPDATE ON duels
    FOR EACH ROW EXECUTE FUNCTION duels_guard_step()
""",
    """
CREATE TRIGGER duels_no_delete BEFORE DELETE ON duels
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
    """
CREATE TABLE duel_rolls (
    duel_id     uuid NOT NULL REFERENCES duels (id),
    round       smallint NOT NULL CHECK (round BETWEEN 1 AND 11),
    seat        text NOT NULL CHECK (seat IN ('challenger', 'challenged')),
    value       smallint NOT NULL CHECK (value BETWEEN 1 AND 6),
    message_id  bigint NOT NULL,
    rolled_at   timestamptz NOT NULL,
    PRIMARY KEY (duel_id, round, seat)
)
""",
    """
CREATE TRIGGER duel_rolls_no_change BEFORE UPDATE OR DELETE ON duel_rolls
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
)

DOWNGRADE = (
    "DROP TABLE duel_rolls",
    "DROP TABLE duels",
    "DROP FUNCTION duels_guard_step()",
    """
DELETE FROM accounts AS a
WHERE a.kind = 'duel_escrow'
  AND NOT EXISTS (SELECT 1 FROM ledger_legs AS l WHERE l.account_id = a.id)
""",
    *_kinds(_OLD_KINDS),
    *_flag_kinds(_OLD_FLAGS),
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
