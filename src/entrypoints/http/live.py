"""Live updates over WebSocket, for the Mini App and for staff dashboards.

URLs (same host and port as the HTTP API; `wss://` behind TLS):

    /api/v1/app/live     a player's own events: balance changes, bets placed/settled/voided,
                         withdrawals. Token: the Mini App session token from
                         `POST /api/v1/app/session`.
    /api/v1/staff/live   the staff feed: withdrawal requests, risk flags (large wins are flags of
                         kind large_win). Token: a staff access token from
                         `POST /api/v1/auth/login`, any role.

Authentication. Browsers cannot set headers on a WebSocket, so the token travels in one of:

  1. the subprotocol list (it stays out of URLs, and so out of access logs and proxies' logs):
         new WebSocket(url, ["croupier.v1", "bearer." + token])
     the server picks "croupier.v1" (or echoes the bearer entry when it is the only one offered);
  2. outside browsers, the usual `Authorization: Bearer <token>` header (staff: also X-API-Key).

A token in the query string (`?token=…`, accepted before issue 18) is refused with 1008: a URL
is written to access logs, proxies' logs and browser histories (the logs redact it anyway,
entrypoints.observability.redaction).

A missing, invalid or expired token: the connection is accepted and closed at once with code
1008 (policy violation) and the reason as text. Tokens are checked again every minute; when one
expires the socket is closed with 1008, and the client reconnects with a fresh one. A blocked
player's socket is refused, or closed with 1008 and the reason "this account is blocked;
contact support" as soon as the block's `player.blocked` event arrives (its last message),
and at the latest at the next minute's check.

Messages, server to client, one JSON object per text frame:

    {"type": "hello", "channel": "player", "player_id": 42, "live": true}   on connect
    {"type": "hello", "channel": "staff", "staff": "ann", "role": "finance", "live": true}
    {"id": "...", "type": "bet.settled", ...}   each event envelope, exactly as published
    {"type": "resync", "reason": "..."}         the feed lost Redis for a while and is back:
                                                events in between were missed, refetch state
    {"type": "pong"}                            answer to a client's {"type": "ping"}
    {"type": "crash.started", "round": {...}}   player sockets, after the client sends
                                                {"type": "subscribe", "to": "crash"}: crash
                                                rounds' changes (docs/miniapp.md, "Crash")

"live": false in hello means Redis is unreachable right now: the socket stays open and events
flow once it is back (after a "resync"). Clients need not send anything; the server pings at the
protocol level (uvicorn, every 20 s), and `{"type": "ping"}` is there for clients that want an
application-level heartbeat. Other close codes: 1013 when a client reads too slowly to keep up
(its queue overflowed; reconnect and refetch), 1001/1012 when the server shuts down.

Fan-out: each app instance holds one Redis pub/sub subscription (`croupier:live:*`, see
`adapters.redis_live`) and hands messages to its own sockets, so any number of instances can run
behind a load balancer without sticky sessions."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from dishka import AsyncContainer
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from application.crash import Disconnected, RoundFeed
from application.live import (
    STAFF_TOPIC,
    Ended,
    LiveHub,
    Resync,
    SubscriptionEnded,
    player_topic,
)
from application.miniapp import ReadPlayerSession
from application.ports import LiveMessage
from application.staff import AuthenticateStaff
from domain.errors import DomainError, Forbidden, StorageUnavailable, Unauthenticated
from domain.staff import Role, StaffMember
from entrypoints.http.auth import STAFF_KEY_HEADER
from entrypoints.http.miniapp_crash import live_message

log = logging.getLogger(__name__)

PLAYER_LIVE_PATH = "/api/v1/app/live"
STAFF_LIVE_PATH = "/api/v1/staff/live"
SUBPROTOCOL = "croupier.v1"
BEARER_PREFIX = "bearer."

POLICY_VIOLATION = 1008
GOING_AWAY = 1001
TRY_AGAIN_LATER = 1013

EXPIRED = "the session expired; reconnect with a new token"
NOT_IN_URL = "never put the token in the URL; send it as subprotocol bearer.<token>"

RECHECK_SECONDS = 60.0  # how often a connected client's token is checked again
READY_SECONDS = 2.0  # how long a new socket waits for the feed's subscription before hello
STAFF_ROLES = (Role.VIEWER, Role.SUPPORT, Role.FINANCE, Role.OPERATOR)  # admins too


# -- credentials -------------------------------------------------------------------------------


def _offered_protocols(socket: WebSocket[Any, Any, Any]) -> list[str]:
    offered = socket.headers.get("sec-websocket-protocol", "")
    return [p.strip() for p in offered.split(",") if p.strip()]


def _token_in_url(socket: WebSocket[Any, Any, Any]) -> bool:
    return "token" in socket.query_params


def _token(socket: WebSocket[Any, Any, Any]) -> str | None:
    for protocol in _offered_protocols(socket):
        if protocol.lower().startswith(BEARER_PREFIX):
            return protocol[len(BEARER_PREFIX) :] or None
    header = socket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _chosen_protocol(socket: WebSocket[Any, Any, Any]) -> str | None:
    """A browser that offered subprotocols fails the handshake unless one is chosen."""
    offered = _offered_protocols(socket)
    if SUBPROTOCOL in offered:
        return SUBPROTOCOL
    return next((p for p in offered if p.lower().startswith(BEARER_PREFIX)), None)


async def _refuse(socket: WebSocket[Any, Any, Any], reason: str) -> None:
    # Accept, then close: a refusal before accepting reaches a browser as a bare 403 with no
    # code or reason it can read.
    await socket.accept(subprotocols=_chosen_protocol(socket))
    await socket.close(code=POLICY_VIOLATION, reason=reason[:120])


def _container(socket: WebSocket[Any, Any, Any]) -> AsyncContainer:
    container: AsyncContainer = socket.app.state.dishka_container
    return container


# -- routes ------------------------------------------------------------------------------------


@websocket(PLAYER_LIVE_PATH)
async def player_live(socket: WebSocket[Any, Any, Any]) -> None:
    """A player's own events, live. Token: the Mini App session token."""
    if _token_in_url(socket):
        await _refuse(socket, NOT_IN_URL)
        return
    token = _token(socket)
    if token is None:
        await _refuse(socket, "send the session token as subprotocol bearer.<token>")
        return
    container = _container(socket)
    read = await container.get(ReadPlayerSession)
    try:
        player_id = await read(token)
    except DomainError as error:
        await _refuse(socket, error.message)
        return

    async def still_valid() -> str | None:
        try:
            await read(token)
        except StorageUnavailable as error:  # the database away for a moment: check later
            log.warning("could not recheck a player live socket's session: %s", error)
        except Unauthenticated:
            return EXPIRED
        except DomainError as error:  # blocked since: the reason says so
            return error.message
        except Exception as error:  # likewise, whatever else the outage raised
            log.warning("could not recheck a player live socket's session: %s", error)
        return None

    feed = await container.get(RoundFeed)

    async def crash_rounds(send: Callable[[str], Awaitable[None]]) -> None:
        # Only once the client asks ({"type": "subscribe", "to": "crash"}): the crash screen.
        async for event in feed.listen():
            await send(live_message(event, viewer=player_id))

    await _stream(
        socket,
        await container.get(LiveHub),
        player_topic(player_id),
        {"type": "hello", "channel": "player", "player_id": player_id},
        still_valid,
        crash_rounds,
    )


