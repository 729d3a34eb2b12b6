"""Answers kept by a door's own request id: an HTTP wallet dialect (Hub88's) names every call
with a `request_uuid` and expects a repeat of it to get the very answer the first one got, not
one rebuilt later (docs/aggregators.md, "Repeated requests").

The first answer of a money call is kept with a hash of the request's canonical body; a
repeat with the same body gets the kept bytes, the same request id with another body is
refused. The money itself is idempotent on the provider's transaction ids
(`domain.seamless`); this is the layer above it that makes the *answer* a repeat's too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from domain.errors import IdempotencyConflict, InvalidRequest
from domain.seamless import validate_external_id, validate_provider

BODY_HASH_SIZE: Final = 32  # SHA-256
# An answer is a few hundred bytes of JSON (user, request id, status, currency, balance).
MAX_ANSWER_SIZE: Final = 4096


class RequestReused(IdempotencyConflict):
    """A request id already answered for another body: nothing is done, nothing is kept."""


@dataclass(frozen=True, slots=True)
class KeptAnswer:
    """The first answer a door gave to one request id of one caller (the aggregator)."""

    door: str  # the caller's name: the aggregator, as its service key is named
    request_id: str
    body_hash: bytes  # SHA-256 of the request's canonical body
    answer: bytes  # the answer's body as it was sent (it is signed again, identically)
    created_at: datetime

    def __post_init__(self) -> None:
        validate_provider(self.door)
        validate_request_id(self.request_id)
        if len(self.body_hash) != BODY_HASH_SIZE:
            raise InvalidRequest(f"a body hash is {BODY_HASH_SIZE} bytes")
        if not 0 < len(self.answer) <= MAX_ANSWER_SIZE:
            raise InvalidRequest(f"a kept answer is 1-{MAX_ANSWER_SIZE} bytes")

    def answer_to(self, body_hash: bytes) -> bytes:
        """The kept answer, for a repeat of the same body; `RequestReused` for another."""
        if body_hash != self.body_hash:
            raise RequestReused(
                f"request {self.request_id} of {self.door} was already answered for another "
                "body; nothing was done"
            )
        return self.answer


def validate_request_id(request_id: str) -> str:
    return validate_external_id(request_id, "request id")
