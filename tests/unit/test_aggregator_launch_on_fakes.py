"""The aggregators' catalogue and the game launch on in-memory fakes: a refresh adds games
switched off and unlists a game gone from the list; the operator's switch is audited and kept
across refreshes; the players' list is cached; a launch is refused for a player the standing
refuses, a game not launchable or unknown, a currency unknown, and the aggregator down, and
otherwise carries a session token for that player, currency and game. Through the real doors
on PostgreSQL with a signed fake aggregator: tests/entrypoints/test_aggregator_launch.py."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from application.aggregators import (
    IssueGameSession,
    LaunchableGamesCache,
    LaunchConfig,
    LaunchGame,
    ListAggregatorGames,
    PlayerAggregatorGames,
    ReadGameSession,
    RefreshAggregatorGames,
    RefreshAllAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.ports import GameSessionConfig
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from domain.aggregator_games import AggregatorGame, AggregatorUnavailable, ListedGame
from domain.errors import GameUnavailable, NotFound, StorageUnavailable, UnknownCurrency
from domain.money import XTR, CurrencyRegistry
from domain.players import PlayerStatus
from domain.standing import PlayerBlocked, TermsNotAccepted
from tests.fake_aggregator_games import FakeAggregatorApi, FakeAggregatorGames
from tests.fakes import FakeClock, FakeDatabase

CONFIG = GameSessionConfig(secrets.token_bytes(32), timedelta(minutes=30))
HUB = "hub88"
LIST = [
    ListedGame("slot-a", "Alpha Slot", "slots", "studio-1"),
    ListedGame("live-b", "Blackjack Live", "live", "studio-2"),
    ListedGame("slot-c", "Closed Slot", "slots", "studio-1", enabled=False),
]


@pytest.fixture
async def world():
    db, clock = FakeDatabase(), FakeClock()
    api = FakeAggregatorApi({HUB: list(LIST)})
    cache = LaunchableGamesCache(db, clock, timedelta(seconds=30))
    refresh = RefreshAggregatorGames(db, api, clock, cache)
    switch = SetAggregatorGameEnabled(db, clock, cache)
    issue = IssueGameSession(db, clock, CONFIG)
    launch = LaunchGame(db, clock, api, issue, CurrencyRegistry(), LaunchConfig("https://t.me/x/y"))
    players = PlayerAggregatorGames(api, cache)
    return db, clock, api, cache, refresh, switch, launch, players


async def _player(db, clock, telegram_id=7, accept_terms=True) -> int:
    command = RegisterPlayerCommand(telegram_id, currencies=(XTR,), accept_terms=accept_terms)
    return (await RegisterPlayer(db, clock)(command)).player.id


async def test_a_refresh_adds_games_off_and_unlists_a_game_gone(world):
    db, clock, api, _, refresh, switch, launch, _ = world
    player = await _player(db, clock)
    first = await refresh(HUB)
    assert (first.listed, first.added, first.delisted) == (3, 3, 0)
    async with db() as uow:
        games = {g.game_code: g for g in await uow.aggregator_games.list(HUB)}
    assert not any(g.operator_enabled or g.launchable for g in games.values())
    await switch(HUB, "slot-a", True, Actor("staff:op"))
    await switch(HUB, "live-b", True, Actor("staff:op"))
    await launch(player, HUB, "live-b", "XTR")  # launchable while listed
    api.lists[HUB] = [ListedGame("slot-a", "Alpha Slot 2", "slots", "studio-1")]
    clock.advance(minutes=5)
    second = await refresh(HUB)
    assert (second.listed, second.added, second.delisted) == (1, 0, 2)
    with pytest.raises(GameUnavailable):  # gone from the list: no longer launched
        await launch(player, HUB, "live-b", "XTR")
    games = {g.game_code: g for g in await ListAggregatorGames(db)(HUB)}
    assert [g.game_code for g in await ListAggregatorGames(db)()] == list(games)
    assert games["slot-a"].operator_enabled
    assert games["slot-a"].launchable
    assert games["slot-a"].name == "Alpha Slot 2"  # the aggregator's facts replaced
    assert not games["slot-c"].listed
    assert not games["slot-c"].launchable
    assert games["live-b"].operator_enabled  # kept for when it comes back
    api.lists[HUB] = [LIST[1]]
    await refresh(HUB)
    assert (await launch(player, HUB, "live-b", "XTR")).game_code == "live-b"


async def test_the_operators_switch_is_audited_once(world):
    db, _, _, _, refresh, switch, _, _ = world
    await refresh(HUB)
    on = await switch(HUB, "live-b", True, Actor("staff:op", "10.0.0.1"))
    assert on.operator_enabled
    assert on.launchable
    again = await switch(HUB, "live-b", True, Actor("staff:op"))  # nothing changes
    assert again == on
    off = await switch(HUB, "slot-c", True, Actor("staff:op"))  # the aggregator has it off
    assert off.operator_enabled
    assert not off.launchable
    entries = [e for e in db.state.audit if e.action.value == "aggregator_game_changed"]
    assert [e.subject for e in entries] == [
        "aggregator_game:hub88/live-b",
        "aggregator_game:hub88/slot-c",
    ]
    assert entries[0].before == {"operator_enabled": False, "launchable": False}
    assert entries[0].after == {"operator_enabled": True, "launchable": True}
    assert (entries[0].actor, entries[0].source) == ("staff:op", "10.0.0.1")
    with pytest.raises(NotFound):
        await switch(HUB, "no-such-game", True, Actor("staff:op"))


async def test_the_players_list_is_cached_and_a_launch_checks_the_truth(world):
    db, clock, _, _, refresh, switch, launch, players = world
    player = await _player(db, clock)
    await refresh(HUB)
    await switch(HUB, "slot-a", True, Actor("staff:op"))
    assert [g.game_code for g in await players()] == ["slot-a"]
    # Another process switches it off (straight in the store: this process's cache is not told).
    async with db() as uow:
        await uow.aggregator_games.set_operator_enabled(HUB, "slot-a", False)
        await uow.commit()
    assert [g.game_code for g in await players()] == ["slot-a"]  # cached
    with pytest.raises(GameUnavailable):  # but never launched
        await launch(player, HUB, "slot-a", "XTR")
    clock.advance(seconds=31)
    assert await players() == []


class GatedReads:
    """The fake catalogue's `launchable`, counted: each read takes the rows as they are when
    it starts and holds its answer until `release(n)` lets read n go (or `release()` every
    read, then and later); it then answers, or fails with `error`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gates: list[asyncio.Event] = []
        self.error: Exception | None = None
        self._all = False
        read = FakeAggregatorGames.launchable

        async def launchable(games: FakeAggregatorGames) -> Sequence[AggregatorGame]:
            gate = asyncio.Event()
            if self._all:
                gate.set()
            self.gates.append(gate)
            found = await read(games)
            await gate.wait()
            if self.error is not None:
                raise self.error
            return found

        monkeypatch.setattr(FakeAggregatorGames, "launchable", launchable)

    @property
    def count(self) -> int:
        return len(self.gates)

    def release(self, n: int | None = None) -> None:
        if n is not None:
            self.gates[n].set()
            return
        self._all = True
        for gate in self.gates:
            gate.set()


