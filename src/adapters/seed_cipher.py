"""Server seeds at rest: AES-256-GCM with a key from configuration, never from the database.

The player id is bound in as associated data, so a ciphertext copied onto another player's
row does not decrypt. A version byte leads each ciphertext so the key can be rotated later."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_VERSION = b"\x01"
_NONCE_BYTES = 12


class SeedKeyError(ValueError):
    """The seed encryption key is missing, malformed, or not the one the data was sealed with."""


def development_seed_key(path: Path) -> bytes:
    """The key a development install keeps in its data folder, created on first use with
    owner-only permissions. Production configures its key instead."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    # Written by the line above as hex; a configured key's text forms are parsed by
    # entrypoints.settings.keys.
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError:
        raise SeedKeyError(f"{path} does not hold a hex key") from None
    if len(key) != KEY_BYTES:
        raise SeedKeyError(f"{path}: the key must be {KEY_BYTES} bytes, got {len(key)}")
    return key


class SeedCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise SeedKeyError(f"the seed key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, server_seed: str, player_id: int) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, server_seed.encode("ascii"), _aad(player_id))
        return _VERSION + nonce + sealed

    def open(self, ciphertext: bytes, player_id: int) -> str:
        if ciphertext[:1] != _VERSION:
            raise SeedKeyError("unknown server seed ciphertext version")
        nonce = ciphertext[1 : 1 + _NONCE_BYTES]
        try:
            plain = self._aead.decrypt(nonce, ciphertext[1 + _NONCE_BYTES :], _aad(player_id))
        except InvalidTag:
            raise SeedKeyError(
                "a server seed does not decrypt: wrong CROUPIER_SEED_KEY or tampered data"
            ) from None
        return plain.decode("ascii")


def _aad(player_id: int) -> bytes:
    return f"croupier/seed/{player_id}".encode()


class SecretsSeedSource:
    """Seeds from the operating system's CSPRNG."""

    def server_seed(self) -> str:
        return secrets.token_hex(32)

    def client_seed(self) -> str:
        return secrets.token_hex(8)
