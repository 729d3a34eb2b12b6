"""The personal-data cipher: what a sealed value is bound to, and what a key ring accepts."""

from __future__ import annotations

import base64
import secrets

import pytest

from adapters.personal_data import (
    PersonalDataCipher,
    PersonalDataKeyError,
    parse_index_key,
    parse_key_ring,
)

K1, K2, INDEX = (secrets.token_bytes(32) for _ in range(3))


def test_a_value_opens_in_its_place_only_and_never_repeats_its_ciphertext():
    cipher = PersonalDataCipher(1, {1: K1}, INDEX)
    sealed = cipher.seal("Алиса 🎲", "players.username/7")
    assert cipher.open(sealed, "players.username/7") == "Алиса 🎲"
    assert cipher.seal("Алиса 🎲", "players.username/7") != sealed  # a fresh nonce each time
    assert "Алиса".encode() not in sealed
    with pytest.raises(PersonalDataKeyError, match="does not open"):
        cipher.open(sealed, "players.username/8")
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(PersonalDataKeyError, match="does not open"):
        cipher.open(flipped, "players.username/7")
    with pytest.raises(PersonalDataKeyError, match="not a sealed value"):
        cipher.open(b"plain text", "players.username/7")


def test_the_first_key_seals_every_key_opens_and_a_relabelled_value_does_not():
    old = PersonalDataCipher(1, {1: K1}, INDEX)
    ring = PersonalDataCipher(2, {2: K2, 1: K1}, INDEX)
    sealed_old = old.seal("wallet", "w/1")
    sealed_new = ring.seal("wallet", "w/1")
    assert ring.open(sealed_old, "w/1") == ring.open(sealed_new, "w/1") == "wallet"
    assert (ring.is_current(sealed_old), ring.is_current(sealed_new)) == (False, True)
    with pytest.raises(PersonalDataKeyError, match="key 2, which is not in"):
        old.open(sealed_new, "w/1")
    # The key id is authenticated: claiming another key does not open, even if both are held.
    relabelled = sealed_old[:1] + b"\x02" + sealed_old[2:]
    with pytest.raises(PersonalDataKeyError, match="does not open"):
        ring.open(relabelled, "w/1")


def test_blind_indexes_match_equal_values_per_purpose_and_depend_on_the_key():
    one = PersonalDataCipher(1, {1: K1}, INDEX)
    rotated = PersonalDataCipher(2, {2: K2}, INDEX)
    other_index = PersonalDataCipher(1, {1: K1}, K2)
    assert one.index("alice", "players.username") == rotated.index("alice", "players.username")
    assert one.index("alice", "players.username") != one.index("alice", "payment_identity")
    assert one.index("alice", "players.username") != one.index("alicf", "players.username")
    assert one.index("alice", "players.username") != other_index.index("alice", "players.username")


def test_key_rings_parse_in_hex_or_base64_and_refuse_what_is_malformed():
    b64 = base64.b64encode(K2).decode()
    current, ring = parse_key_ring(f" 3:{K1.hex()} , 1:{b64} ")
    assert (current, ring) == (3, {3: K1, 1: K2})
    assert parse_index_key(INDEX.hex()) == INDEX
    for bad, message in (
        ("", "empty"),
        (K1.hex(), "<id>:<key>"),
        (f"0:{K1.hex()}", "1 to 255"),
        (f"256:{K1.hex()}", "1 to 255"),
        (f"1:{K1.hex()},1:{K2.hex()}", "appears twice"),
        ("1:zz", "not hex or base64"),
        (f"1:{base64.b64encode(K1[:31]).decode()}", "must be 32 bytes"),
    ):
        with pytest.raises(PersonalDataKeyError, match=message):
            parse_key_ring(bad)
    with pytest.raises(PersonalDataKeyError, match="not in the ring"):
        PersonalDataCipher(2, {1: K1}, INDEX)
