"""bench/seeding.py's seeded state gives every player a history of one bet, placed through the
bet queue, so the template's `bets` is not empty when it is analysed: the service's plans
(generic, kept per connection) made on an empty `bets` scanned it whole for a batch's ids
(bench/README.md, 2026-12-05 16:30)."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import asyncpg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import seeding
from seeding import _asyncpg_dsn, check_books, mark_published, seed

from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS


def _env(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "CROUPIER_DATA_DIR": str(data_dir),
        "CROUPIER_DATABASE_URL": database_url,
        "CROUPIER_REDIS_URL": redis_url,
        "CROUPIER_SEED_KEY": secrets.token_bytes(32).hex(),
        "CROUPIER_PII_KEYS": TEST_PII_KEYS,
        "CROUPIER_PII_INDEX_KEY": TEST_PII_INDEX_KEY,
        "CROUPIER_HOUSE_SHARDS": "4",
        "CROUPIER_VELOCITY_BETS_PER_SECOND": "0",
        "CROUPIER_RISK_MONITOR_INTERVAL_S": "0",
    }


async def _bets_by_player(database_url: str) -> dict[int, int]:
    conn = await asyncpg.connect(_asyncpg_dsn(database_url))
    try:
        rows = await conn.fetch("SELECT player_id, count(*) FROM bets GROUP BY player_id")
    finally:
        await conn.close()
    return {row[0]: row[1] for row in rows}


async def test_every_seeded_player_has_one_bet_and_the_books_balance(
    fresh_database: str, servers, tmp_path: Path
) -> None:
    env = _env(fresh_database, servers.redis_url, tmp_path)
    state = tmp_path / "seeded.json"

    seeded = await seed(env, 3, state)

    assert seeded.anew
    # One bet each for the players the load spreads over; the hot player keeps none.
    assert await _bets_by_player(fresh_database) == dict.fromkeys(seeded.players, 1)
    assert await check_books(fresh_database) == []
    # Found again by the next run: reused as it is, nothing placed.
    again = await seed(env, 3, state)
    assert (again.anew, again.players) == (False, seeded.players)
    assert await _bets_by_player(fresh_database) == dict.fromkeys(seeded.players, 1)


async def test_players_seeded_before_their_history_are_given_it_and_kept_again(
    fresh_database: str, servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(fresh_database, servers.redis_url, tmp_path)
    state = tmp_path / "seeded.json"
    history = seeding._history

    async def none(container: object, players: object) -> None:
        return None

    monkeypatch.setattr(seeding, "_history", none)
    older = await seed(env, 2, state)  # as the seeding before the history did
    assert await _bets_by_player(fresh_database) == {}
    monkeypatch.setattr(seeding, "_history", history)

    seeded = await seed(env, 2, state)

    # The same players, now with their history; `anew`, so the template is kept again.
    assert (seeded.anew, seeded.players) == (True, older.players)
    assert await _bets_by_player(fresh_database) == dict.fromkeys(seeded.players, 1)
    assert await check_books(fresh_database) == []


async def test_the_seeded_events_are_marked_published_and_the_service_waits_for_them(
    fresh_database: str, servers, tmp_path: Path
) -> None:
    # A copy of the template held the seeding's events unpublished, and every run's relay
    # caught up on them at its start: `_service_database` marks the template's published
    # (`mark_published`), and bench/service.py waits on `outbox_behind` before a case.
    from service import outbox_behind

    await seed(_env(fresh_database, servers.redis_url, tmp_path), 1, tmp_path / "seeded.json")
    assert await outbox_behind(fresh_database)

    assert await mark_published(fresh_database) is True
    assert not await outbox_behind(fresh_database)
    # Nothing left to mark.
    assert await mark_published(fresh_database) is False
