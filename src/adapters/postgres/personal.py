"""Where each piece of personal data sits, as the sealing binds it: a sealed value opens only
in its own column and row. Shared by the repositories and the migration that sealed the data."""

from __future__ import annotations

from typing import Any

from adapters.personal_data import PersonalDataCipher


def username_place(telegram_user_id: int) -> str:
    # The Telegram id, not the row id: it is known before the row is inserted.
    return f"players.username/{telegram_user_id}"


def open_username(cipher: PersonalDataCipher, row: Any) -> str | None:
    """The username of a players row read with `username_sealed` and `telegram_user_id`."""
    if row.username_sealed is None:
        return None
    return cipher.open(row.username_sealed, username_place(row.telegram_user_id))


def username_index(cipher: PersonalDataCipher, username: str) -> bytes:
    """Usernames are found by staff in any case, so the index is of the case-folded name."""
    return cipher.index(username.removeprefix("@").casefold(), "players.username")


def destination_place(withdrawal_id: object) -> str:
    return f"withdrawals.destination/{withdrawal_id}"


def totp_place(staff_id: int) -> str:
    return f"staff.totp_secret/{staff_id}"


def identity_digest(cipher: PersonalDataCipher, normalized_identity: str) -> str:
    """What `payment_identities.hash` holds: a keyed digest, so a low-entropy identity (a phone
    number, a card's digits) cannot be recovered from a copy of the table by guessing."""
    return cipher.index(normalized_identity, "payment_identity").hex()
