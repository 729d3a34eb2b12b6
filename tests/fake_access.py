"""In-memory fakes of the service API keys' store and of the accepted currencies' catalog.
The tables, their unique indexes and the doors that use them are tested on PostgreSQL
(tests/entrypoints/test_grpc.py, test_cli.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from application.ports import Clock
from domain.access import ApiKey
from domain.errors import InvalidRequest
from domain.money import Currency


class FakeApiKeys:
    """Keys by key id; one active key per name, as the partial unique index keeps it."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}

    async def add(self, key: ApiKey) -> None:
        if any(k.name == key.name and k.revoked_at is None for k in self.keys.values()):
            raise InvalidRequest(f"an active API key named {key.name!r} exists")
        self.keys[key.key_id] = key

    async def find(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    async def find_active(self, name: str) -> ApiKey | None:
        return next(
            (k for k in self.keys.values() if k.name == name and k.revoked_at is None), None
        )

    async def revoke(self, name: str, clock: Clock) -> bool:
        for key in self.keys.values():
            if key.name == name and key.revoked_at is None:
                self.keys[key.key_id] = replace(key, revoked_at=clock.now())
                return True
        return False

    async def all(self) -> Sequence[ApiKey]:
        return sorted(self.keys.values(), key=lambda k: (k.name, k.created_at))  # as the SQL


class FakeKeyUsage:
    """Day totals per (key name, currency, day), in the fake unit of work's state."""

    def __init__(self, totals: dict[tuple[str, str, date], int]) -> None:
        self.totals = totals

    async def add(self, key_name: str, currency: str, day: date, amount: int) -> int:
        slot = (key_name, currency, day)
        self.totals[slot] = self.totals.get(slot, 0) + amount
        return self.totals[slot]


class FakeCurrencies:
    def __init__(self, *currencies: Currency) -> None:
        self.currencies = {c.code: c for c in currencies}

    async def all(self) -> Sequence[Currency]:
        return sorted(self.currencies.values(), key=lambda c: c.code)

    async def add(self, currency: Currency) -> bool:
        known = self.currencies.get(currency.code)
        if known is not None:
            if known.exponent != currency.exponent:
                raise InvalidRequest(f"{currency.code} exists with another exponent")
            return False
        self.currencies[currency.code] = currency
        return True


class FakePersonalDataRotation:
    """Columns holding values under older keys; a rotation re-seals them all."""

    def __init__(self, stale: Mapping[str, int]) -> None:
        self.stale = dict(stale)

    async def stale_counts(self) -> Mapping[str, int]:
        return dict(self.stale)

    async def rotate(self) -> Mapping[str, int]:
        done, self.stale = self.stale, dict.fromkeys(self.stale, 0)
        return done
