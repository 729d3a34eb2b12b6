"""Staff passwords hashed at a test's cost in the suite's HTTP containers.

Production's Argon2id costs about 0.17 s of CPU per hash or verification on purpose. The
suite's staff logins paid it three times each (the `staff` fixture's hash, the login's
verification, and the dummy hash every new container's login makes once), about 0.5 s of CPU
per HTTP test that logs in, on a CI of two cores. `Argon2Hasher(fast=True)` is the same
algorithm and code path (worker threads, verification against the parameters stored in the
hash) at a tiny cost. What the cost itself is for, hashing off the event loop under a burst of
logins, is tested with the production parameters in tests/integration/test_staff_login.py, and
tests/entrypoints/test_containers.py resolves the production provider in every container."""

from __future__ import annotations

from collections.abc import Iterator

from dishka import Provider, Scope, provide

from adapters.passwords import Argon2Hasher
from application.ports import PasswordHasher


class FastPasswordHashing(Provider):
    """Give to `make_http_container` (as an `extra`) in a test's container."""

    @provide(scope=Scope.APP, override=True)
    def password_hasher(self) -> Iterator[PasswordHasher]:
        hasher = Argon2Hasher(fast=True, workers=2)
        yield hasher
        hasher.close()
