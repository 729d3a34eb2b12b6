"""Use cases of service API keys: issue, revoke, list, authenticate."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

# Moved to application.ports (a port and its values); named here too, for the modules that
# still import them from here.
from application.ports import ApiKeyStore as ApiKeyStore
from application.ports import Clock
from domain.access import (
    KEY_PREFIX,
    ApiKey,
    hash_secret,
    split_key,
    validate_service_name,
    validate_services,
)
from domain.errors import NotFound
from domain.quoting import excerpt


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    plaintext: str  # shown once; only its hash is stored


class IssueApiKey:
    """A new key for a calling service, limited to the services it may call."""

    def __init__(self, store: ApiKeyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def __call__(self, name: str, services: frozenset[str]) -> IssuedKey:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = ApiKey(
            key_id=key_id,
            name=validate_service_name(name),
            secret_hash=hash_secret(secret),
            services=validate_services(services),
            created_at=self._clock.now(),
        )
        await self._store.add(key)
        return IssuedKey(key, f"{KEY_PREFIX}_{key_id}_{secret}")


class RevokeApiKey:
    def __init__(self, store: ApiKeyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def __call__(self, name: str) -> None:
        if not await self._store.revoke(name, self._clock):
            raise NotFound(f"no active API key named {excerpt(name)}")


class ListApiKeys:
    """Every key, active or revoked, in the store's order (by name): names, services and
    state; there are no secrets to show, only their hashes are kept."""

    def __init__(self, store: ApiKeyStore) -> None:
        self._store = store

    async def __call__(self) -> Sequence[ApiKey]:
        return await self._store.all()


class Authenticate:
    """The key a presented secret belongs to, or None (unknown, malformed, revoked). The
    hashes are compared in constant time, so timing does not reveal how much matched."""

    def __init__(self, store: ApiKeyStore) -> None:
        self._store = store

    async def __call__(self, presented: str) -> ApiKey | None:
        parts = split_key(presented)
        if parts is None:
            return None
        key_id, secret = parts
        key = await self._store.find(key_id)
        if key is None or not key.accepts(secret):
            return None
        return key