async def _under_way(*tasks: asyncio.Task) -> None:
    """Let the tasks run until each waits (on the held read)."""
    for _ in range(5):
        await asyncio.sleep(0)
    assert not any(task.done() for task in tasks)


async def test_the_lobbys_visitors_at_an_expiry_share_one_read(world, monkeypatch):
    _, clock, _, _, refresh, switch, _, players = world
    await refresh(HUB)
    await switch(HUB, "slot-a", True, Actor("staff:op"))
    reads = GatedReads(monkeypatch)
    visitors = [asyncio.create_task(players()) for _ in range(40)]
    await _under_way(*visitors)
    reads.release()
    answers = await asyncio.gather(*visitors)
    assert reads.count == 1
    assert all([g.game_code for g in answer] == ["slot-a"] for answer in answers)
    assert [g.game_code for g in await players()] == ["slot-a"]  # and it is kept
    assert reads.count == 1
    clock.advance(seconds=31)  # expired: the next visitors read once again
    assert [g.game_code for g in await players()] == ["slot-a"]
    assert reads.count == 2


async def test_a_switch_during_a_read_is_not_undone_by_that_read(world, monkeypatch):
    _, _, _, _, refresh, switch, _, players = world
    await refresh(HUB)
    reads = GatedReads(monkeypatch)
    early = asyncio.create_task(players())
    await _under_way(early)
    # The read under way may have the list from before the switch; the switch's own forget
    # must win over it: a caller after the switch reads anew, and nothing stale is kept.
    await switch(HUB, "slot-a", True, Actor("staff:op"))
    late = asyncio.create_task(players())
    await _under_way(early, late)
    assert reads.count == 2  # the late caller did not join the early read
    reads.release(1)  # the read after the switch answers first,
    assert [g.game_code for g in await late] == ["slot-a"]
    reads.release(0)  # then the one from before it
    assert await early == []
    assert [g.game_code for g in await players()] == ["slot-a"]  # the early one was not kept
    assert reads.count == 2


