"""A snapshot-road batch's parts timed for monitoring (`adapters.postgres.placement_timings`):
told once a write went in, with the bets it decided (placed, and refused on the snapshot: a
refusal's write checks no twin was placed); a batch read again after a change is told once,
with its last read; a write that failed is not told."""

from __future__ import annotations

import time
import uuid

import pytest
from prometheus_client import REGISTRY

from adapters.postgres import snapshot_placements
from adapters.postgres.snapshot_placements import SnapshotPlacements
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.prometheus.placements import PrometheusBetQueueWaits, PrometheusPlacementTimings
from application.betting import PlaceBet, PlaceBetCommand, PlaceBets
from application.postings import CreditDepositCommand
from domain.errors import InsufficientFunds, StorageUnavailable
from domain.money import XTR, Money
from tests.conftest import TEST_HOUSE_SHARDS

pytestmark = pytest.mark.usefixtures("books")


class Recorded:
    def __init__(self) -> None:
        self.writes: list[tuple[int, float, float, float]] = []
        self.told_at: list[float] = []

    def written(self, bets: int, read: float, decide: float, write: float) -> None:
        self.writes.append((bets, read, decide, write))
        self.told_at.append(time.perf_counter())


@pytest.fixture
async def timed(engine, cipher, personal, clock, ids, house, seed_source):
    recorded = Recorded()
    factory = await start_unit_of_work_factory(
        engine, TEST_HOUSE_SHARDS, cipher, personal, recorded
    )
    return recorded, PlaceBet(factory, clock, ids, house, seed_source)


def coin(player_id: int, stake: int = 10) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"})


async def test_a_batch_and_a_bet_alone_are_each_told_once_with_their_bets(timed, funded_player):
    recorded, place = timed
    players = [await funded_player(100) for _ in range(3)]
    short = await funded_player(5)
    started = time.perf_counter()
    outcomes = await PlaceBets(place)([coin(p.id) for p in [*players, short]])
    assert isinstance(outcomes[-1], InsufficientFunds)
    await place(coin(players[0].id))
    # The batch's three bets placed and the one refused on its snapshot; then the one alone.
    assert [bets for bets, *_ in recorded.writes] == [4, 1]
    for (_, read, decide, write), told in zip(recorded.writes, recorded.told_at, strict=True):
        assert read > 0
        assert decide >= 0
        assert write > 0
        # The three parts happened one after another inside the call.
        assert read + decide + write <= told - started


async def test_a_batch_read_again_is_told_once_with_its_last_read(
    timed, funded_player, credit, unique_key, monkeypatch
):
    recorded, place = timed
    one, two = await funded_player(100), await funded_player(100)
    original = SnapshotPlacements.snapshot
    reads: list[float] = []

    async def snapshot(self, *args, **kwargs):
        known = await original(self, *args, **kwargs)
        reads.append(time.perf_counter())
        if len(reads) == 1:  # the first read goes stale: its write reads again
            await credit(CreditDepositCommand(one.id, Money(50, XTR), unique_key("dep")))
        return known

    monkeypatch.setattr(SnapshotPlacements, "snapshot", snapshot)
    await PlaceBets(place)([coin(one.id), coin(two.id)])
    assert len(reads) == 2
    ((bets, read, decide, write),) = recorded.writes
    assert bets == 2
    # Its parts are the second read's: they fit after the first read was done.
    assert read + decide + write <= recorded.told_at[0] - reads[0]


async def test_a_write_that_failed_is_not_told(timed, funded_player, monkeypatch):
    recorded, place = timed
    player = await funded_player(100)
    # The write's statement as the server refuses it (it takes none of the 28 arguments).
    monkeypatch.setattr(snapshot_placements, "_WRITE", "SELECT 1")
    with pytest.raises(StorageUnavailable):
        await place(coin(player.id))
    assert recorded.writes == []


def test_the_prometheus_timings_observe_the_bets_and_each_part():
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = {
        "bets": sample("croupier_bet_batch_bets_sum"),
        "batches": sample("croupier_bet_batch_bets_count"),
        "read": sample("croupier_bet_batch_seconds_sum", phase="read"),
        "decide": sample("croupier_bet_batch_seconds_sum", phase="decide"),
        "write": sample("croupier_bet_batch_seconds_sum", phase="write"),
        "small": sample("croupier_bet_batch_bets_bucket", le="16.0"),
    }
    PrometheusPlacementTimings().written(12, 0.002, 0.0015, 0.004)
    assert sample("croupier_bet_batch_bets_sum") - before["bets"] == 12
    assert sample("croupier_bet_batch_bets_count") - before["batches"] == 1
    assert sample("croupier_bet_batch_bets_bucket", le="16.0") - before["small"] == 1
    for phase, seconds in (("read", 0.002), ("decide", 0.0015), ("write", 0.004)):
        got = sample("croupier_bet_batch_seconds_sum", phase=phase) - before[phase]
        assert got == pytest.approx(seconds)


def test_the_prometheus_queue_waits_observe_each_lane_apart():
    def count(lane: str, le: str | None = None) -> float:
        if le is None:
            name, labels = "croupier_bet_queue_wait_seconds_count", {"lane": lane}
        else:
            name, labels = "croupier_bet_queue_wait_seconds_bucket", {"lane": lane, "le": le}
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = {lane: (count(lane), count(lane, "0.005")) for lane in ("bets", "message")}
    waits = PrometheusBetQueueWaits()
    waits.started(0.003, message=False)
    waits.started(0.2, message=True)
    waits.started(0.0, message=True)
    assert count("bets") - before["bets"][0] == 1
    assert count("bets", "0.005") - before["bets"][1] == 1
    assert count("message") - before["message"][0] == 2
    assert count("message", "0.005") - before["message"][1] == 1  # 0.2 s is over 5 ms
