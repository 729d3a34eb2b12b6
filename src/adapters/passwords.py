"""Argon2id password hashing (argon2-cffi, the reference implementation's bindings), run in a
small pool of worker threads.

A hash takes tens of milliseconds of CPU on purpose; on the event loop, sixteen logins at once
stalled every other request for seconds. argon2-cffi releases the GIL while it hashes, so the
workers really run beside the loop; their number bounds how many hashes run at once (the
others queue), so a burst of logins cannot take every core either."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, *, fast: bool = False, workers: int = 2) -> None:
        # `fast` is for tests only: the same algorithm with a tiny cost.
        self._hasher = (
            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1) if fast else PasswordHasher()
        )
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self.worker_threads: set[int] = set()  # who hashed: the tests check it is not the loop

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._verify, password_hash, password
        )

    def _hash(self, password: str) -> str:
        self.worker_threads.add(threading.get_ident())
        return self._hasher.hash(password)

    def _verify(self, password_hash: str, password: str) -> bool:
        self.worker_threads.add(threading.get_ident())
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