@websocket(STAFF_LIVE_PATH)
async def staff_live(socket: WebSocket[Any, Any, Any]) -> None:
    """The staff feed: withdrawal requests, risk flags, large wins. Any staff role."""
    if _token_in_url(socket):
        await _refuse(socket, NOT_IN_URL)
        return
    token = _token(socket)
    key = socket.headers.get(STAFF_KEY_HEADER)
    if token is None and not key:
        await _refuse(socket, "send a staff token as subprotocol bearer.<token>")
        return
    container = _container(socket)
    auth = await container.get(AuthenticateStaff)

    async def who() -> StaffMember:
        member = await (auth.by_token(token) if token is not None else auth.by_key(key or ""))
        if not member.may(*STAFF_ROLES):
            raise Forbidden(f"{member.username} may not read the staff feed")
        return member

    try:
        member = await who()
    except DomainError as error:
        await _refuse(socket, error.message)
        return

    async def still_valid() -> str | None:
        try:
            await who()
        except StorageUnavailable as error:  # the database away for a moment: check later
            log.warning("could not recheck a staff live socket's token: %s", error)
        except DomainError:
            return EXPIRED
        except Exception as error:  # likewise, whatever else the outage raised
            log.warning("could not recheck a staff live socket's token: %s", error)
        return None

    await _stream(
        socket,
        await container.get(LiveHub),
        STAFF_TOPIC,
        {"type": "hello", "channel": "staff", "staff": member.username, "role": member.role.value},
        still_valid,
    )


