"""Game session tokens (domain.game_sessions) and the Hub88 wire's amounts."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidRequest
from domain.game_sessions import (
    GameSession,
    InvalidSessionToken,
    SessionTokenExpired,
    aggregator_user,
    issue_token,
    read_token,
)
from domain.money import XTR, Currency, Money
from entrypoints.http.aggregator_wire import player_id_of, to_minor, to_wire

KEY = secrets.token_bytes(32)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _session(ttl: timedelta = timedelta(hours=1)) -> GameSession:
    return GameSession.open(
        player_id=42, currency=XTR, game_id="slots-1", aggregator="hub88", now=NOW, ttl=ttl
    )


def test_a_token_reads_back_as_its_session_until_it_expires():
    session = _session()
    token = issue_token(session, KEY)
    assert read_token(token, KEY, aggregator="hub88", now=NOW) == session
    later = NOW + timedelta(hours=1)
    with pytest.raises(SessionTokenExpired):
        read_token(token, KEY, aggregator="hub88", now=later)
    # A rollback reads its currency from an expired token all the same.
    assert read_token(token, KEY, aggregator="hub88", now=None).currency == "XTR"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the MAC
        lambda t: "x" + t,  # the payload
        lambda t: t.replace(".", ""),
        lambda t: "",
        lambda t: "a.b",
        lambda t: t + "." + t,
    ],
)
def test_a_tampered_token_is_refused(tamper):
    token = issue_token(_session(), KEY)
    with pytest.raises(InvalidSessionToken):
        read_token(tamper(token), KEY, aggregator="hub88", now=NOW)


def test_a_token_is_for_its_aggregator_and_its_key():
    token = issue_token(_session(), KEY)
    with pytest.raises(InvalidSessionToken):
        read_token(token, KEY, aggregator="other", now=NOW)
    with pytest.raises(InvalidSessionToken):
        read_token(token, secrets.token_bytes(32), aggregator="hub88", now=NOW)
    with pytest.raises(InvalidRequest):
        read_token(token, b"short", aggregator="hub88", now=NOW)


def test_a_session_names_its_player_currency_and_game():
    session = _session()
    session.require_for(42, "XTR", "slots-1")
    session.require_for(42, "XTR", None)  # balance and info name no game
    for player, currency, game in ((43, "XTR", None), (42, "TON", None), (42, "XTR", "crash")):
        with pytest.raises(InvalidSessionToken):
            session.require_for(player, currency, game)


def test_a_session_lasts_a_bounded_time():
    for ttl in (timedelta(0), timedelta(days=2)):
        with pytest.raises(InvalidRequest):
            _session(ttl=ttl)


def test_wire_amounts_are_hundred_thousandths_of_a_unit():
    ton = Currency("TON", 9)
    assert to_minor(300_000, XTR) == Money(3, XTR)
    assert to_wire(Money(3, XTR)) == 300_000
    assert to_minor(150_000, ton) == Money(1_500_000_000, ton)
    assert to_wire(Money(1_500_000_009, ton)) == 150_000  # rounded down: never shows more
    for bad in (150_000 + 1, -100_000):
        with pytest.raises(InvalidRequest):
            to_minor(bad, XTR)


def test_the_aggregator_knows_a_player_by_at_least_three_characters_read_back_as_the_id():
    # Hub88's `user` is 3 characters at least: the first 99 players of a database are padded.
    assert [aggregator_user(n) for n in (1, 42, 100, 123456)] == ["001", "042", "100", "123456"]
    for n in (1, 42, 100, 123456, 2**63 - 1):
        assert player_id_of(aggregator_user(n)) == n
    for bad in ("", "-1", "4 2", "\u0664\u0662", "1" * 20):  # "\u0664\u0662": Arabic-Indic 42
        with pytest.raises(InvalidRequest):
            player_id_of(bad)
    for bad_id in (0, -1, 2**63):
        with pytest.raises(InvalidRequest):
            aggregator_user(bad_id)
