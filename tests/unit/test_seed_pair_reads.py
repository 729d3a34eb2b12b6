"""A seed pair read again at another nonce (`SeedPair.at_nonce`), and the snapshot read's
cache of built pairs: only the nonce changes without a check; any other part of the row that
differs from the pair built makes it built, and checked, again."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

import pytest

from adapters.postgres import snapshot_placements
from adapters.postgres.snapshot_placements import SnapshotPlacements
from adapters.seed_cipher import SeedCipher
from domain.fairness import commitment
from domain.seeds import SeedPair

SEED = "ab" * 32
AT = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)


def test_a_pair_at_another_nonce_is_the_pair_built_with_it():
    pair = SeedPair(7, 42, SEED, commitment(SEED), "client", 3, AT)
    moved = pair.at_nonce(9)
    assert moved == SeedPair(7, 42, SEED, commitment(SEED), "client", 9, AT)
    assert pair.next_nonce == 3
    with pytest.raises(ValueError, match="nonces start at 0"):
        pair.at_nonce(-1)
    retired = SeedPair(7, 42, SEED, commitment(SEED), "client", 3, AT, revealed_at=AT)
    assert retired.at_nonce(9) == SeedPair(7, 42, SEED, commitment(SEED), "client", 9, AT, AT)


def _row(cipher: SeedCipher, seed_hash: str, nonce: int) -> list[object]:
    sealed = base64.b64encode(cipher.seal(SEED, 42)).decode()
    return [7, 42, sealed, seed_hash, "client", nonce, AT.isoformat()]


def test_the_read_takes_a_built_pair_at_each_reads_nonce_and_checks_a_changed_row(monkeypatch):
    monkeypatch.setattr(snapshot_placements, "_opened", {})
    cipher = SeedCipher(secrets.token_bytes(32))
    read = SnapshotPlacements(None, cipher)  # type: ignore[arg-type]  # no statement run
    row = _row(cipher, commitment(SEED), 1)
    assert read._pair(row).next_nonce == 1
    row[5] = 2
    assert read._pair(row) == SeedPair(7, 42, SEED, commitment(SEED), "client", 2, AT)
    assert len(snapshot_placements._opened) == 1
    row[3] = commitment("cd" * 32)  # the same sealed seed under another hash: refused
    with pytest.raises(ValueError, match="commitment"):
        read._pair(row)
