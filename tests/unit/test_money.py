from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import CurrencyMismatch, InvalidAmount, UnknownCurrency
from domain.money import (
    DEFAULT_CURRENCIES,
    FUN,
    INT64_MAX,
    INT64_MIN,
    TON,
    USDT,
    XTR,
    Currency,
    CurrencyRegistry,
    Money,
)


def test_shipped_currencies_have_their_exponents():
    assert {(c.code, c.exponent) for c in DEFAULT_CURRENCIES} == {
        ("XTR", 0),
        ("TON", 9),
        ("USDT", 6),
        ("FUN", 2),
    }


def test_adding_a_currency_is_data():
    registry = CurrencyRegistry([*DEFAULT_CURRENCIES, Currency("EUR", 2, "Euro")])
    assert registry.get("EUR").exponent == 2
    assert "EUR" in registry


def test_unknown_currency_names_the_known_ones():
    with pytest.raises(UnknownCurrency, match="known: FUN, TON, USDT, XTR"):
        CurrencyRegistry().get("BTC")


@pytest.mark.parametrize("code", ["", "x", "usd", "TOOLONGCODE1", "U$D"])
def test_bad_currency_codes_are_refused(code):
    with pytest.raises(UnknownCurrency):
        Currency(code, 2)


def test_mixing_currencies_is_an_error_with_both_codes():
    with pytest.raises(CurrencyMismatch, match="XTR with TON"):
        Money(1, XTR) + Money(1, TON)
    with pytest.raises(CurrencyMismatch):
        _ = Money(1, XTR) < Money(2, USDT)


@pytest.mark.parametrize("amount", [0, -1])
def test_positive_amount_required(amount):
    with pytest.raises(InvalidAmount, match="must be positive"):
        Money.positive(amount, XTR)


@pytest.mark.parametrize("amount", [INT64_MAX + 1, INT64_MIN - 1, 10**30])
def test_amounts_beyond_64_bits_are_refused(amount):
    with pytest.raises(InvalidAmount, match="64-bit"):
        Money(amount, XTR)


def test_overflowing_addition_is_refused():
    with pytest.raises(InvalidAmount, match="64-bit"):
        Money(INT64_MAX, XTR) + Money(1, XTR)


@pytest.mark.parametrize("amount", [1.5, "10", True, Decimal(1)])
def test_non_integer_amounts_are_refused(amount):
    with pytest.raises(InvalidAmount, match="integer"):
        Money(amount, XTR)


def test_parse_and_format_round_trip_respects_exponent():
    assert Money.parse("12.5", USDT) == Money(12_500_000, USDT)
    assert Money.parse("12.5", USDT).format() == "12.500000 USDT"
    assert Money.parse("3", XTR).format() == "3 XTR"
    assert Money(-5, FUN).format() == "-0.05 FUN"
    with pytest.raises(InvalidAmount, match="at most 2 decimals"):
        Money.parse("0.001", FUN)
    with pytest.raises(InvalidAmount):
        Money.parse("abc", FUN)
    with pytest.raises(InvalidAmount):
        Money.parse("NaN", FUN)


@given(
    st.integers(min_value=INT64_MIN // 2, max_value=INT64_MAX // 2),
    st.integers(min_value=INT64_MIN // 2, max_value=INT64_MAX // 2),
)
def test_addition_is_exact(a, b):
    assert (Money(a, TON) + Money(b, TON)).amount == a + b
    assert (Money(a, TON) - Money(a, TON)).is_zero()


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_then_parse_is_identity(amount):
    money = Money(amount, TON)
    assert Money.parse(money.format().split()[0], TON) == money
