"""Service API keys on an in-memory store (tests/fake_access.py): a key is issued once in plain
text and kept as a hash, authenticates until it is revoked, and a malformed, unknown or wrong
key is nobody. The table and the gRPC doors that use keys are tested on PostgreSQL
(tests/entrypoints/test_grpc.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.access import Authenticate, IssueApiKey, RevokeApiKey
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.access import hash_secret
from domain.errors import Forbidden, InvalidRequest, NotFound
from domain.money import TON, XTR, Money
from tests.fake_access import FakeApiKeys
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


@pytest.fixture
def keys():
    return FakeApiKeys(), FakeClock()


async def test_an_issued_key_authenticates_until_it_is_revoked(keys):
    store, clock = keys
    issued = await IssueApiKey(store, clock)("slots-provider", frozenset({"seamless"}))
    prefix, key_id, secret = issued.plaintext.split("_", 2)
    assert (prefix, key_id) == ("crp", issued.key.key_id)
    stored = store.keys[key_id]
    assert stored.secret_hash == hash_secret(secret)
    assert secret not in repr(stored)  # only the hash is kept

    authenticate = Authenticate(store, clock)
    found = await authenticate(issued.plaintext)
    assert found is not None
    assert (found.name, found.services) == ("slots-provider", frozenset({"seamless"}))

    clock.advance(minutes=1)
    await RevokeApiKey(store, clock)("slots-provider")
    assert await authenticate(issued.plaintext) is None
    assert store.keys[key_id].revoked_at == clock.now()
    with pytest.raises(NotFound):
        await RevokeApiKey(store, clock)("slots-provider")  # no active key of that name left


async def test_a_malformed_unknown_or_wrong_key_is_nobody(keys):
    store, clock = keys
    issued = await IssueApiKey(store, clock)("shop", frozenset({"wallet", "players"}))
    authenticate = Authenticate(store, clock)
    wrong_secret = issued.plaintext[:-4] + ("aaaa" if issued.plaintext[-4:] != "aaaa" else "bbbb")
    unknown_id = f"crp_{'0' * 12}_{issued.plaintext.split('_', 2)[2]}"
    for presented in ("", "crp_short", wrong_secret, unknown_id):
        assert await authenticate(presented) is None


async def test_names_and_services_are_checked_and_one_active_key_per_name(keys):
    store, clock = keys
    issue = IssueApiKey(store, clock)
    with pytest.raises(InvalidRequest):
        await issue("Shop Front", frozenset({"wallet"}))
    with pytest.raises(InvalidRequest):
        await issue("shop", frozenset({"casino"}))
    with pytest.raises(InvalidRequest):
        await issue("shop", frozenset())
    await issue("shop", frozenset({"wallet"}))
    with pytest.raises(InvalidRequest):
        await issue("shop", frozenset({"wallet"}))
    await RevokeApiKey(store, clock)("shop")
    assert (await issue("shop", frozenset({"wallet"}))).key.name == "shop"  # a new one may come


async def test_a_key_stops_working_when_it_expires(keys):
    store, clock = keys
    issue = IssueApiKey(store, clock)
    with pytest.raises(InvalidRequest, match="future"):
        await issue("old", frozenset({"wallet"}), expires_at=clock.now())
    issued = await issue("temp", frozenset({"wallet"}), expires_at=clock.now() + timedelta(days=1))
    authenticate = Authenticate(store, clock)
    assert await authenticate(issued.plaintext) is not None
    clock.advance(days=1)
    assert await authenticate(issued.plaintext) is None


async def test_caps_are_positive_minor_units_per_currency(keys):
    store, clock = keys
    issue = IssueApiKey(store, clock)
    for caps in ({"XTR": 0}, {"XTR": -5}, {"xtr'; --": 5}, {"XTR": 2**63}):
        with pytest.raises(InvalidRequest):
            await issue("shop", frozenset({"wallet"}), caps=caps)
    issued = await issue("shop", frozenset({"wallet"}), caps={"XTR": 5000})
    assert dict(issued.key.caps) == {"XTR": 5000}


async def test_a_deposit_over_its_keys_cap_is_forbidden_and_writes_nothing(keys):
    """Issue 18: a wallet key deposited 10^12. A key moves at most its cap in a currency per
    deposit, and nothing in a currency it has no cap for."""
    store, clock = keys
    db, ids, house = FakeDatabase(), SequentialIds(), HouseBook(4)
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(42, currencies=(XTR,), accept_terms=True)
        )
    ).player
    key = (await IssueApiKey(store, clock)("shop", frozenset({"wallet"}), caps={"XTR": 5000})).key
    deposit = CreditDeposit(db, clock, ids, house)
    before = dict(db.state.transactions)
    with pytest.raises(Forbidden, match="at most 5000"):
        await deposit(CreditDepositCommand.from_provider(player.id, Money(10**12, XTR), key, "e1"))
    with pytest.raises(Forbidden, match="no cap in TON"):
        await deposit(CreditDepositCommand.from_provider(player.id, Money(1, TON), key, "e2"))
    assert db.state.transactions == before
    posted = await deposit(
        CreditDepositCommand.from_provider(player.id, Money(5000, XTR), key, "e3")
    )
    assert posted.balance == Money(5000, XTR)


async def test_a_keys_deposits_are_bounded_per_utc_day_and_a_refusal_counts_nothing(keys):
    """Issue 18: caps per key on the largest deposit and on the day's total, per currency. A
    deposit past the day's total is refused whole (its count with it); replays are not
    counted again; the next UTC day starts afresh."""
    store, clock = keys
    db, ids, house = FakeDatabase(), SequentialIds(), HouseBook(4)
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(42, currencies=(XTR,), accept_terms=True)
        )
    ).player
    key = (
        await IssueApiKey(store, clock)(
            "shop", frozenset({"wallet"}), caps={"XTR": 600}, daily_caps={"XTR": 1000}
        )
    ).key
    deposit = CreditDeposit(db, clock, ids, house)

    def paid(amount: int, reference: str) -> CreditDepositCommand:
        return CreditDepositCommand.from_provider(player.id, Money(amount, XTR), key, reference)

    await deposit(paid(600, "a"))
    await deposit(paid(600, "a"))  # a replay: answered, not counted again
    before = dict(db.state.transactions)
    with pytest.raises(Forbidden, match="a day"):
        await deposit(paid(401, "b"))
    assert db.state.transactions == before
    assert (await deposit(paid(400, "c"))).balance == Money(1000, XTR)
    clock.advance(days=1)
    assert (await deposit(paid(600, "d"))).balance == Money(1600, XTR)
