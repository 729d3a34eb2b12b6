"""Game sessions: issued when a player opens an aggregator's game, read on the aggregator's
calls that need a live player (user info, balance, bet)."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports import ApiKeyStore, Clock, GameSessionConfig, UnitOfWorkFactory
from domain.access import ApiKey, NoServiceKey
from domain.errors import InvalidRequest
from domain.game_sessions import GameSession, issue_token, read_token
from domain.money import Currency, CurrencyRegistry, Money
from domain.seamless import validate_provider
from domain.standing import Operation


def _key(config: GameSessionConfig) -> bytes:
    if config.key is None:
        raise InvalidRequest("game sessions are not configured (CROUPIER_GAME_SESSION_KEY)")
    return config.key


class IssueGameSession:
    """A token for one player, currency and game at one aggregator, expiring after the
    configured lifetime. The player must exist; nothing is written (the token is signed, not
    stored: see `domain.game_sessions`). `LaunchGame` calls it before asking the aggregator
    for a game URL with the token; staff may too (`croupier aggregator session`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, config: GameSessionConfig) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config

    async def __call__(
        self, player_id: int, currency: Currency, game_id: str, aggregator: str
    ) -> str:
        key = _key(self._config)
        session = GameSession.open(
            player_id=player_id,
            currency=currency,
            game_id=game_id,
            aggregator=aggregator,
            now=self._clock.now(),
            ttl=self._config.ttl,
        )
        async with self._uow() as uow:
            await uow.players.get(player_id)  # NotFound for a player who does not exist
        return issue_token(session, key)


@dataclass(frozen=True, slots=True)
class SessionView:
    session: GameSession
    balance: Money


class ReadGameSession:
    """The session a token stands for, checked against the player and currency the call
    names (`InvalidSessionToken`, `SessionTokenExpired`), and the player's balance in it.
    `with_standing` also refuses a player the standing would refuse a bet
    (`StandingRefusal`): the user-info call, which the aggregator asks before a game starts."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        config: GameSessionConfig,
        currencies: CurrencyRegistry,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._config = config
        self._currencies = currencies

    async def __call__(
        self,
        token: str,
        aggregator: str,
        player_id: int,
        currency: str | None = None,
        game_id: str | None = None,
        *,
        with_standing: bool = False,
    ) -> SessionView:
        now = self._clock.now()
        session = read_token(token, _key(self._config), aggregator=aggregator, now=now)
        session.require_for(player_id, currency or session.currency, game_id)
        in_currency = self._currencies.get(session.currency)
        async with self._uow() as uow:
            standing = await uow.players.standing(player_id)
            if with_standing:
                standing.require(Operation.BET, now)
            wallet = await uow.accounts.wallet(player_id, in_currency)
        balance = wallet.money if wallet is not None else Money(0, in_currency)
        return SessionView(session, balance)

    def currency_of(self, token: str, aggregator: str) -> str:
        """The currency a token Croupier signed names, expired or not (a rollback's)."""
        return read_token(token, _key(self._config), aggregator=aggregator, now=None).currency


class AggregatorKey:
    """The service key an aggregator calls under: the active key named after it, granted the
    seamless wallet. Its caps bound every win it pays, as a gRPC provider's do; revoking it
    stops the aggregator, whatever its signatures, within the store's cache of a few seconds
    (as a gRPC key)."""

    def __init__(self, store: ApiKeyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def __call__(self, aggregator: str) -> ApiKey:
        validate_provider(aggregator)
        now = self._clock.now()
        key = await self._store.find_active(aggregator)
        live = key is not None and (key.expires_at is None or now < key.expires_at)
        if key is not None and live and key.may_call("seamless"):
            return key
        raise NoServiceKey(f"aggregator {aggregator!r} has no active seamless service key")
