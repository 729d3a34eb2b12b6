"""Who may call: API keys of services (the gRPC door's check), apart from staff logins
(passwords, TOTP, tokens, the login throttle), player session tokens, and the staff and audit
use cases."""

from __future__ import annotations

from collections.abc import Iterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.login_throttle import RedisLoginThrottle
from adapters.passwords import Argon2Hasher
from adapters.postgres.api_keys import SqlApiKeyStore
from adapters.seed_cipher import development_seed_key
from adapters.tokens import JwtPlayerSessions, JwtTokens
from adapters.totp import TotpCodes
from application.access import (
    Authenticate,
    IssueApiKey,
    ListApiKeys,
    RevokeApiKey,
)
from application.audit import SearchAudit
from application.ports import (
    ApiKeyStore,
    LoginThrottle,
    OneTimeCodes,
    PasswordHasher,
    PlayerSessions,
    TokenCodec,
)
from application.staff import (
    AuthenticateStaff,
    ChangePassword,
    ConfirmTotp,
    CreateStaff,
    EnableTotp,
    IssueStaffKey,
    ListStaffKeys,
    Login,
    RevokeStaffKey,
    SetStaffDisabled,
)
from entrypoints.settings import Settings


def _token_key(settings: Settings) -> bytes:
    key = settings.secret_key
    if key is not None:
        return key.encode()
    # Development only: production refuses to start without CROUPIER_SECRET_KEY.
    return development_seed_key(settings.data_dir.resolve() / "token.key")


class ApiKeysProvider(Provider):
    """The services' API keys: the check every gRPC call passes (one per process), and issuing,
    revoking and listing them (one per request)."""

    scope = Scope.APP

    @provide
    def api_keys(self, engine: AsyncEngine) -> ApiKeyStore:
        return SqlApiKeyStore(engine)

    authenticate = provide(Authenticate)
    issue_api_key = provide(IssueApiKey, scope=Scope.REQUEST)
    revoke_api_key = provide(RevokeApiKey, scope=Scope.REQUEST)
    list_api_keys = provide(ListApiKeys, scope=Scope.REQUEST)


class AccessProvider(Provider):
    """Staff credentials and player session tokens and their checks (one per process); the
    staff and audit use cases (one per request)."""

    scope = Scope.APP

    @provide
    def password_hasher(self) -> Iterator[PasswordHasher]:
        # Two workers: hashes run beside the loop, never more than two at once per process.
        hasher = Argon2Hasher(workers=2)
        yield hasher
        hasher.close()

    @provide
    def tokens(self, settings: Settings) -> TokenCodec:
        return JwtTokens(_token_key(settings))

    @provide
    def player_sessions(self, settings: Settings) -> PlayerSessions:
        # The same key as staff tokens; the audience keeps the two kinds apart.
        return JwtPlayerSessions(_token_key(settings))

    @provide
    def login_throttle(self, redis: Redis) -> LoginThrottle:
        return RedisLoginThrottle(redis)

    one_time_codes = provide(TotpCodes, provides=OneTimeCodes)
    authenticate_staff = provide(AuthenticateStaff)

    create_staff = provide(CreateStaff, scope=Scope.REQUEST)
    # One per process: it keeps the dummy hash an unknown name is verified against.
    login = provide(Login)
    enable_totp = provide(EnableTotp, scope=Scope.REQUEST)
    confirm_totp = provide(ConfirmTotp, scope=Scope.REQUEST)
    issue_staff_key = provide(IssueStaffKey, scope=Scope.REQUEST)
    list_staff_keys = provide(ListStaffKeys, scope=Scope.REQUEST)
    revoke_staff_key = provide(RevokeStaffKey, scope=Scope.REQUEST)
    change_password = provide(ChangePassword, scope=Scope.REQUEST)
    set_staff_disabled = provide(SetStaffDisabled, scope=Scope.REQUEST)
    search_audit = provide(SearchAudit, scope=Scope.REQUEST)
