"""The Mini App's door: Telegram-signed launch data in, a short-lived player session out.

A session token is stateless (signed, with an expiry), so what ends a blocked player's
sessions at once is reading the player's standing with every token: `ReadPlayerSession` runs
on each Mini App request and when a live socket opens (and every minute while it is open),
and refuses a blocked player's token (`PlayerBlocked`, 403). The cost is one primary-key read
per request, on the database the request is about to use anyway; a "sessions valid from"
stamp per player would have cost the same read (or a Redis one that could disagree with the
database), and revoking in a second store would leave a window whenever that store was
away. Lifting the block makes the player's unexpired tokens good again: the standing, not the
token, says who may play."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.onboarding import Onboarded, StartPlayer
from application.ports import Clock, PlayerSessions, UnitOfWorkFactory
from application.session_refusals import ACCOUNT_BLOCKED
from domain.errors import NotFound, Unauthenticated
from domain.money import Money
from domain.onboarding import PlayerPreferences
from domain.players import Player, PlayerStatus
from domain.referrals import referral_code_from_start
from domain.standing import PlayerBlocked
from domain.webapp import DEFAULT_MAX_AGE, validate_init_data


@dataclass(frozen=True, slots=True)
class MiniAppConfig:
    bot_token: str | None  # None: no bot, so no Mini App either
    max_age: timedelta = DEFAULT_MAX_AGE


@dataclass(frozen=True, slots=True)
class MiniAppSession:
    token: str
    expires_at: datetime
    onboarded: Onboarded


class OpenMiniAppSession:
    """Check the Mini App's `initData` against the bot token, register the Telegram user if
    new (as `/start` would), and issue a session token. A blocked player gets no session."""

    def __init__(
        self,
        config: MiniAppConfig,
        clock: Clock,
        sessions: PlayerSessions,
        start: StartPlayer,
    ) -> None:
        self._config = config
        self._clock = clock
        self._sessions = sessions
        self._start = start

    async def __call__(self, init_data: str) -> MiniAppSession:
        if self._config.bot_token is None:
            raise Unauthenticated("the Mini App is not enabled on this server")
        now = self._clock.now()
        user = validate_init_data(init_data, self._config.bot_token, now, self._config.max_age)
        language = (user.language_code or "en").split("-")[0].lower()[:8] or "en"
        onboarded = await self._start(
            user.telegram_user_id,
            username=user.username,
            language=language,
            referral_code=referral_code_from_start(user.start_param),
        )
        if not onboarded.player.is_active:
            raise PlayerBlocked(ACCOUNT_BLOCKED)
        token, expires = self._sessions.issue(onboarded.player.id, now)
        return MiniAppSession(token, expires, onboarded)


class ReadPlayerSession:
    """The player behind a session token: `Unauthenticated` when the token is missing, forged
    or expired (checked first, without touching the database), `PlayerBlocked` when staff
    have blocked the player since it was issued."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, sessions: PlayerSessions) -> None:
        self._uow = uow
        self._clock = clock
        self._sessions = sessions

    async def __call__(self, token: str, *, settling: bool = False) -> int:
        """`settling`: for a door that only pays a bet already placed (a crash cash-out),
        which a block does not stop (domain.standing): a blocked player's session still
        reaches it."""
        player_id = self._sessions.read(token, self._clock.now())
        if player_id is None:
            raise Unauthenticated("the session is missing, invalid or expired; reopen the app")
        try:
            async with self._uow() as uow:
                standing = await uow.players.standing(player_id)
        except NotFound:
            raise Unauthenticated("the session's player does not exist; reopen the app") from None
        # Only a block ends a session: a player who has not accepted the terms needs the
        # session to accept them, and an excluded one to see their limits and history.
        if standing.status is PlayerStatus.BLOCKED and not settling:
            raise PlayerBlocked(ACCOUNT_BLOCKED)
        return player_id


@dataclass(frozen=True, slots=True)
class Me:
    player: Player
    preferences: PlayerPreferences
    balances: tuple[Money, ...]


class GetMe:
    """The player, their preferences and balances, read together."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> Me:
        async with self._uow() as uow:
            player = await uow.players.get(player_id)
            preferences = await uow.preferences.get(player_id)
            wallets = await uow.accounts.wallets(player_id)
        if preferences is None:
            raise NotFound(f"player {player_id} has not started the bot")
        return Me(player, preferences, tuple(w.money for w in wallets))
