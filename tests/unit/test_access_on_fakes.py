"""Service API keys on an in-memory store (tests/fake_access.py): a key is issued once in plain
text and kept as a hash, authenticates until it is revoked, and a malformed, unknown or wrong
key is nobody. The table and the gRPC doors that use keys are tested on PostgreSQL
(tests/entrypoints/test_grpc.py)."""

from __future__ import annotations

import pytest

from application.access import Authenticate, IssueApiKey, RevokeApiKey
from domain.access import hash_secret
from domain.errors import InvalidRequest, NotFound
from tests.fake_access import FakeApiKeys
from tests.fakes import FakeClock


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

    authenticate = Authenticate(store)
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
    authenticate = Authenticate(store)
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
