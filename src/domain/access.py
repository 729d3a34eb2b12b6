"""API keys of internal services: who may call which service.

A key reads `crp_<key id>_<secret>`. Only the SHA-256 of the secret is stored; the key id
finds the record and the hashes are compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from domain.errors import Forbidden, InvalidRequest
from domain.money import Currency, Money

KEY_PREFIX = "crp"
# What a key may be granted: one name per gRPC service (entrypoints.grpc.auth maps them), and
# the same list in the api_keys table's check (migration 0018). "dice" is a scope of its own
# (settling a Telegram dice bet on a value the caller submits): a betting key alone may place
# bets but not tell us what the dice showed. "register" (migration 0024) is making players
# (PlayersService.EnsurePlayer): a key that records terms for players need not create them.
SERVICES = frozenset({"wallet", "betting", "seamless", "players", "dice", "register"})
# The scopes that open one method rather than a whole service.
METHOD_SCOPES = frozenset({"dice", "register"})
_KEY = re.compile(r"^crp_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class KeyNotAllowed(Forbidden):
    """The calling service's key may not do this: over its cap, or outside its scopes."""

    code = "key_not_allowed"


class NoServiceKey(KeyNotAllowed):
    """The caller has no active key granted the service (an aggregator whose key was revoked)."""


def split_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    match = _KEY.match(presented.strip())
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("ascii")).digest()


def validate_service_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidRequest("a service name is 2-63 lower-case letters, digits, '.', '_' or '-'")
    return name


def validate_services(services: frozenset[str]) -> frozenset[str]:
    unknown = services - SERVICES
    if not services or unknown:
        raise InvalidRequest(
            f"grant one or more of {', '.join(sorted(SERVICES))}"
            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
        )
    return services


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    name: str  # the calling service, e.g. "slots-provider"; also the seamless provider id
    secret_hash: bytes
    services: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None  # None: until revoked
    # The largest amount (minor units) one call of this key may bring into a player's wallet,
    # per currency code: a deposit (wallet) or a seamless credit. A currency without a cap
    # is refused, so a stolen key's worth is bounded by what its operator wrote down.
    caps: Mapping[str, int] = field(default_factory=dict)
    # The most such calls of this key may bring in per currency and UTC day, in minor units; a
    # currency without one has no daily bound beyond its per-call cap.
    daily_caps: Mapping[str, int] = field(default_factory=dict)
    # What free rounds (credits without a stake) of this key may pay per currency and UTC day;
    # a currency without a budget pays no free round.
    free_round_budget: Mapping[str, int] = field(default_factory=dict)

    def accepts(self, secret: str, now: datetime) -> bool:
        return (
            self.revoked_at is None
            and (self.expires_at is None or now < self.expires_at)
            and hmac.compare_digest(hash_secret(secret), self.secret_hash)
        )

    def require_within_cap(self, amount: Money) -> None:
        """`KeyNotAllowed` when this key may not move `amount` in one call."""
        cap = self.caps.get(amount.currency.code)
        if cap is None:
            raise KeyNotAllowed(f"key {self.name!r} has no cap in {amount.currency.code}")
        if amount.amount > cap:
            raise KeyNotAllowed(
                f"key {self.name!r} may move at most {Money(cap, amount.currency)} a call"
            )

    def may_call(self, service: str) -> bool:
        return service in self.services


def require_within_daily_cap(key: ApiKey, currency: Currency, day_total: int) -> None:
    """`KeyNotAllowed` when the key's day total in `currency` (this call included) passes its
    daily cap."""
    cap = key.daily_caps.get(currency.code)
    if cap is not None and day_total > cap:
        raise KeyNotAllowed(
            f"key {key.name!r} may bring in at most {Money(cap, currency)} a day (UTC)"
        )


def require_within_free_round_budget(key: ApiKey, currency: Currency, day_total: int) -> None:
    budget = key.free_round_budget.get(currency.code)
    if budget is None:
        raise KeyNotAllowed(f"key {key.name!r} has no free-round budget in {currency.code}")
    if day_total > budget:
        raise KeyNotAllowed(
            f"key {key.name!r} may pay at most {Money(budget, currency)} of free rounds a day (UTC)"
        )


def validate_caps(caps: Mapping[str, int]) -> Mapping[str, int]:
    for code, cap in caps.items():
        if not re.fullmatch(r"[A-Z0-9]{2,10}", code) or not 0 < cap < 2**62:
            raise InvalidRequest(f"a cap is CURRENCY=positive minor units, got {code}={cap}")
    return dict(caps)
