"""The aggregators' use cases on in-memory fakes: a game session issued and read back (bound to
its player, currency, game and aggregator; expiring; refused to a blocked player where it is
asked), and the aggregator's service key. Through the HTTP door, on PostgreSQL:
tests/entrypoints/test_aggregator_wallet.py."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from application.access import IssueApiKey, RevokeApiKey
from application.aggregators import AggregatorKey, IssueGameSession, ReadGameSession
from application.ports import GameSessionConfig
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.access import NoServiceKey
from domain.errors import InvalidRequest, NotFound
from domain.game_sessions import InvalidSessionToken, SessionTokenExpired
from domain.money import TON, XTR, CurrencyRegistry, Money
from domain.players import PlayerStatus
from domain.standing import PlayerBlocked
from tests.fake_access import FakeApiKeys
from tests.fakes import FakeClock, FakeDatabase

CONFIG = GameSessionConfig(secrets.token_bytes(32), timedelta(minutes=30))


@pytest.fixture
async def world():
    db, clock = FakeDatabase(), FakeClock()
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(7, currencies=(XTR,), accept_terms=True)
        )
    ).player
    issue = IssueGameSession(db, clock, CONFIG)
    read = ReadGameSession(db, clock, CONFIG, CurrencyRegistry())
    return db, clock, player.id, issue, read


async def test_a_session_reads_back_with_the_balance_until_it_expires(world):
    _, clock, player, issue, read = world
    token = await issue(player, XTR, "slots-1", "hub88")
    view = await read(token, "hub88", player, "XTR", "slots-1", with_standing=True)
    assert view.balance == Money(0, XTR)
    assert (view.session.player_id, view.session.game_id) == (player, "slots-1")
    assert view.session.expires_at == clock.now() + timedelta(minutes=30)
    # Another player, currency, game or aggregator: not this session.
    for args in ((player + 1,), (player, "TON"), (player, "XTR", "crash")):
        with pytest.raises(InvalidSessionToken):
            await read(token, "hub88", *args)
    with pytest.raises(InvalidSessionToken):
        await read(token, "other", player)
    clock.advance(minutes=30)
    with pytest.raises(SessionTokenExpired):
        await read(token, "hub88", player)
    assert read.currency_of(token, "hub88") == "XTR"  # a rollback's, expired or not


async def test_a_session_is_for_a_player_who_exists_and_needs_the_key(world):
    db, clock, player, issue, _ = world
    with pytest.raises(NotFound):
        await issue(player + 100, XTR, "slots-1", "hub88")
    with pytest.raises(InvalidRequest):
        await issue(player, TON, "slots-1", "Not A Name")
    off = IssueGameSession(db, clock, GameSessionConfig(None))
    with pytest.raises(InvalidRequest):
        await off(player, XTR, "slots-1", "hub88")


async def test_a_blocked_player_is_refused_where_the_standing_is_asked(world):
    db, _, player, issue, read = world
    token = await issue(player, XTR, "slots-1", "hub88")
    async with db() as uow:
        await uow.players.set_status(player, PlayerStatus.BLOCKED, "test")
        await uow.commit()
    with pytest.raises(PlayerBlocked):
        await read(token, "hub88", player, with_standing=True)
    assert (await read(token, "hub88", player)).balance == Money(0, XTR)


async def test_an_aggregator_calls_under_its_active_seamless_key():
    keys, clock = FakeApiKeys(), FakeClock()
    key_of = AggregatorKey(keys, clock)
    with pytest.raises(NoServiceKey):
        await key_of("hub88")
    await IssueApiKey(keys, clock)("hub88", frozenset({"wallet"}), caps={"XTR": 10})
    with pytest.raises(NoServiceKey):  # not granted the seamless wallet
        await key_of("hub88")
    await RevokeApiKey(keys, clock)("hub88")
    await IssueApiKey(keys, clock)("hub88", frozenset({"seamless"}), caps={"XTR": 10})
    assert (await key_of("hub88")).caps == {"XTR": 10}
    await RevokeApiKey(keys, clock)("hub88")
    with pytest.raises(NoServiceKey):
        await key_of("hub88")
