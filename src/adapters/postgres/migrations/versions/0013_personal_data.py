"""Personal data sealed at rest: usernames, withdrawal destinations, TOTP secrets; payment
identities keyed.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25

The plaintext columns are replaced by sealed ones (`adapters.personal_data`). Sealing needs the
keys, which live in configuration only: `croupier db upgrade` hands them in. A database with
personal data in it cannot be upgraded (or downgraded) without them, and says so; an empty one
can. Payment identities recorded for withdrawal destinations are re-keyed from the
destinations; those recorded from payment providers were stored as plain sha256 and have no
plaintext to re-key from: they stay as they are and match only each other.
"""

from __future__ import annotations

import hashlib
from typing import Any

from alembic import context, op
from sqlalchemy import text

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.personal import (
    destination_place,
    identity_digest,
    totp_place,
    username_index,
    username_place,
)
from adapters.postgres.sqlscript import execute_script
from domain.errors import InvalidRequest
from domain.risk import normalize_identity

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_GUARD_CHECKS = r"""
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'withdrawals are never truncated' USING ERRCODE = 'CR405';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'withdrawal % is never deleted', OLD.id USING ERRCODE = 'CR405';
    END IF;
    IF NEW.state <> OLD.state AND (OLD.state, NEW.state) NOT IN (
        ('requested', 'approved'), ('requested', 'rejected'),
        ('approved', 'paid'), ('approved', 'failed')) THEN
        RAISE EXCEPTION 'withdrawal % is %; it cannot become %', OLD.id, OLD.state, NEW.state
            USING ERRCODE = 'CR405';
    END IF;
"""

