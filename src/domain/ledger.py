"""The double-entry journal: a transaction is two or more legs that sum to zero per currency."""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from domain.accounts import AccountKind
from domain.errors import InvalidRequest, InvalidTransaction, UnbalancedTransaction
from domain.money import Currency, Money, check_int64
from domain.quoting import excerpt

MetadataValue = str | int | bool | None

MAX_IDEMPOTENCY_KEY_LENGTH = 200
MAX_REFERENCE_LENGTH = 200


class TransactionKind(enum.StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    BET = "bet"
    WIN = "win"
    LOSS = "loss"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    DEBIT = "debit"
    # Promotions (docs/bonuses.md): money the house gives (a bonus into a bonus account;
    # rakeback, referral commission or a daily play-money bonus into a wallet), a bonus turned
    # into cash once wagered, a bonus taken back (expired, given up, forfeited at a withdrawal).
    GRANT = "grant"
    CONVERSION = "conversion"
    FORFEIT = "forfeit"


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a transaction: a signed, non-zero movement on one account."""

    account_id: int
    amount: Money

    def __post_init__(self) -> None:
        if self.amount.amount == 0:
            raise InvalidTransaction(f"a leg on account {self.account_id} moves nothing")
        # Every posting is built of legs, so this one check caps every door's amounts.
        self.amount.require_single()

    @property
    def currency(self) -> Currency:
        return self.amount.currency


def validate_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise InvalidRequest("an idempotency key is required")
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidRequest(
            f"idempotency key is {len(key)} characters; at most {MAX_IDEMPOTENCY_KEY_LENGTH}"
        )
    return key


# What a metadata value may be (a tuple built once: a `str | int | ...` union is a new object
# each time it is written, and this is checked for every transaction).
_SCALARS = (str, int, bool, type(None))


# The fingerprint's text is `json.dumps(body, sort_keys=True, separators=(",", ":"))` (ASCII
# only: non-ASCII characters escaped), stored with every transaction, so it never changes.
# `_canonical_text` writes that very text by hand, a bet's every fingerprint: the encoder's
# walk of the dict (type checks, key sorting, a list per level) was ~3 of a fingerprint's
# ~5 µs. Its strings go through the encoder's own C quoting function; anything else than the
# types a transaction holds is left to the encoder. Hypothesis pins the two equal
# (tests/unit/test_ledger.py).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_quote = json.encoder.encode_basestring_ascii
_SCALAR_TEXT: dict[object, str] = {True: "true", False: "false", None: "null"}


def _scalar_text(value: MetadataValue) -> str:
    if value is None or value is True or value is False:
        return _SCALAR_TEXT[value]
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return _quote(value)
    return _CANONICAL.encode(value)  # a str or int subclass: the encoder's own reading


def _canonical_text(
    kind: str,
    legs: list[tuple[int, str, int]],
    reference: str,
    metadata: Mapping[str, MetadataValue],
) -> str:
    """`_CANONICAL.encode({"kind": ..., "legs": ..., "metadata": ..., "reference": ...})`."""
    leg_texts = []
    for account_id, code, amount in legs:
        if type(account_id) is not int or type(amount) is not int or type(code) is not str:
            return _CANONICAL.encode(
                {"kind": kind, "legs": legs, "metadata": dict(metadata), "reference": reference}
            )
        leg_texts.append(f"[{account_id},{_quote(code)},{amount}]")
    pairs = []
    for key in sorted(metadata):
        pairs.append(f"{_quote(key)}:{_scalar_text(metadata[key])}")
    return (
        f'{{"kind":{_quote(kind)},"legs":[{",".join(leg_texts)}],'
        f'"metadata":{{{",".join(pairs)}}},"reference":{_quote(reference)}}}'
    )


@dataclass(frozen=True, slots=True)
class Transaction:
    """An immutable, balanced journal entry. Constructing an unbalanced one raises."""

    id: uuid.UUID
    kind: TransactionKind
    idempotency_key: str
    legs: tuple[Leg, ...]
    created_at: datetime
    reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_idempotency_key(self.idempotency_key)
        if len(self.reference) > MAX_REFERENCE_LENGTH:
            raise InvalidRequest(f"reference is longer than {MAX_REFERENCE_LENGTH} characters")
        legs = tuple(self.legs)
        if len(legs) < 2:
            raise UnbalancedTransaction("a transaction needs at least two legs")
        seen: set[int] = set()
        for leg in legs:
            if leg.account_id in seen:
                raise InvalidTransaction(
                    f"account {leg.account_id} appears twice; merge its legs into one"
                )
            seen.add(leg.account_id)
        for currency, total in sums_by_currency(legs).items():
            if total != 0:
                raise UnbalancedTransaction(
                    f"legs in {currency.code} sum to {total}, not zero; a transaction must balance"
                )
        if self.created_at.tzinfo is None:
            raise InvalidTransaction("created_at must be timezone-aware")
        for k, v in self.metadata.items():
            if not isinstance(k, str) or not isinstance(v, _SCALARS):
                raise InvalidTransaction(f"metadata {excerpt(k)} must map a string to a scalar")
            if isinstance(v, int) and not isinstance(v, bool):
                check_int64(v, f"metadata {excerpt(k)}")
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    def fingerprint(self) -> bytes:
        """What the operation *is*, independent of when it ran or what id it got: two requests
        under one idempotency key are the same request exactly when their fingerprints match."""
        text = _canonical_text(
            self.kind.value,
            sorted((leg.account_id, leg.currency.code, leg.amount.amount) for leg in self.legs),
            self.reference,
            self.metadata,
        )
        return hashlib.sha256(text.encode()).digest()

    def leg_for(self, account_id: int) -> Leg:
        for leg in self.legs:
            if leg.account_id == account_id:
                return leg
        raise KeyError(account_id)


def sums_by_currency(legs: Iterable[Leg]) -> dict[Currency, int]:
    # A plain dict, filled as it goes (a defaultdict copied into one was twice the work, and
    # this runs for every transaction built).
    totals: dict[Currency, int] = {}
    for leg in legs:
        amount = leg.amount
        totals[amount.currency] = totals.get(amount.currency, 0) + amount.amount
    return totals


def transfer_legs(source_account_id: int, target_account_id: int, amount: Money) -> tuple[Leg, Leg]:
    """The two legs of moving a positive amount from one account to another."""
    amount.require_positive()
    if source_account_id == target_account_id:
        raise InvalidTransaction("source and target account are the same")
    return (Leg(source_account_id, -amount), Leg(target_account_id, amount))


@dataclass(frozen=True, slots=True)
class PostedLeg:
    """One leg as recorded, with whose account it moved (`account_kind`, and `player_id` for a
    player's wallet): what its `TransactionPosted` event tells each player."""

    account_id: int
    amount: Money
    balance_after: int
    account_kind: AccountKind
    player_id: int | None


@dataclass(frozen=True, slots=True)
class PostedTransaction:
    """What the ledger recorded. `replayed` is true when an earlier request with the same
    idempotency key and content had already recorded it, and nothing moved this time."""

    id: uuid.UUID
    kind: TransactionKind
    idempotency_key: str
    legs: tuple[PostedLeg, ...]
    created_at: datetime
    reference: str
    metadata: Mapping[str, MetadataValue]
    replayed: bool = False

    def leg_for(self, account_id: int) -> PostedLeg:
        for leg in self.legs:
            if leg.account_id == account_id:
                return leg
        raise KeyError(account_id)