LIVE_HANDLERS = [player_live, staff_live]


# -- one connection ----------------------------------------------------------------------------


async def _stream(
    socket: WebSocket[Any, Any, Any],
    hub: LiveHub,
    topic: str,
    hello: dict[str, Any],
    still_valid: Callable[[], Awaitable[str | None]],
    on_request: Callable[[Callable[[str], Awaitable[None]]], Coroutine[Any, Any, None]]
    | None = None,
) -> None:
    """Subscribe, say hello, then pass messages on until the client leaves, reads too slowly,
    its token expires (`still_valid` answers why it is no longer good, None while it is),
    its player is blocked or the server stops."""
    await hub.wait_receiving(READY_SECONDS)
    await socket.accept(subprotocols=_chosen_protocol(socket))
    sending = asyncio.Lock()

    async def send(text: str) -> None:
        async with sending:
            await socket.send_text(text)

    async def pump() -> None:
        while True:
            await send(_text(await subscription.next()))

    wanted = asyncio.Event()  # the client asked for the extra feed (crash rounds)

    async def listen() -> None:
        # Reading is how a disconnect is noticed; a client may ping, and subscribe to crash.
        while True:
            text = await socket.receive_text()
            with contextlib.suppress(ValueError):
                request = json.loads(text)
                if isinstance(request, dict) and request.get("type") == "ping":
                    await send('{"type":"pong"}')
                elif (
                    on_request is not None
                    and isinstance(request, dict)
                    and request.get("type") == "subscribe"
                    and request.get("to") == "crash"
                ):
                    wanted.set()

    async def more() -> None:
        assert on_request is not None
        await wanted.wait()
        await on_request(send)

    async def watch() -> None:
        while True:
            await asyncio.sleep(RECHECK_SECONDS)
            why = await still_valid()
            if why is not None:
                raise _SessionEnded(why)

    with hub.subscribe(topic) as subscription:
        await send(json.dumps({**hello, "live": hub.receiving}))
        tasks = {
            asyncio.create_task(pump()): "pump",
            asyncio.create_task(listen()): "listen",
            asyncio.create_task(watch()): "watch",
        }
        if on_request is not None:  # the crash rounds' changes, on a player's socket that asks
            tasks[asyncio.create_task(more())] = "extra"
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finished = next(iter(done))
    error = finished.exception() if not finished.cancelled() else None
    if isinstance(error, _SessionEnded):
        await _close(socket, POLICY_VIOLATION, error.why)
    elif isinstance(error, SubscriptionEnded):
        await _close(socket, _CLOSE_CODES[error.why], error.why.value)
    elif isinstance(error, Disconnected):
        await _close(socket, TRY_AGAIN_LATER, str(error))
    elif error is not None and not isinstance(error, (WebSocketDisconnect, OSError)):
        log.warning("live socket on %s failed: %r", topic, error)
        await _close(socket, 1011, "internal error")
    # Otherwise the client is gone: nothing to say.


def _text(message: LiveMessage | Resync) -> str:
    """What the socket sends: an event as it was published, or the resync notice."""
    if isinstance(message, Resync):
        return json.dumps({"type": "resync", "reason": message.reason})
    return message.text


class _SessionEnded(Exception):
    """The socket's token is no longer good (expired, or its player blocked): `why`."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


_CLOSE_CODES = {
    Ended.TOO_SLOW: TRY_AGAIN_LATER,
    Ended.HUB_STOPPED: GOING_AWAY,
    Ended.BLOCKED: POLICY_VIOLATION,
}


async def _close(socket: WebSocket[Any, Any, Any], code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # the client may be gone already
        await socket.close(code=code, reason=reason[:120])  # a close frame carries 123 bytes
