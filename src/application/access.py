"""Use cases of service API keys: issue, revoke, list, authenticate."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from application.ports import ApiKeyStore, Clock, UnitOfWork
from domain.access import (
    KEY_PREFIX,
    ApiKey,
    KeyNotAllowed,
    hash_secret,
    require_within_daily_cap,
    require_within_free_round_budget,
    split_key,
    validate_caps,
    validate_service_name,
    validate_services,
)
from domain.errors import InvalidRequest, NotFound
from domain.money import Money
from domain.quoting import excerpt


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    plaintext: str  # shown once; only its hash is stored


class IssueApiKey:
    """A new key for a calling service, limited to the services it may call, to the amount
    one call may bring into a wallet (`caps`, per currency), and optionally to a lifetime."""

    def __init__(self, store: ApiKeyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def __call__(
        self,
        name: str,
        services: frozenset[str],
        *,
        caps: Mapping[str, int] | None = None,
        daily_caps: Mapping[str, int] | None = None,
        free_round_budget: Mapping[str, int] | None = None,
        expires_at: datetime | None = None,
    ) -> IssuedKey:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = self._clock.now()
        if expires_at is not None and expires_at <= now:
            raise InvalidRequest("a key's expiry must be in the future")
        key = ApiKey(
            key_id=key_id,
            name=validate_service_name(name),
            secret_hash=hash_secret(secret),
            services=validate_services(services),
            created_at=now,
            expires_at=expires_at,
            caps=validate_caps(caps or {}),
            daily_caps=validate_caps(daily_caps or {}),
            free_round_budget=validate_caps(free_round_budget or {}),
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
    """The key a presented secret belongs to, or None (unknown, malformed, revoked, expired).
    The hashes are compared in constant time, so timing does not reveal how much matched."""

    def __init__(self, store: ApiKeyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def __call__(self, presented: str) -> ApiKey | None:
        parts = split_key(presented)
        if parts is None:
            return None
        key_id, secret = parts
        key = await self._store.find(key_id)
        if key is None or not key.accepts(secret, self._clock.now()):
            return None
        return key


async def count_against_daily_cap(
    uow: UnitOfWork, key: ApiKey, amount: Money, now: datetime
) -> None:
    """Count money a key brings into a wallet against its daily cap, in the unit of work that
    moves it: over the cap is `KeyNotAllowed`, and the caller's rollback undoes the count with
    the money. Counted only where a daily cap is set (nothing to bound elsewhere)."""
    if amount.amount == 0 or amount.currency.code not in key.daily_caps:
        return
    day = now.astimezone(UTC).date()
    total = await uow.key_usage.add(key.name, amount.currency.code, day, amount.amount)
    require_within_daily_cap(key, amount.currency, total)


async def count_against_free_round_budget(
    uow: UnitOfWork, key: ApiKey | None, amount: Money, now: datetime
) -> None:
    """Count a free round's pay against its key's budget for the currency and UTC day, in the
    unit of work that pays it (`KeyNotAllowed` past it, or without a key or a budget)."""
    if key is None:
        raise KeyNotAllowed("a free round is paid only to a provider's key with a budget")
    day = now.astimezone(UTC).date()
    total = await uow.key_usage.add(key.name, f"free:{amount.currency.code}", day, amount.amount)
    require_within_free_round_budget(key, amount.currency, total)
