"""In-memory fakes of the ports only the operator's commands use (`croupier currency`,
`apikey`, `pii`, the bankroll's balance): the currency catalogue, the API key store, the
personal data's rotation, and a unit of work that only reads house balances."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from types import TracebackType

from application.ports import Clock
from domain.access import ApiKey
from domain.accounts import AccountKind
from domain.errors import InvalidRequest
from domain.money import Currency


class FakeCurrencyCatalog:
    def __init__(self, *currencies: Currency) -> None:
        self.currencies = {c.code: c for c in currencies}

    async def all(self) -> Sequence[Currency]:
        return [self.currencies[code] for code in sorted(self.currencies)]

    async def add(self, currency: Currency) -> bool:
        existing = self.currencies.get(currency.code)
        if existing is None:
            self.currencies[currency.code] = currency
            return True
        if existing.exponent != currency.exponent:
            raise InvalidRequest(f"{currency.code} exists with exponent {existing.exponent}")
        return False


class FakeApiKeyStore:
    def __init__(self) -> None:
        self.keys: list[ApiKey] = []

    async def add(self, key: ApiKey) -> None:
        if any(k.name == key.name and k.revoked_at is None for k in self.keys):
            raise InvalidRequest(f"an active key is named {key.name!r}")
        self.keys.append(key)

    async def find(self, key_id: str) -> ApiKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    async def revoke(self, name: str, clock: Clock) -> bool:
        for i, k in enumerate(self.keys):
            if k.name == name and k.revoked_at is None:
                self.keys[i] = dataclasses.replace(k, revoked_at=clock.now())
                return True
        return False

    async def all(self) -> Sequence[ApiKey]:
        return sorted(self.keys, key=lambda k: (k.name, k.created_at))


class FakePersonalDataRotation:
    """Columns holding values under older keys; a rotation re-seals them all."""

    def __init__(self, stale: Mapping[str, int]) -> None:
        self.stale = dict(stale)

    async def stale_counts(self) -> Mapping[str, int]:
        return dict(self.stale)

    async def rotate(self) -> Mapping[str, int]:
        done, self.stale = self.stale, dict.fromkeys(self.stale, 0)
        return done


class FakeHouseBalances:
    """A unit-of-work factory whose units only read house balances (summed over shards)."""

    def __init__(self, balances: Mapping[tuple[AccountKind, str], int]) -> None:
        self.balances = dict(balances)

    def __call__(self) -> FakeHouseBalances:
        return self

    async def __aenter__(self) -> FakeHouseBalances:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    @property
    def accounts(self) -> FakeHouseBalances:
        return self

    async def house_balance(self, kind: AccountKind, currency: Currency) -> int:
        return self.balances.get((kind, currency.code), 0)