async def _live_b_on_gated_reads(world, monkeypatch) -> tuple[Any, GatedReads]:
    """The catalogue with live-b switched on, and the players' list whose reads are gated."""
    _, _, _, _, refresh, switch, _, players = world
    await refresh(HUB)
    await switch(HUB, "live-b", True, Actor("staff:op"))
    return players, GatedReads(monkeypatch)


async def test_a_failed_read_fails_its_callers_and_the_next_caller_reads_again(world, monkeypatch):
    players, reads = await _live_b_on_gated_reads(world, monkeypatch)
    reads.error = StorageUnavailable("the database is away")
    callers = [asyncio.create_task(players()) for _ in range(3)]
    await _under_way(*callers)
    reads.release()
    failed = await asyncio.gather(*callers, return_exceptions=True)
    assert [type(f) for f in failed] == [StorageUnavailable] * 3
    assert reads.count == 1
    reads.error = None
    assert [g.game_code for g in await players()] == ["live-b"]
    assert reads.count == 2


async def test_a_visitor_who_leaves_does_not_stop_the_read_of_the_others(world, monkeypatch):
    players, reads = await _live_b_on_gated_reads(world, monkeypatch)
    leaving, staying = asyncio.create_task(players()), asyncio.create_task(players())
    await _under_way(leaving, staying)
    leaving.cancel()  # the first caller, whose request started the read, goes away
    await asyncio.sleep(0)
    reads.release()
    assert [g.game_code for g in await staying] == ["live-b"]
    assert leaving.cancelled()
    assert reads.count == 1


async def test_a_launch_carries_a_session_for_that_player_currency_and_game(world):
    db, clock, api, _, refresh, switch, launch, _ = world
    player = await _player(db, clock)
    await refresh(HUB)
    await switch(HUB, "live-b", True, Actor("staff:op"))
    launched = await launch(player, HUB, "live-b", "xtr", platform="GPL_DESKTOP")
    ((aggregator, asked),) = api.asked
    assert aggregator == HUB
    assert launched.url.endswith(asked.token)
    assert (asked.user, asked.currency, asked.game_code, asked.platform) == (
        f"{player:03d}",  # Hub88's `user`: three characters at least
        "XTR",
        "live-b",
        "GPL_DESKTOP",
    )
    assert asked.lobby_url == "https://t.me/x/y"
    assert asked.lang == "en"
    read = ReadGameSession(db, clock, CONFIG, CurrencyRegistry())
    view = await read(asked.token, HUB, player, "XTR", "live-b", with_standing=True)
    assert view.session.expires_at == clock.now() + timedelta(minutes=30)


async def test_a_launch_is_refused_as_a_bet_is_and_for_a_game_not_launchable(world):
    db, clock, api, _, refresh, switch, launch, _ = world
    await refresh(HUB)
    for code in ("slot-a", "slot-c"):
        await switch(HUB, code, True, Actor("staff:op"))
    player = await _player(db, clock)
    with pytest.raises(GameUnavailable):
        await launch(player, HUB, "slot-c", "XTR")  # the aggregator has it off
    with pytest.raises(GameUnavailable):
        await launch(player, HUB, "live-b", "XTR")  # the operator has not turned it on
    with pytest.raises(GameUnavailable):
        await launch(player, HUB, "no-such-game", "XTR")
    with pytest.raises(GameUnavailable):
        await launch(player, "other-hub", "slot-a", "XTR")  # no operator API for it
    with pytest.raises(UnknownCurrency):
        await launch(player, HUB, "slot-a", "DOGE")
    api.down = True
    with pytest.raises(AggregatorUnavailable):
        await launch(player, HUB, "slot-a", "XTR")
    api.down = False
    api.url_answer = "javascript:alert(1)"
    with pytest.raises(AggregatorUnavailable):
        await launch(player, HUB, "slot-a", "XTR")
    unconfirmed = await _player(db, clock, 8, accept_terms=False)
    with pytest.raises(TermsNotAccepted):
        await launch(unconfirmed, HUB, "slot-a", "XTR")
    async with db() as uow:
        await uow.players.set_status(player, PlayerStatus.BLOCKED, "test")
        await uow.commit()
    with pytest.raises(PlayerBlocked):
        await launch(player, HUB, "slot-a", "XTR")


async def test_the_periodic_refresh_goes_on_past_an_aggregator_down(world):
    db, _clock, api, _cache, refresh, _, _, _ = world
    api.lists["second"] = [ListedGame("s-1", "Second One")]
    results = await RefreshAllAggregatorGames(api, refresh)()
    assert [r.aggregator for r in results] == ["hub88", "second"]
    api.down = True
    results = await RefreshAllAggregatorGames(api, refresh)()
    assert all(isinstance(r, AggregatorUnavailable) for r in results)
    async with db() as uow:
        assert len(await uow.aggregator_games.list()) == 4  # nothing changed