# The requested destination may change only by being re-sealed under another key (byte 1 of
# a sealed value is its key id): a rotation. A forged value would not open, since the key is
# not in the database.
SEALED_GUARD = (
    r"""
CREATE OR REPLACE FUNCTION withdrawals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
"""
    + _GUARD_CHECKS
    + r"""
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

PLAIN_GUARD = (
    r"""
CREATE OR REPLACE FUNCTION withdrawals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
"""
    + _GUARD_CHECKS
    + r"""
    IF (NEW.id, NEW.player_id, NEW.request_id, NEW.currency, NEW.amount, NEW.destination,
        NEW.requested_at, NEW.request_transaction_id)
       IS DISTINCT FROM
       (OLD.id, OLD.player_id, OLD.request_id, OLD.currency, OLD.amount, OLD.destination,
        OLD.requested_at, OLD.request_transaction_id) THEN
        RAISE EXCEPTION 'withdrawal % cannot change what was requested', OLD.id
            USING ERRCODE = 'CR405';
    END IF;
    RETURN NEW;
END;
$$;
"""
)


def _cipher(rows: int) -> PersonalDataCipher:
    cipher = context.config.attributes.get("personal_data")
    if cipher is None:
        raise RuntimeError(
            f"revision 0013 seals or opens personal data ({rows} rows) and needs the keys: run"
            " `croupier db upgrade` / `croupier db downgrade` with CROUPIER_PII_KEYS and"
            " CROUPIER_PII_INDEX_KEY set (a development install keeps them in its data folder)"
        )
    assert isinstance(cipher, PersonalDataCipher)
    return cipher


def _rows(sql: str) -> list[Any]:
    return list(op.get_bind().execute(text(sql)).all())


def _update(sql: str, params: list[dict[str, Any]]) -> None:
    if params:
        op.get_bind().execute(text(sql), params)


def _sha256(identity: str) -> str | None:
    try:
        return hashlib.sha256(normalize_identity(identity).encode()).hexdigest()
    except InvalidRequest:
        return None


def upgrade() -> None:
    execute_script(
        """
        ALTER TABLE players ADD COLUMN username_sealed bytea, ADD COLUMN username_index bytea;
        ALTER TABLE withdrawals ADD COLUMN destination_sealed bytea;
        ALTER TABLE staff ADD COLUMN totp_sealed bytea;
        """
    )
    players = _rows("SELECT id, telegram_user_id, username FROM players WHERE username IS NOT NULL")
    withdrawals = _rows("SELECT id, player_id, destination FROM withdrawals")
    staff = _rows("SELECT id, totp_secret FROM staff WHERE totp_secret IS NOT NULL")
    if players or withdrawals or staff:
        cipher = _cipher(len(players) + len(withdrawals) + len(staff))
        _update(
            "UPDATE players SET username_sealed = :sealed, username_index = :index WHERE id = :id",
            [
                {
                    "id": r.id,
                    "sealed": cipher.seal(r.username, username_place(r.telegram_user_id)),
                    "index": username_index(cipher, r.username),
                }
                for r in players
            ],
        )
        _update(
            "UPDATE withdrawals SET destination_sealed = :sealed WHERE id = :id",
            [
                {"id": r.id, "sealed": cipher.seal(r.destination, destination_place(r.id))}
                for r in withdrawals
            ],
        )
        _update(
            "UPDATE staff SET totp_sealed = :sealed WHERE id = :id",
            [{"id": r.id, "sealed": cipher.seal(r.totp_secret, totp_place(r.id))} for r in staff],
        )
        _update(
            "UPDATE payment_identities SET hash = :new WHERE kind = 'withdrawal_destination'"
            " AND player_id = :player AND hash = :old",
            [
                {"player": r.player_id, "old": old, "new": identity_digest(cipher, normal)}
                for r in withdrawals
                if (old := _sha256(r.destination)) is not None
                and (normal := normalize_identity(r.destination))
            ],
        )
    execute_script(
        SEALED_GUARD
        + """
        ALTER TABLE players DROP COLUMN username,
            ADD CONSTRAINT ck_players_username_sealed
                CHECK ((username_sealed IS NULL) = (username_index IS NULL));
        CREATE INDEX ix_players_username_index ON players (username_index)
            WHERE username_index IS NOT NULL;
        ALTER TABLE withdrawals DROP COLUMN destination,
            ALTER COLUMN destination_sealed SET NOT NULL;
        ALTER TABLE staff DROP COLUMN totp_secret;
        """
    )


def downgrade() -> None:
    execute_script(
        """
        ALTER TABLE players ADD COLUMN username text;
        ALTER TABLE withdrawals ADD COLUMN destination text;
        ALTER TABLE staff ADD COLUMN totp_secret text;
        """
    )
    players = _rows(
        "SELECT id, telegram_user_id, username_sealed FROM players"
        " WHERE username_sealed IS NOT NULL"
    )
    withdrawals = _rows("SELECT id, player_id, destination_sealed FROM withdrawals")
    staff = _rows("SELECT id, totp_sealed FROM staff WHERE totp_sealed IS NOT NULL")
    if players or withdrawals or staff:
        cipher = _cipher(len(players) + len(withdrawals) + len(staff))
        _update(
            "UPDATE players SET username = :plain WHERE id = :id",
            [
                {
                    "id": r.id,
                    "plain": cipher.open(r.username_sealed, username_place(r.telegram_user_id)),
                }
                for r in players
            ],
        )
        destinations = [
            (r, cipher.open(r.destination_sealed, destination_place(r.id))) for r in withdrawals
        ]
        _update(
            "UPDATE withdrawals SET destination = :plain WHERE id = :id",
            [{"id": r.id, "plain": plain} for r, plain in destinations],
        )
        _update(
            "UPDATE staff SET totp_secret = :plain WHERE id = :id",
            [{"id": r.id, "plain": cipher.open(r.totp_sealed, totp_place(r.id))} for r in staff],
        )
        _update(
            "UPDATE payment_identities SET hash = :old WHERE kind = 'withdrawal_destination'"
            " AND player_id = :player AND hash = :new",
            [
                {"player": r.player_id, "old": old, "new": identity_digest(cipher, normal)}
                for r, plain in destinations
                if (old := _sha256(plain)) is not None and (normal := normalize_identity(plain))
            ],
        )
    execute_script(
        PLAIN_GUARD
        + """
        DROP INDEX ix_players_username_index;
        ALTER TABLE players DROP COLUMN username_sealed, DROP COLUMN username_index;
        ALTER TABLE withdrawals DROP COLUMN destination_sealed,
            ALTER COLUMN destination SET NOT NULL,
            ADD CHECK (length(destination) BETWEEN 1 AND 200);
        ALTER TABLE staff DROP COLUMN totp_sealed;
        """
    )
