"""PlayersService over a real socket: an internal service records that a player accepted the
terms in its own front end, which no money may move without (domain.standing)."""

from __future__ import annotations

import secrets
from datetime import datetime

import grpc
import pytest
from google.protobuf import descriptor_pool
from sqlalchemy import text

from application.registration import RegisterPlayerCommand
from croupier.v1 import players_pb2, players_pb2_grpc
from domain.access import METHOD_SCOPES
from domain.access import SERVICES as SCOPES
from domain.money import XTR
from entrypoints.grpc.server import SERVICES
from tests.entrypoints.grpc_calls import bad_fields, rpc_error

pytestmark = [pytest.mark.integration]


@pytest.fixture
def players(channel):
    return players_pb2_grpc.PlayersServiceStub(channel)


@pytest.fixture
async def service(issue_key):
    """A key name and its key, granted the players service only."""
    name = f"front-{secrets.token_hex(4)}"
    return name, (("x-api-key", await issue_key("players", name=name)),)


@pytest.fixture
def unaccepted(register, new_telegram_id):
    """A player an internal service registered, without terms: no preferences row at all."""

    async def make() -> int:
        command = RegisterPlayerCommand(new_telegram_id(), language_code="pt-BR", currencies=(XTR,))
        return (await register(command)).player.id

    return make


async def _audit(engine, player_id: int) -> list:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                text(
                    "SELECT actor, before, after FROM audit_log"
                    " WHERE action = 'terms_accepted' AND subject = :s ORDER BY id"
                ),
                {"s": f"player:{player_id}"},
            )
        )


async def test_accepting_records_the_first_time_and_a_repeat_keeps_it(
    players, service, unaccepted, uow_factory, engine
):
    name, md = service
    player_id = await unaccepted()
    async with uow_factory() as uow:
        assert not (await uow.players.standing(player_id)).terms_accepted
        assert await uow.preferences.get(player_id) is None

    request = players_pb2.AcceptTermsRequest(player_id=str(player_id))
    first = await players.AcceptTerms(request, metadata=md)
    again = await players.AcceptTerms(request, metadata=md)

    accepted_at = datetime.fromisoformat(first.terms_accepted_at)
    assert accepted_at.utcoffset() is not None  # RFC 3339 carries its offset
    assert not first.replayed
    assert again.replayed
    assert again.terms_accepted_at == first.terms_accepted_at
    async with uow_factory() as uow:
        assert (await uow.players.standing(player_id)).terms_accepted
        preferences = await uow.preferences.get(player_id)
    assert preferences is not None
    assert preferences.terms_accepted_at == accepted_at
    assert preferences.language == "pt"  # the player's own, as the bot would speak it
    # Audited once, the first time, with the calling service as the actor.
    [entry] = await _audit(engine, player_id)
    assert entry.actor == f"service:{name}"
    assert entry.before == {"terms_accepted_at": None}
    assert entry.after == {"terms_accepted_at": accepted_at.isoformat()}


async def test_a_player_who_accepted_at_registration_gets_that_time(
    players, service, new_player, uow_factory, engine
):
    _, md = service
    player = await new_player()  # accept_terms=True
    async with uow_factory() as uow:
        preferences = await uow.preferences.get(player.id)
    assert preferences is not None
    assert preferences.terms_accepted_at is not None

    reply = await players.AcceptTerms(
        players_pb2.AcceptTermsRequest(player_id=str(player.id)), metadata=md
    )
    assert reply.replayed
    assert datetime.fromisoformat(reply.terms_accepted_at) == preferences.terms_accepted_at
    assert await _audit(engine, player.id) == []  # nothing changed, nothing audited


async def test_an_unknown_player_is_not_found(players, service):
    _, md = service
    for unknown in ("999999999999", str(2**63 - 1)):
        error = await rpc_error(
            players.AcceptTerms(players_pb2.AcceptTermsRequest(player_id=unknown), metadata=md)
        )
        assert error.code() == grpc.StatusCode.NOT_FOUND, unknown


@pytest.mark.parametrize("bad", ["", "abc", "1.5", "-3", "0", str(2**63), " 12x"])
async def test_a_bad_player_id_is_invalid_argument_naming_the_field(players, service, bad):
    _, md = service
    error = await rpc_error(
        players.AcceptTerms(players_pb2.AcceptTermsRequest(player_id=bad), metadata=md)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == ["player_id"]


async def test_a_key_without_the_players_service_is_refused(
    players, issue_key, unaccepted, uow_factory
):
    player_id = await unaccepted()
    others = (("x-api-key", await issue_key(*(SCOPES - {"players"}))),)
    error = await rpc_error(
        players.AcceptTerms(
            players_pb2.AcceptTermsRequest(player_id=str(player_id)), metadata=others
        )
    )
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    error = await rpc_error(
        players.AcceptTerms(players_pb2.AcceptTermsRequest(player_id=str(player_id)))
    )
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    async with uow_factory() as uow:
        assert not (await uow.players.standing(player_id)).terms_accepted


async def test_every_served_service_has_exactly_one_grantable_scope(channel, issue_key):
    """A service the server serves but no key can be granted (or a scope that opens nothing)
    would be unreachable: each service answers a key of exactly one scope, and every scope
    `croupier apikey create --service` offers opens one (the method scopes, such as "dice",
    open one method each: tests/entrypoints/test_grpc_service_keys.py)."""
    service_scopes = SCOPES - METHOD_SCOPES
    keys = {scope: (("x-api-key", await issue_key(scope)),) for scope in service_scopes}
    opened: dict[str, set[str]] = {}
    for full_name in SERVICES:
        method = descriptor_pool.Default().FindServiceByName(full_name).methods[0]
        call = channel.unary_unary(f"/{full_name}/{method.name}")
        for scope, md in keys.items():
            try:
                # Empty bytes are a valid empty message: the call gets past authorisation
                # and ends in whatever the method says of an empty request.
                await call(b"", metadata=md, timeout=30)
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.PERMISSION_DENIED:
                    continue
            opened.setdefault(full_name, set()).add(scope)
    assert {service: len(scopes) for service, scopes in opened.items()} == dict.fromkeys(
        SERVICES, 1
    )
    assert set().union(*opened.values()) == service_scopes


@pytest.fixture
async def registrar(issue_key):
    """A key name and its key, granted the register scope only."""
    name = f"front-{secrets.token_hex(4)}"
    return name, (("x-api-key", await issue_key("register", name=name)),)


async def _registered(engine, player_id: int) -> list:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                text(
                    "SELECT actor, after FROM audit_log"
                    " WHERE action = 'player_registered' AND subject = :s"
                ),
                {"s": f"player:{player_id}"},
            )
        )


