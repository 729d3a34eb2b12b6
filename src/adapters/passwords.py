"""Argon2id password hashing (argon2-cffi, the reference implementation's bindings)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, *, fast: bool = False) -> None:
        # `fast` is for tests only: the same algorithm with a tiny cost.
        self._hasher = (
            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1) if fast else PasswordHasher()
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
