"""The Mini App's door on in-memory fakes (session tokens in tests/fake_live.py): launch data
checked against the bot token opens a session for a new or known player, a blocked player gets
none and loses the ones they had, the player's own page (`GetMe`) and language. The real signed
tokens are tested in tests/unit/test_player_sessions.py, the HTTP door on PostgreSQL in
tests/entrypoints/test_http_miniapp.py."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from application.miniapp import GetMe, MiniAppConfig, OpenMiniAppSession, ReadPlayerSession
from application.onboarding import SetLanguage, StartPlayer
from application.player_admin import BlockPlayer, UnblockPlayer
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from domain.errors import InvalidRequest, NotFound, Unauthenticated
from domain.money import XTR, Money
from domain.standing import PlayerBlocked
from domain.webapp import sign
from tests.casino_on_fakes import Casino
from tests.fake_live import FakePlayerSessions

BOT_TOKEN = "123456:fake-bot-token"
ALICE = Actor("staff:alice")


def _launch(casino: Casino, user_id: int, language: str = "pt-BR") -> str:
    fields = {
        "query_id": "q1",
        "user": json.dumps({"id": user_id, "first_name": "Ann", "language_code": language}),
        "auth_date": str(int(casino.clock.now().timestamp()) - 5),
    }
    return urlencode({**fields, "hash": sign(fields, BOT_TOKEN)})


@pytest.fixture
def door():
    casino, sessions = Casino(), FakePlayerSessions()
    start = StartPlayer(casino.db, casino.clock)
    open_session = OpenMiniAppSession(MiniAppConfig(BOT_TOKEN), casino.clock, sessions, start)
    read = ReadPlayerSession(casino.db, casino.clock, sessions)
    return casino, open_session, read


async def test_launch_data_opens_a_session_for_a_new_then_a_known_player(door):
    casino, open_session, read = door
    first = await open_session(_launch(casino, 4242))
    assert first.onboarded.created
    assert first.onboarded.preferences.language == "pt"  # the base language, lower case
    assert first.expires_at == casino.clock.now() + FakePlayerSessions.LIFETIME
    player = first.onboarded.player.id
    assert await read(first.token) == player

    again = await open_session(_launch(casino, 4242))
    assert (again.onboarded.created, again.onboarded.player.id) == (False, player)


async def test_forged_or_expired_sessions_and_launch_data_are_refused(door):
    casino, open_session, read = door
    forged = _launch(casino, 4242).replace("Ann", "Bob")
    with pytest.raises(Unauthenticated):
        await open_session(forged)
    opened = await open_session(_launch(casino, 4242))
    for token in ("", "session:1", "session:x:y:z"):
        with pytest.raises(Unauthenticated):
            await read(token)
    casino.clock.advance(hours=2)
    with pytest.raises(Unauthenticated):
        await read(opened.token)
    without_bot = OpenMiniAppSession(
        MiniAppConfig(None),
        casino.clock,
        FakePlayerSessions(),
        StartPlayer(casino.db, casino.clock),
    )
    with pytest.raises(Unauthenticated, match="not enabled"):
        await without_bot(_launch(casino, 4242))


async def test_a_block_ends_sessions_and_its_lifting_restores_them(door):
    casino, open_session, read = door
    opened = await open_session(_launch(casino, 4242))
    player = opened.onboarded.player.id
    await BlockPlayer(casino.db, casino.clock)(player, "fraud", ALICE)
    with pytest.raises(PlayerBlocked):
        await read(opened.token)
    with pytest.raises(PlayerBlocked):
        await open_session(_launch(casino, 4242))
    await UnblockPlayer(casino.db, casino.clock)(player, "cleared", ALICE)
    assert await read(opened.token) == player
    # A token of a player the database does not know is no session either.
    with pytest.raises(Unauthenticated):
        await read(FakePlayerSessions().issue(999, casino.clock.now())[0])


async def test_me_reads_the_player_preferences_and_balances_and_the_language_changes(door):
    casino, open_session, _ = door
    player = (await open_session(_launch(casino, 4242, language="en"))).onboarded.player.id
    await SetLanguage(casino.db)(player, "ru")
    me = await GetMe(casino.db)(player)
    assert (me.player.id, me.preferences.language) == (player, "ru")
    assert me.balances == (Money(0, XTR),)  # starting opens the Stars wallet

    # Registered through another door (gRPC), without the bot's start: no preferences yet.
    other = await RegisterPlayer(casino.db, casino.clock)(RegisterPlayerCommand(7))
    with pytest.raises(NotFound, match="has not started"):
        await GetMe(casino.db)(other.player.id)
    await StartPlayer(casino.db, casino.clock)(7, username=None, language="en")
    assert (await GetMe(casino.db)(other.player.id)).preferences.language == "en"
    with pytest.raises(InvalidRequest):
        await SetLanguage(casino.db)(player, "Russian")
