"""The catalogue of aggregators' games (docs/aggregators.md, "The catalogue"): refreshed from
each aggregator's games list, switched on and off by the operator (audited), and read by
players through a short in-process cache.

Why an in-process cache and not Redis: the list players read is small (one row per game the
operator turned on) and read on every visit to the screen, while PostgreSQL stays the truth
for what is launched: `LaunchGame` reads the game's row itself, so a game switched off is
refused at once even while a stale list still shows it. A per-process cache then costs no
network hop and no second store to keep in step (Redis may be lost), at the price of a list
up to `ttl` old in each process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from application.ports import AggregatorApi, Clock, UnitOfWorkFactory
from application.refreshed_cache import RefreshedCache
from application.staff import Actor
from domain.aggregator_games import AggregatorGame, RefreshResult
from domain.errors import DomainError, NotFound
from domain.seamless import validate_external_id, validate_provider
from domain.staff import AuditAction, AuditEntry

DEFAULT_CACHE_TTL = timedelta(seconds=30)


class RefreshAggregatorGames:
    """Ask the aggregator for its games list and upsert it: new games come in switched off,
    known ones take the aggregator's name, category, product and switch, and a game gone
    from the list is marked unlisted (not launchable) until it comes back. The aggregator
    down is `AggregatorUnavailable` and changes nothing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        api: AggregatorApi,
        clock: Clock,
        cache: LaunchableGamesCache,
    ) -> None:
        self._uow = uow
        self._api = api
        self._clock = clock
        self._cache = cache

    async def __call__(self, aggregator: str) -> RefreshResult:
        validate_provider(aggregator)
        if not self._api.knows(aggregator):
            raise NotFound(f"no operator API is configured for aggregator {aggregator!r}")
        listed = await self._api.games(aggregator)  # before the transaction: a slow call
        unique = {game.game_code: game for game in listed}  # a code listed twice: the last
        # In code order: two refreshes at once (two processes' periodic jobs) lock the rows in
        # the same order, and the second waits for the first rather than deadlocking.
        ordered = [unique[code] for code in sorted(unique)]
        async with self._uow() as uow:
            added, delisted = await uow.aggregator_games.refresh(
                aggregator, ordered, self._clock.now()
            )
            await uow.commit()
        self._cache.forget()
        return RefreshResult(aggregator, len(unique), added, delisted)


class RefreshAllAggregatorGames:
    """The periodic refresh of `croupier run`: every configured aggregator, one after the
    other; one down does not stop the others (its error is in the answer)."""

    def __init__(self, api: AggregatorApi, refresh: RefreshAggregatorGames) -> None:
        self._api = api
        self._refresh = refresh

    async def __call__(self) -> list[RefreshResult | DomainError]:
        results: list[RefreshResult | DomainError] = []
        for aggregator in self._api.configured():
            try:
                results.append(await self._refresh(aggregator))
            except DomainError as error:  # one aggregator down: the others still refresh
                results.append(error)
        return results


def _describe(game: AggregatorGame) -> dict[str, object]:
    return {"operator_enabled": game.operator_enabled, "launchable": game.launchable}


class SetAggregatorGameEnabled:
    """The operator's switch of one game (staff with the operator role, or the CLI), audited
    with its before and after in the same transaction. Switching on a game the aggregator
    has off or no longer lists is allowed (it stays unlaunchable until the aggregator offers
    it again); the answer says so (`launchable`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, cache: LaunchableGamesCache) -> None:
        self._uow = uow
        self._clock = clock
        self._cache = cache

    async def __call__(
        self, aggregator: str, game_code: str, enabled: bool, actor: Actor
    ) -> AggregatorGame:
        validate_provider(aggregator)
        validate_external_id(game_code, "game code")
        async with self._uow() as uow:
            current = await uow.aggregator_games.lock(aggregator, game_code)
            if current is None:
                raise NotFound(f"aggregator {aggregator!r} has no game {game_code!r} listed")
            if current.operator_enabled == enabled:
                return current  # nothing changes, nothing to audit
            await uow.aggregator_games.set_operator_enabled(aggregator, game_code, enabled)
            changed = await uow.aggregator_games.get(aggregator, game_code)
            assert changed is not None  # locked above
            await uow.audit.record(
                AuditEntry(
                    AuditAction.AGGREGATOR_GAME_CHANGED,
                    self._clock.now(),
                    actor.label,
                    f"aggregator_game:{aggregator}/{game_code}",
                    actor.source,
                    before=_describe(current),
                    after=_describe(changed),
                )
            )
            await uow.commit()
        self._cache.forget()
        return changed


class ListAggregatorGames:
    """The catalogue as staff see it: every game, launchable or not, from PostgreSQL."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, aggregator: str | None = None) -> Sequence[AggregatorGame]:
        if aggregator is not None:
            validate_provider(aggregator)
        async with self._uow() as uow:
            return await uow.aggregator_games.list(aggregator)


class LaunchableGamesCache:
    """The launchable games, kept for `ttl` in this process (see the module's docstring).
    Forgotten at once by this process's own refresh and switch; another process's change
    shows after at most `ttl`.

    A `RefreshedCache` of one entry, never read ahead (`refresh_after` is `ttl`): when the list
    has expired, the lobby's visitors of that moment share one read of PostgreSQL rather than
    each sending its own (a herd of them on every expiry, at the moment the screen is busiest);
    a visitor who leaves does not stop the others' read, and a failed read is not kept. A read
    under way when `forget` is called is neither kept nor shared with a caller who came after
    it: its list may predate the change."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ttl: timedelta = DEFAULT_CACHE_TTL
    ) -> None:
        self._uow = uow
        seconds = ttl.total_seconds()
        self._games: RefreshedCache[None, Sequence[AggregatorGame]] = RefreshedCache(
            self._launchable,
            max_age=seconds,
            refresh_after=seconds,
            monotonic=lambda: clock.now().timestamp(),
        )

    async def games(self) -> Sequence[AggregatorGame]:
        return await self._games.get(None)

    def forget(self) -> None:
        self._games.forget(None)

    async def _launchable(self, _: None) -> Sequence[AggregatorGame]:
        async with self._uow() as uow:
            return tuple(await uow.aggregator_games.launchable())


class PlayerAggregatorGames:
    """The games a player may launch (the Mini App's "More games"), of the aggregators with
    an operator API configured, from the cache."""

    def __init__(self, api: AggregatorApi, cache: LaunchableGamesCache) -> None:
        self._api = api
        self._cache = cache

    async def __call__(self) -> Sequence[AggregatorGame]:
        games = await self._cache.games()
        return [game for game in games if self._api.knows(game.aggregator)]
