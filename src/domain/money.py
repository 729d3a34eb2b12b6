"""Money: integer minor units and a currency. Floats never touch an amount."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from domain.decimal_text import parse_decimal
from domain.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency
from domain.quoting import excerpt

# Amounts are stored as PostgreSQL BIGINT; anything outside cannot be stored, so it is refused
# at the edge of the domain instead of overflowing deep inside a statement.
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

# The most one operation may move, per currency: a trillion whole units, and never more than
# 10**15 minor units (a billion USDT, a million TON). Without a cap one deposit of the largest
# int64 pushed a house clearing shard, which may go negative, to the 64-bit limit, and every
# later deposit on that shard failed; with it, an account needs over nine thousand of the
# largest postings to get there, and the ledger refuses that one with a clear error.
MAX_SINGLE_WHOLE_UNITS: Final = 10**12
MAX_SINGLE_MINOR_UNITS: Final = 10**15

_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency is data: a code and how many decimal places its minor unit has."""

    code: str
    exponent: int
    name: str = ""

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise UnknownCurrency(
                f"currency code {excerpt(self.code)} must be 2-10 upper-case letters or digits"
            )
        if not 0 <= self.exponent <= 18:
            raise InvalidAmount(f"currency exponent must be 0..18, got {self.exponent}")

    def __str__(self) -> str:
        return self.code

    @property
    def max_single_amount(self) -> int:
        """The most one operation may move in this currency, in minor units."""
        whole: int = MAX_SINGLE_WHOLE_UNITS * 10**self.exponent
        return min(whole, MAX_SINGLE_MINOR_UNITS)


XTR: Final = Currency("XTR", 0, "Telegram Stars")
TON: Final = Currency("TON", 9, "Toncoin")
USDT: Final = Currency("USDT", 6, "Tether USD")
FUN: Final = Currency("FUN", 2, "Play money (demo)")

DEFAULT_CURRENCIES: Final[tuple[Currency, ...]] = (XTR, TON, USDT, FUN)


class CurrencyRegistry:
    """The currencies an installation accepts. Built from data (the database's currency table),
    so adding a currency is a row, not a release."""

    def __init__(self, currencies: Iterable[Currency] = DEFAULT_CURRENCIES) -> None:
        self._by_code = {c.code: c for c in currencies}

    def get(self, code: str) -> Currency:
        try:
            return self._by_code[code]
        except KeyError:
            known = ", ".join(sorted(self._by_code))
            raise UnknownCurrency(f"unknown currency {excerpt(code)}; known: {known}") from None

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Currency]:
        return iter(self._by_code.values())

    def all(self) -> tuple[Currency, ...]:
        return tuple(self._by_code.values())


def check_int64(value: int, what: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(
            f"{what} must be an integer number of minor units, got {excerpt(value)}"
        )
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidAmount(f"{what} {value} is outside the 64-bit range")
    return value


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in minor units of one currency. May be negative (a ledger leg, a net result);
    operations that need a positive amount say so with `require_positive`."""

    amount: int
    currency: Currency

    def __post_init__(self) -> None:
        check_int64(self.amount)

    @classmethod
    def of(cls, amount: int, currency: Currency) -> Money:
        return cls(amount, currency)

    @classmethod
    def positive(cls, amount: int, currency: Currency) -> Money:
        return cls(amount, currency).require_positive()

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: Currency) -> Money:
        """Parse a human decimal ("12.5") into minor units; more decimals than the currency has
        is an error rather than a silent rounding."""
        # Bounded before any arithmetic: "1e999999999" or a million digits would otherwise
        # build a huge integer before check_int64 could refuse it.
        value = parse_decimal(
            text,
            f"a {currency.code} amount",
            places=currency.exponent,
            example="12.5",
            error=InvalidAmount,
            signed=True,
        )
        # Exact rational arithmetic: Decimal's would round at the context's 28 digits.
        return cls(int(Fraction(value) * 10**currency.exponent), currency)

    def require_positive(self) -> Money:
        if self.amount <= 0:
            raise InvalidAmount(f"amount must be positive, got {self.amount} {self.currency}")
        return self

    def require_single(self) -> Money:
        """Refuse an amount larger than one operation may move in its currency."""
        cap = self.currency.max_single_amount
        if abs(self.amount) > cap:
            raise InvalidAmount(
                f"one operation moves at most {Money(cap, self.currency)}, not {self.format()}"
            )
        return self

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency.code} with {other.currency.code}"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-self.currency.exponent)

    def format(self) -> str:
        """Human form with exactly the currency's decimals: '12.50 USDT'."""
        exp = self.currency.exponent
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp) if exp else (abs(self.amount), 0)
        body = f"{whole}.{frac:0{exp}d}" if exp else str(whole)
        return f"{sign}{body} {self.currency.code}"

    def __str__(self) -> str:
        return self.format()
