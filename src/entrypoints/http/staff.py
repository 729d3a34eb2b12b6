"""Staff sessions: log in, who am I, second factor, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.staff import Actor, EnableTotp, IssueStaffKey, Login
from domain.staff import StaffMember
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, provide_staff, source_of


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str = msgspec.field()
    password: str = msgspec.field()
    totp_code: str | None = None


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_at: datetime
    username: str
    role: str


class StaffView(msgspec.Struct):
    id: int
    username: str
    role: str
    totp_enabled: bool


class TotpResponse(msgspec.Struct):
    secret: str
    provisioning_uri: str


class KeyRequest(msgspec.Struct, forbid_unknown_fields=True):
    label: str


class KeyResponse(msgspec.Struct):
    key_id: str
    label: str
    api_key: str


def staff_view(member: StaffMember) -> StaffView:
    return StaffView(member.id, member.username, member.role.value, member.totp_enabled)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/login", summary="Exchange credentials for a 15-minute bearer token", status_code=200)
    @inject
    async def login(
        self,
        data: JSONBody[LoginRequest],
        request: Request[Any, Any, Any],
        login: FromDishka[Login],
    ) -> TokenResponse:
        session = await login(data.username, data.password, data.totp_code, source_of(request))
        return TokenResponse(
            session.token,
            "Bearer",
            session.expires_at,
            session.member.username,
            session.member.role.value,
        )


class MeController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]  # noqa: RUF012
    guards = [ANY_STAFF]  # noqa: RUF012
    security = SECURITY
    dependencies = {  # noqa: RUF012
        "staff": Provide(provide_staff),
        "actor": Provide(provide_actor),
    }

    @get("/me", summary="The calling staff member")
    async def me(self, staff: NamedDependency[StaffMember]) -> StaffView:
        return staff_view(staff)

    @post("/totp", summary="Turn on the TOTP second factor", status_code=201)
    @inject
    async def totp(
        self,
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        enable: FromDishka[EnableTotp],
    ) -> TotpResponse:
        enrolment = await enable(staff, actor)
        return TotpResponse(enrolment.secret, enrolment.provisioning_uri)

    @post("/keys", summary="Issue an API key acting as yourself (shown once)", status_code=201)
    @inject
    async def issue_key(
        self,
        data: JSONBody[KeyRequest],
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        issue: FromDishka[IssueStaffKey],
    ) -> KeyResponse:
        issued = await issue(staff, data.label, actor)
        return KeyResponse(issued.key.key_id, issued.key.label, issued.plaintext)
