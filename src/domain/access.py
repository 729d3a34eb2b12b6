"""API keys of internal services: who may call which service.

A key reads `crp_<key id>_<secret>`. Only the SHA-256 of the secret is stored; the key id
finds the record and the hashes are compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidRequest

KEY_PREFIX = "crp"
# What a key may be granted: one name per gRPC service (entrypoints.grpc.auth maps them), and
# the same list in the api_keys table's check (migration 0015).
SERVICES = frozenset({"wallet", "betting", "seamless", "players"})
_KEY = re.compile(r"^crp_([0-9a-f]{12})_([A-Za-z0-9_-]{32,128})$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


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

    def accepts(self, secret: str) -> bool:
        return self.revoked_at is None and hmac.compare_digest(
            hash_secret(secret), self.secret_hash
        )

    def may_call(self, service: str) -> bool:
        return service in self.services
