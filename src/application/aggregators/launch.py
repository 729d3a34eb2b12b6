"""Launching an aggregator's game (docs/aggregators.md, "Launching a game"): the player's
standing as a bet's, the game launchable in the catalogue, a fresh game session token, and the
aggregator's URL for it."""

from __future__ import annotations

from dataclasses import dataclass

from application.aggregators.sessions import IssueGameSession
from application.ports import AggregatorApi, Clock, UnitOfWorkFactory
from domain.aggregator_games import GameUrlRequest, check_game_url, game_unknown
from domain.errors import InvalidRequest
from domain.game_sessions import aggregator_user
from domain.money import CurrencyRegistry
from domain.seamless import validate_external_id, validate_provider
from domain.standing import Operation

# The languages the Mini App speaks; Hub88 takes ISO 639-1 codes.
_LANGUAGES = frozenset({"en", "ru", "es", "pt", "tr"})


@dataclass(frozen=True, slots=True)
class LaunchConfig:
    lobby_url: str = ""  # where the game's "home" button leads (the Mini App's URL)


@dataclass(frozen=True, slots=True)
class LaunchedGame:
    aggregator: str
    game_code: str
    currency: str
    url: str


class LaunchGame:
    """A game URL for one player, game and currency. Refused, with the same errors as every
    other game's door, for a player the standing refuses a bet (blocked, terms not accepted,
    timed out, self-excluded: `Operation.BET`); `GameUnavailable` for a game the catalogue
    does not hold launchable (unknown, switched off by the operator or by the aggregator, gone
    from its list: one refusal for all, a player learns nothing of the catalogue), or of an
    aggregator without an operator API; `UnknownCurrency` for a currency Croupier does not
    know; `AggregatorUnavailable` when the aggregator does not answer with a URL. Nothing is
    written: the token is signed, not stored, and one never used expires."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        api: AggregatorApi,
        sessions: IssueGameSession,
        currencies: CurrencyRegistry,
        config: LaunchConfig,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._api = api
        self._sessions = sessions
        self._currencies = currencies
        self._config = config

    async def __call__(
        self,
        player_id: int,
        aggregator: str,
        game_code: str,
        currency: str,
        *,
        platform: str = "GPL_MOBILE",
    ) -> LaunchedGame:
        validate_provider(aggregator)
        validate_external_id(game_code, "game code")
        if not isinstance(currency, str):
            raise InvalidRequest("currency must be text")
        in_currency = self._currencies.get(currency.upper())
        now = self._clock.now()
        async with self._uow() as uow:
            # The standing with the player's own break (a time-out, a self-exclusion), read
            # without the lock a bet takes: a launch moves no money, and every bet the game
            # then makes is weighed again, under that lock, by the wallet (SeamlessDebit).
            profile = await uow.responsible.profile(player_id)
            standing = await uow.players.standing(player_id)
            standing.with_exclusion(profile.exclusion).require(Operation.BET, now)
            game = await uow.aggregator_games.get(aggregator, game_code)
            preferences = await uow.preferences.get(player_id)
        if game is None or not self._api.knows(aggregator):
            raise game_unknown(game_code)
        game.require_launchable()
        token = await self._sessions(player_id, in_currency, game_code, aggregator)
        language = preferences.language if preferences is not None else "en"
        request = GameUrlRequest(
            user=aggregator_user(player_id),
            token=token,
            game_code=game_code,
            currency=in_currency.code,
            lang=language if language in _LANGUAGES else "en",
            platform=platform,
            lobby_url=self._config.lobby_url,
        )
        url = check_game_url(await self._api.game_url(aggregator, request))
        return LaunchedGame(aggregator, game_code, in_currency.code, url)
