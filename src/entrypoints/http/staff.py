"""Staff sessions: log in, who am I, password, second factor, API keys; an admin disables and
re-enables accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from application.staff import (
    Actor,
    ChangePassword,
    ConfirmTotp,
    EnableTotp,
    IssueStaffKey,
    ListStaffKeys,
    Login,
    RevokeStaffKey,
    SetStaffDisabled,
)
from domain.staff import Role, StaffKey, StaffMember
from entrypoints.http.auth import (
    ANY_STAFF,
    SECURITY,
    provide_actor,
    provide_staff,
    requires,
    source_of,
)


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


class TotpRequest(msgspec.Struct, forbid_unknown_fields=True):
    password: str
    totp_code: str | None = None  # the current code, when a secret is already in force


class TotpConfirmation(msgspec.Struct, forbid_unknown_fields=True):
    totp_code: str


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: str
    new_password: str


class KeyRequest(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    totp_code: str | None = None  # required when the account has the second factor
    expires_at: datetime | None = None


class KeyResponse(msgspec.Struct):
    key_id: str
    label: str
    api_key: str
    expires_at: datetime | None


class KeyView(msgspec.Struct):
    key_id: str
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def key_view(key: StaffKey) -> KeyView:
    return KeyView(key.key_id, key.label, key.created_at, key.expires_at, key.revoked_at)


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

    @post(
        "/password",
        summary="Change your password: every session and API key of yours ends",
        status_code=200,
    )
    @inject
    async def change_password(
        self,
        data: JSONBody[PasswordChange],
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        change: FromDishka[ChangePassword],
    ) -> StaffView:
        return staff_view(await change(staff, data.current_password, data.new_password, actor))

    @post(
        "/totp",
        summary="Start (re-)enrolling the TOTP second factor: a new secret, pending until "
        "confirmed (needs the password, and the current code when enrolled)",
        status_code=201,
    )
    @inject
    async def totp(
        self,
        data: JSONBody[TotpRequest],
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        enable: FromDishka[EnableTotp],
    ) -> TotpResponse:
        enrolment = await enable(staff, data.password, data.totp_code, actor)
        return TotpResponse(enrolment.secret, enrolment.provisioning_uri)

    @post(
        "/totp/confirm",
        summary="Confirm the new secret with its first code; your API keys are revoked",
        status_code=200,
    )
    @inject
    async def confirm_totp(
        self,
        data: JSONBody[TotpConfirmation],
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        confirm: FromDishka[ConfirmTotp],
    ) -> StaffView:
        return staff_view(await confirm(staff, data.totp_code, actor))

    @get("/keys", summary="Your API keys (never their secrets)")
    @inject
    async def list_keys(
        self, staff: NamedDependency[StaffMember], keys: FromDishka[ListStaffKeys]
    ) -> list[KeyView]:
        return [key_view(k) for k in await keys(staff)]

    @delete("/keys/{key_id:str}", summary="Revoke an API key of yours", status_code=204)
    @inject
    async def revoke_key(
        self,
        key_id: FromPath[str],
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        revoke: FromDishka[RevokeStaffKey],
    ) -> None:
        await revoke(staff, key_id, actor)

    @post("/keys", summary="Issue an API key acting as yourself (shown once)", status_code=201)
    @inject
    async def issue_key(
        self,
        data: JSONBody[KeyRequest],
        staff: NamedDependency[StaffMember],
        actor: NamedDependency[Actor],
        issue: FromDishka[IssueStaffKey],
    ) -> KeyResponse:
        issued = await issue(staff, data.label, actor, data.totp_code, data.expires_at)
        return KeyResponse(
            issued.key.key_id, issued.key.label, issued.plaintext, issued.key.expires_at
        )


class StaffAccountsController(Controller):
    path = "/api/v1/staff"
    tags = ["auth"]  # noqa: RUF012
    guards = [requires(Role.ADMIN)]  # noqa: RUF012
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @post(
        "/{username:str}/disable",
        summary="Disable a staff account: its sessions and API keys end",
        status_code=200,
    )
    @inject
    async def disable(
        self,
        username: FromPath[str],
        actor: NamedDependency[Actor],
        set_disabled: FromDishka[SetStaffDisabled],
    ) -> StaffView:
        return staff_view(await set_disabled(username, True, actor))

    @post(
        "/{username:str}/enable",
        summary="Re-enable a staff account (old sessions stay ended: log in again)",
        status_code=200,
    )
    @inject
    async def enable(
        self,
        username: FromPath[str],
        actor: NamedDependency[Actor],
        set_disabled: FromDishka[SetStaffDisabled],
    ) -> StaffView:
        return staff_view(await set_disabled(username, False, actor))
