"""Who is calling the admin API, and may they: bearer tokens and staff API keys, checked by
Litestar guards that each route declares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dishka import AsyncContainer
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme

from application.staff import Actor, AuthenticateStaff
from domain.errors import Forbidden, Unauthenticated
from domain.staff import Role, StaffMember

STAFF_KEY_HEADER = "x-api-key"
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]

SECURITY_COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
        "apiKey": SecurityScheme(type="apiKey", name=STAFF_KEY_HEADER, security_scheme_in="header"),
    }
)
SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> StaffMember:
    """The caller, resolved once per request and kept on its state."""
    cached = connection.state.get("staff")
    if isinstance(cached, StaffMember):
        return cached
    container: AsyncContainer = connection.app.state.dishka_container
    auth = await container.get(AuthenticateStaff)
    header = connection.headers.get("authorization", "")
    key = connection.headers.get(STAFF_KEY_HEADER)
    if header.lower().startswith("bearer "):
        member = await auth.by_token(header[7:].strip())
    elif key:
        member = await auth.by_key(key)
    else:
        raise Unauthenticated("log in and send 'Authorization: Bearer <token>', or an API key")
    connection.state["staff"] = member
    return member


def requires(*roles: Role) -> Guard:
    """A guard admitting staff with one of `roles` (admins always)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        member = await authenticate(connection)
        if not member.may(*roles):
            needed = ", ".join(r.value for r in roles) or "admin"
            raise Forbidden(f"this needs the role {needed}; {member.username} is {member.role}")

    return guard


def source_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return connection.client.host if connection.client else ""


async def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    return Actor.staff(await authenticate(connection), source_of(connection))


async def provide_staff(request: Request[Any, Any, Any]) -> StaffMember:
    return await authenticate(request)


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return await actor_of(request)


ANY_STAFF = requires(Role.VIEWER, Role.SUPPORT, Role.FINANCE, Role.OPERATOR)
