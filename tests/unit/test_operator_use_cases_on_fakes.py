"""The use cases behind the operator's commands (`croupier currency`, `apikey list`, `pii`,
the bankroll's balance after `bankroll fund`) on in-memory fakes (tests/fake_access.py,
tests/fakes.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.access import IssueApiKey, ListApiKeys, RevokeApiKey
from application.bankroll import FundBankroll, FundBankrollCommand
from application.bankroll_balance import GetBankrollBalance
from application.currencies import AddCurrency, CurrencyAdded, ListCurrencies
from application.house import HouseBook
from application.personal_data_rotation import CountStaleSeals, ResealPersonalData
from domain.errors import InvalidRequest, UnknownCurrency
from domain.money import TON, XTR, Currency, Money
from tests.fake_access import FakeApiKeys, FakeCurrencies, FakePersonalDataRotation
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


async def test_a_currency_is_added_once_and_listed_by_code():
    catalog = FakeCurrencies(XTR)
    added = await AddCurrency(catalog)("ton", 9, "Toncoin")
    assert added == CurrencyAdded(Currency("TON", 9, "Toncoin"), True)
    again = await AddCurrency(catalog)("TON", 9)
    assert not again.added
    assert [c.code for c in await ListCurrencies(catalog)()] == ["TON", "XTR"]


async def test_a_currency_is_refused_with_a_bad_code_or_another_exponent():
    catalog = FakeCurrencies(TON)
    with pytest.raises(UnknownCurrency):
        await AddCurrency(catalog)("T", 2)
    with pytest.raises(InvalidRequest, match="exponent"):
        await AddCurrency(catalog)("TON", 2)
    assert await ListCurrencies(catalog)() == [TON]


async def test_keys_are_listed_active_and_revoked_without_their_secrets():
    store, clock = FakeApiKeys(), FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    issued = await IssueApiKey(store, clock)("slots", frozenset({"wallet", "seamless"}))
    await IssueApiKey(store, clock)("bets", frozenset({"betting"}))
    await RevokeApiKey(store, clock)("slots")
    keys = await ListApiKeys(store)()
    assert [(k.name, k.revoked_at is None) for k in keys] == [("bets", True), ("slots", False)]
    assert all(issued.plaintext.encode() not in k.secret_hash for k in keys)


async def test_a_rotation_reseals_what_is_stale_and_then_nothing_is():
    rotation = FakePersonalDataRotation({"players.username_sealed": 3, "staff.totp_sealed": 0})
    assert await CountStaleSeals(rotation)() == {
        "players.username_sealed": 3,
        "staff.totp_sealed": 0,
    }
    assert (await ResealPersonalData(rotation)())["players.username_sealed"] == 3
    assert not any((await CountStaleSeals(rotation)()).values())


async def test_the_bankroll_balance_is_the_bankroll_account_in_that_currency():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    await FundBankroll(db, clock, ids, house)(FundBankrollCommand(Money(5000, XTR), "ops", "f-1"))
    assert await GetBankrollBalance(db)(XTR) == Money(5000, XTR)
    assert await GetBankrollBalance(db)(TON) == Money(0, TON)
