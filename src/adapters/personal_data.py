"""Players' personal data at rest: sealed with AES-256-GCM under a rotatable key ring, looked
up through keyed blind indexes.

What is sealed: players' usernames, withdrawal destinations and staff TOTP secrets. A dump of
the database, a replica or a backup then holds no readable personal data; the keys live in
configuration only.

A sealed value is ``format byte | key id | nonce | ciphertext+tag``. The key id says which
key of the ring sealed it, so a new key can be put first (it seals from then on) while older
ones still open what they sealed, and `croupier pii rotate` re-seals the rest. The value's
place (table, column, row) is bound in as associated data together with the key id, so a
sealed value copied onto another row, or relabelled with another key id, does not open.

Values that must be found by equality (a username typed by staff, a payment identity shared
by two players) are also stored as an HMAC-SHA256 under a separate index key: equal inputs give
equal digests, nobody without the key can test a guess against them."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_FORMAT = 1
_NONCE_BYTES = 12
_HEADER = 2 + _NONCE_BYTES


class PersonalDataKeyError(ValueError):
    """A personal-data key is missing or malformed, or a sealed value does not open with the
    configured keys (wrong keys, a retired key still in use, or tampered data)."""


def development_keys(folder: Path) -> tuple[str, str]:
    """The key ring and index key a development install keeps in its data folder, created on
    first use with owner-only permissions, as text (entrypoints.settings.keys parses it, as it
    does the configured keys). Production configures its own."""
    ring = _owner_only(folder / "personal.keys", lambda: f"1:{secrets.token_hex(KEY_BYTES)}")
    index = _owner_only(folder / "personal-index.key", lambda: secrets.token_hex(KEY_BYTES))
    return ring, index


def _owner_only(path: Path, make: Callable[[], str]) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make() + "\n")
    return path.read_text().strip()


class PersonalDataCipher:
    def __init__(self, current: int, ring: Mapping[int, bytes], index_key: bytes) -> None:
        if current not in ring:
            raise PersonalDataKeyError(f"the sealing key {current} is not in the ring")
        if any(len(key) != KEY_BYTES for key in ring.values()) or len(index_key) != KEY_BYTES:
            raise PersonalDataKeyError(f"personal-data keys must be {KEY_BYTES} bytes")
        self.current = current
        self._aeads = {key_id: AESGCM(key) for key_id, key in ring.items()}
        self._index_key = index_key

    @classmethod
    def generated(cls) -> PersonalDataCipher:
        """Fresh random keys, for tests and throwaway databases."""
        return cls(1, {1: secrets.token_bytes(KEY_BYTES)}, secrets.token_bytes(KEY_BYTES))

    def seal(self, plain: str, place: str) -> bytes:
        """Seal `plain` for `place` ("players.username/<telegram id>", ...)."""
        header = bytes((_FORMAT, self.current))
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aeads[self.current].encrypt(nonce, plain.encode(), _aad(header, place))
        return header + nonce + sealed

    def open(self, sealed: bytes, place: str) -> str:
        sealed = bytes(sealed)
        if len(sealed) < _HEADER or sealed[0] != _FORMAT:
            raise PersonalDataKeyError(f"{place}: not a sealed value")
        aead = self._aeads.get(sealed[1])
        if aead is None:
            raise PersonalDataKeyError(
                f"{place}: sealed with key {sealed[1]}, which is not in CROUPIER_PII_KEYS"
            )
        try:
            plain = aead.decrypt(sealed[2:_HEADER], sealed[_HEADER:], _aad(sealed[:2], place))
        except InvalidTag:
            raise PersonalDataKeyError(
                f"{place}: does not open: wrong CROUPIER_PII_KEYS or tampered data"
            ) from None
        return plain.decode()

    def is_current(self, sealed: bytes) -> bool:
        """Whether `sealed` is under the sealing key (rotation leaves those alone)."""
        return len(sealed) >= 2 and sealed[1] == self.current

    def index(self, value: str, purpose: str) -> bytes:
        """The blind index of `value` for `purpose` (equal inputs, equal digests)."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._index_key, message, hashlib.sha256).digest()


def _aad(header: bytes, place: str) -> bytes:
    return b"croupier/pii/" + header + place.encode()
