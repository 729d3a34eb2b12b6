"""A player's first steps in the bot: register, the 18+/terms gate, language, referrals."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from application.ports import Clock, UnitOfWorkFactory
from domain.errors import InvalidRequest
from domain.money import XTR
from domain.onboarding import PlayerPreferences, valid_referral_code
from domain.players import Player, validate_telegram_user_id


@dataclass(frozen=True, slots=True)
class Onboarded:
    player: Player
    preferences: PlayerPreferences
    created: bool


class StartPlayer:
    """Register the Telegram user (idempotent) with an XTR wallet and preferences, crediting
    the referral to whoever owns `referral_code` (only on first registration, never oneself)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self,
        telegram_user_id: int,
        *,
        username: str | None,
        language: str,
        referral_code: str | None = None,
    ) -> Onboarded:
        validate_telegram_user_id(telegram_user_id)
        async with self._uow() as uow:
            player, created = await uow.players.register(
                telegram_user_id,
                username=(username or "")[:64] or None,
                language_code=language,
                now=self._clock.now(),
            )
            await uow.accounts.open_wallet(player.id, XTR)
            preferences = await uow.preferences.get(player.id)
            if preferences is None:
                referrer = None
                if referral_code and valid_referral_code(referral_code):
                    referrer = await uow.preferences.player_by_referral(referral_code)
                preferences = await uow.preferences.create(
                    player.id,
                    language=language,
                    referral_code=secrets.token_hex(5),
                    referred_by=referrer if referrer != player.id else None,
                )
            await uow.commit()
        return Onboarded(player, preferences, created)


class AcceptTerms:
    """Record that the player confirmed 18+ and accepted the terms (first time counts)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int) -> None:
        async with self._uow() as uow:
            await uow.preferences.accept_terms(player_id, self._clock.now())
            await uow.commit()


class SetLanguage:
    """Change the language the bot speaks to the player (a two-letter code; the bot falls
    back to English for one it has no texts for)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int, language: str) -> None:
        if not re.fullmatch(r"[a-z]{2}", language):
            raise InvalidRequest("a language is a two-letter code such as en or ru")
        async with self._uow() as uow:
            await uow.preferences.set_language(player_id, language)
            await uow.commit()
