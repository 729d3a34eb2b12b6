"""The personal-data cipher: what a sealed value is bound to, and what a key ring accepts."""

from __future__ import annotations

import secrets

import pytest

from adapters.personal_data import PersonalDataCipher, PersonalDataKeyError

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


def test_a_cipher_refuses_a_sealing_key_outside_its_ring():
    with pytest.raises(PersonalDataKeyError, match="not in the ring"):
        PersonalDataCipher(2, {1: K1}, INDEX)
