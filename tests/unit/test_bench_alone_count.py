"""bench/alone.py's count of a bet's statements: the betting path's only, whatever the
service's background jobs ran in the same window (issue 19: 2.01 counted for a road of 2)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from alone import classify

SNAPSHOT = "SELECT placement_snapshot($1)"
PLACE = "SELECT place_bets($1)"
ROUNDS = "SELECT id FROM crash_rounds WHERE phase <> 'crashed'"
BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
DUELS = "SELECT id FROM duels WHERE expires_at < now()"
API_KEY = "SELECT key_id FROM api_keys WHERE key_id = $1"
FK = 'SELECT 1 FROM ONLY "public"."ledger_transactions" x WHERE "id" = $1 FOR KEY SHARE OF x'


def _kinds(during: dict[str, tuple[int, str]], idle: dict[str, int], bets: int):
    return {s.query: (s.kind, s.counted) for s in classify(during, idle, bets)}


def test_the_jobs_of_the_window_are_left_out_and_the_roads_statements_counted_whole() -> None:
    during = {
        PLACE: (1278, "bet"),
        SNAPSHOT: (1278, "bet"),
        ROUNDS: (6, "bet"),  # the crash driver, about as often idle
        BEGIN: (13, "bet"),  # the driver's and a 30 s scan's that fell in the window
        DUELS: (1, "bet"),  # that scan: never seen idle
        API_KEY: (1, "bet"),  # the first bet's cache miss
        FK: (2556, "fk check"),
    }
    idle = {ROUNDS: 5, BEGIN: 6, "SELECT 1": 5}
    kinds = _kinds(during, idle, 1278)
    assert kinds == {
        PLACE: ("bet", 1278),
        SNAPSHOT: ("bet", 1278),
        ROUNDS: ("job", 0),
        BEGIN: ("rare", 0),
        DUELS: ("rare", 0),
        API_KEY: ("rare", 0),
        FK: ("fk check", 0),
    }
    assert sum(c for _, c in kinds.values()) / 1278 == 2


def test_a_job_statement_the_road_sends_too_counts_its_excess_over_idle() -> None:
    during = {BEGIN: (1006, "bet"), PLACE: (1000, "bet")}
    kinds = _kinds(during, {BEGIN: 6}, 1000)
    assert kinds[BEGIN] == ("bet", 1000)
    assert kinds[PLACE] == ("bet", 1000)
