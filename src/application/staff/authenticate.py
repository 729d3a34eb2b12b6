"""Who a request's token or API key belongs to."""

from __future__ import annotations

import hmac

from application.ports import Clock, TokenCodec, UnitOfWorkFactory
from application.staff.keys import split_staff_key
from domain.access import hash_secret
from domain.errors import NotFound, Unauthenticated
from domain.staff import StaffMember


class AuthenticateStaff:
    """The staff member behind a bearer token or a staff API key, or `Unauthenticated`."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, tokens: TokenCodec) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens

    async def by_token(self, token: str) -> StaffMember:
        claims = self._tokens.read(token, self._clock.now())
        if claims is None:
            raise Unauthenticated("the token is invalid or expired; log in again")
        staff_id, version = claims
        async with self._uow() as uow:
            try:
                member = await uow.staff.get(staff_id)
            except NotFound:
                raise Unauthenticated("the token's account no longer exists") from None
        if member.disabled or member.token_version != version:
            raise Unauthenticated("the token was revoked; log in again")
        return member

    async def by_key(self, presented: str) -> StaffMember:
        parts = split_staff_key(presented)
        if parts is None:
            raise Unauthenticated("the API key is malformed")
        key_id, secret = parts
        async with self._uow() as uow:
            found = await uow.staff.key(key_id)
        if found is None:
            raise Unauthenticated("unknown or revoked API key")
        key, member = found
        if not hmac.compare_digest(hash_secret(secret), key.secret_hash):
            raise Unauthenticated("unknown or revoked API key")
        if not key.live(self._clock.now()):
            raise Unauthenticated("the API key was revoked or has expired")
        if member.disabled:
            raise Unauthenticated("the key's account is disabled")
        return member
