"""Open duel lobbies for 2–10 players (issue 23): lobbies, their seats and their dice.

Revision ID: 0046
Revises: 0044
Create Date: 2026-12-03

A lobby (domain/duel_lobbies.py, docs/duels.md "Lobbies") holds its seats' stakes in the duel
escrow (`duel_escrow`, revision 0045; reconcile counts both). `duel_lobbies` mirrors the
domain's invariants: 2 to 10 seats, a positive stake, one of the five dice games, a winner and
a prize exactly when settled, an end time exactly when final. A trigger allows only the
domain's transitions (open → open, rolling, expired; rolling → rolling, settled, refunded),
never changes what the lobby was opened with, and refuses a delete. `duel_lobby_seats`: one
row per seat, numbered in joining order, one per player and lobby; seats are taken and left
only while the lobby is open and never beyond its `max_seats`; a seat may only be left (its
`left_at` set once), never deleted. `duel_lobby_rolls`: every die the bot sent, one per round
and seat (the primary key), only for a seat still taken of a lobby under way, append-only.

Downgrading drops the three tables (the escrow's postings stay in the ledger).
"""

from alembic import op

revision = "0046"
down_revision = "0044"
branch_labels = None
depends_on = None

# One statement each: asyncpg prepares every statement, and a prepared statement holds one.
UPGRADE = (
    """
CREATE TABLE duel_lobbies (
    id            uuid PRIMARY KEY,
    chat_id       bigint NOT NULL,
    opener_id     bigint NOT NULL REFERENCES players (id),
    currency      text NOT NULL REFERENCES currencies (code),
    stake         bigint NOT NULL CHECK (stake > 0),
    game          text NOT NULL CHECK (game IN ('🎲', '🎯', '🏀', '⚽', '🎳')),
    cut_bps       integer NOT NULL CHECK (cut_bps BETWEEN 0 AND 5000),
    max_ties      smallint NOT NULL CHECK (max_ties BETWEEN 0 AND 10),
    max_seats     smallint NOT NULL CHECK (max_seats BETWEEN 2 AND 10),
    state         text NOT NULL CHECK (state IN (
                      'open', 'rolling', 'settled', 'refunded', 'expired')),
    winner_id     bigint REFERENCES players (id),
    prize         bigint CHECK (prize > 0),
    created_at    timestamptz NOT NULL,
    deadline      timestamptz NOT NULL,
    finished_at   timestamptz,
    CONSTRAINT ck_duel_lobbies_winner CHECK (
        (state = 'settled') = (winner_id IS NOT NULL)
        AND (state = 'settled') = (prize IS NOT NULL)),
    CONSTRAINT ck_duel_lobbies_end CHECK (
        (state IN ('settled', 'refunded', 'expired')) = (finished_at IS NOT NULL))
)
""",
    """
-- The expiry job's read: open lobbies by deadline.
CREATE INDEX ix_duel_lobbies_open_deadline ON duel_lobbies (deadline)
    WHERE state IN ('open', 'rolling')
""",
    "CREATE INDEX ix_duel_lobbies_winner ON duel_lobbies (winner_id, created_at)",
    """
CREATE FUNCTION duel_lobbies_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.chat_id <> OLD.chat_id OR NEW.opener_id <> OLD.opener_id
       OR NEW.currency <> OLD.currency OR NEW.stake <> OLD.stake OR NEW.game <> OLD.game
       OR NEW.cut_bps <> OLD.cut_bps OR NEW.max_ties <> OLD.max_ties
       OR NEW.max_seats <> OLD.max_seats OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'the terms of lobby % cannot change', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NOT (
        (OLD.state = 'open' AND NEW.state IN ('open', 'rolling', 'expired'))
        OR (OLD.state = 'rolling' AND NEW.state IN ('rolling', 'settled', 'refunded'))) THEN
        RAISE EXCEPTION 'lobby % cannot go from % to %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER duel_lobbies_guard_step BEFORE UPDATE ON duel_lobbies
    FOR EACH ROW EXECUTE FUNCTION duel_lobbies_guard_step()
""",
    """
CREATE TRIGGER duel_lobbies_no_delete BEFORE DELETE ON duel_lobbies
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
    """
CREATE TABLE duel_lobby_seats (
    lobby_id   uuid NOT NULL REFERENCES duel_lobbies (id),
    seat       smallint NOT NULL CHECK (seat >= 1),
    player_id  bigint NOT NULL REFERENCES players (id),
    joined_at  timestamptz NOT NULL,
    left_at    timestamptz,
    PRIMARY KEY (lobby_id, seat),
    CONSTRAINT uq_duel_lobby_seats_player UNIQUE (lobby_id, player_id),
    CONSTRAINT ck_duel_lobby_seats_opener CHECK (seat > 1 OR left_at IS NULL)
)
""",
    "CREATE INDEX ix_duel_lobby_seats_player ON duel_lobby_seats (player_id, joined_at)",
    """
CREATE FUNCTION duel_lobby_seats_guard_step() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lobby duel_lobbies%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' AND (
       NEW.lobby_id <> OLD.lobby_id OR NEW.seat <> OLD.seat OR NEW.player_id <> OLD.player_id
       OR NEW.joined_at <> OLD.joined_at OR OLD.left_at IS NOT NULL) THEN
        RAISE EXCEPTION 'seat % of lobby % can only be left, once', OLD.seat, OLD.lobby_id
            USING ERRCODE = 'CR405';
    END IF;
    -- Seats are taken and left only while the lobby is open, and never beyond its seats
    -- (the adapter writes the seats before the lobby's own step).
    SELECT * INTO lobby FROM duel_lobbies WHERE id = NEW.lobby_id;
    IF lobby.state <> 'open' THEN
        RAISE EXCEPTION 'lobby % is %: its seats are settled', NEW.lobby_id, lobby.state
            USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'INSERT' AND (SELECT count(*) FROM duel_lobby_seats
                             WHERE lobby_id = NEW.lobby_id AND left_at IS NULL)
                            >= lobby.max_seats THEN
        RAISE EXCEPTION 'lobby % is full', NEW.lobby_id USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER duel_lobby_seats_guard_step BEFORE INSERT OR UPDATE ON duel_lobby_seats
    FOR EACH ROW EXECUTE FUNCTION duel_lobby_seats_guard_step()
""",
    """
CREATE TRIGGER duel_lobby_seats_no_delete BEFORE DELETE ON duel_lobby_seats
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
    """
CREATE TABLE duel_lobby_rolls (
    lobby_id    uuid NOT NULL,
    round       smallint NOT NULL CHECK (round BETWEEN 1 AND 11),
    seat        smallint NOT NULL,
    value       smallint NOT NULL CHECK (value BETWEEN 1 AND 6),
    message_id  bigint NOT NULL,
    rolled_at   timestamptz NOT NULL,
    PRIMARY KEY (lobby_id, round, seat),
    FOREIGN KEY (lobby_id, seat) REFERENCES duel_lobby_seats (lobby_id, seat)
)
""",
    """
CREATE TRIGGER duel_lobby_rolls_no_change BEFORE UPDATE OR DELETE ON duel_lobby_rolls
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
""",
    """
CREATE FUNCTION duel_lobby_rolls_guard_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A die is rolled for a seat still taken, in a lobby under way (the adapter writes the
    -- dice before the lobby's own step, so the die that decides it finds it rolling).
    IF (SELECT state FROM duel_lobbies WHERE id = NEW.lobby_id) <> 'rolling'
       OR NOT EXISTS (SELECT 1 FROM duel_lobby_seats
                      WHERE lobby_id = NEW.lobby_id AND seat = NEW.seat AND left_at IS NULL) THEN
        RAISE EXCEPTION 'lobby % takes no die for seat %', NEW.lobby_id, NEW.seat
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$
""",
    """
CREATE TRIGGER duel_lobby_rolls_guard_add BEFORE INSERT ON duel_lobby_rolls
    FOR EACH ROW EXECUTE FUNCTION duel_lobby_rolls_guard_add()
""",
)

DOWNGRADE = (
    "DROP TABLE duel_lobby_rolls",
    "DROP TABLE duel_lobby_seats",
    "DROP TABLE duel_lobbies",
    "DROP FUNCTION duel_lobby_rolls_guard_add()",
    "DROP FUNCTION duel_lobby_seats_guard_step()",
    "DROP FUNCTION duel_lobbies_guard_step()",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