async def test_ensure_player_makes_the_player_once_and_a_repeat_keeps_the_first(
    players, registrar, issue_key, new_telegram_id, uow_factory, engine
):
    name, md = registrar
    telegram_id = new_telegram_id()
    first = await players.EnsurePlayer(
        players_pb2.EnsurePlayerRequest(telegram_user_id=telegram_id, name="Ann", language="pt-BR"),
        metadata=md,
    )
    # Another name and language: the same player, nothing changed (the first registration
    # stands, as in the bot).
    again = await players.EnsurePlayer(
        players_pb2.EnsurePlayerRequest(telegram_user_id=telegram_id, name="Bea", language="ru"),
        metadata=md,
    )
    assert (first.created, again.created) == (True, False)
    assert again.player_id == first.player_id
    assert not first.terms_accepted
    player_id = int(first.player_id)
    async with uow_factory() as uow:
        player = await uow.players.get(player_id)
        preferences = await uow.preferences.get(player_id)
        wallets = await uow.accounts.wallets(player_id)
    assert (player.telegram_user_id, player.username, player.language_code) == (
        telegram_id,
        "Ann",
        "pt-BR",
    )
    assert preferences is not None
    assert preferences.language == "pt"
    assert [w.currency.code for w in wallets] == ["XTR"]
    [entry] = await _registered(engine, player_id)
    assert entry.actor == f"service:{name}"
    # Once the terms are accepted (AcceptTerms, a key of the players scope), the answer says so.
    await players.AcceptTerms(
        players_pb2.AcceptTermsRequest(player_id=first.player_id),
        metadata=(("x-api-key", await issue_key("players")),),
    )
    accepted = await players.EnsurePlayer(
        players_pb2.EnsurePlayerRequest(telegram_user_id=telegram_id, name="Ann"), metadata=md
    )
    assert accepted.terms_accepted


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"telegram_user_id": 0, "name": "ann"}, "telegram_user_id"),
        ({"telegram_user_id": -5, "name": "ann"}, "telegram_user_id"),
        ({"telegram_user_id": 2**52, "name": "ann"}, "telegram_user_id"),
        ({"name": ""}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "x" * 100_000}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"name": "ann", "language": "english"}, "language"),
        ({"name": "ann", "language": "en_US"}, "language"),
        ({"name": "ann", "language": "e" * 40}, "language"),
    ],
)
async def test_ensure_player_refuses_bad_input_naming_the_field(
    players, registrar, new_telegram_id, uow_factory, request_fields, field
):
    _, md = registrar
    fields = {"telegram_user_id": new_telegram_id(), **request_fields}
    error = await rpc_error(
        players.EnsurePlayer(players_pb2.EnsurePlayerRequest(**fields), metadata=md)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(error) == [field]
    if fields["telegram_user_id"] > 0:
        async with uow_factory() as uow:
            assert await uow.players.find_by_telegram_id(fields["telegram_user_id"]) is None


async def test_ensure_player_needs_the_register_scope(
    players, issue_key, new_telegram_id, uow_factory
):
    telegram_id = new_telegram_id()
    request = players_pb2.EnsurePlayerRequest(telegram_user_id=telegram_id, name="ann")
    # Every other scope, the players service's included, is refused.
    others = (("x-api-key", await issue_key(*(SCOPES - {"register"}))),)
    error = await rpc_error(players.EnsurePlayer(request, metadata=others))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "register" in (error.details() or "")
    error = await rpc_error(players.EnsurePlayer(request))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    async with uow_factory() as uow:
        assert await uow.players.find_by_telegram_id(telegram_id) is None


async def test_ensure_player_with_a_three_letter_language_speaks_english(
    players, registrar, new_telegram_id, uow_factory
):
    """Found by test_grpc_undecodable: "PRV" is a well-formed code, but the preferences hold
    one of two letters; it was INTERNAL."""
    _, md = registrar
    reply = await players.EnsurePlayer(
        players_pb2.EnsurePlayerRequest(
            telegram_user_id=new_telegram_id(), name="\x1c\x1c!", language="PRV"
        ),
        metadata=md,
    )
    assert reply.created
    async with uow_factory() as uow:
        player = await uow.players.get(int(reply.player_id))
        preferences = await uow.preferences.get(player.id)
    assert preferences is not None
    assert (player.username, player.language_code, preferences.language) == ("!", "PRV", "en")
