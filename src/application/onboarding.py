"""A player's first steps: register in the bot (or through an internal service), the 18+/terms
gate (whichever door records it), language, referrals."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from application.staff import Actor
from domain.errors import InvalidRequest
from domain.money import XTR
from domain.onboarding import PlayerPreferences, valid_referral_code
from domain.players import (
    Player,
    validate_language_tag,
    validate_player_name,
    validate_telegram_user_id,
)
from domain.staff import AuditAction, AuditEntry
from domain.standing import PlayerStanding


@dataclass(frozen=True, slots=True)
class Onboarded:
    player: Player
    preferences: PlayerPreferences
    created: bool

    @property
    def standing(self) -> PlayerStanding:
        """What the player may do, as the standing policy reads it (no exclusion: the
        responsible-gambling guard adds that where money moves)."""
        return PlayerStanding(self.player.id, self.player.status, self.preferences.terms_accepted)


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
            onboarded = await start_player(
                uow,
                telegram_user_id,
                username=(username or "")[:64] or None,
                language_code=language,
                now=self._clock.now(),
                referral_code=referral_code,
            )
            await uow.commit()
        return onboarded


@dataclass(frozen=True, slots=True)
class EnsurePlayerCommand:
    telegram_user_id: int
    name: str  # stored as the player's username, as the bot stores the Telegram one
    language: str | None = None  # "en", "pt-BR"; None is English


class EnsurePlayer:
    """An internal service that fronts its own bot or site makes sure a Telegram user is a
    player, on the bot's road (`start_player`: the player, an XTR wallet, preferences in the
    player's language). Idempotent on the Telegram user id: a repeat answers the same player
    with `created` false and changes nothing, even with another name or language (the first
    registration's stand, as in the bot; staff see the player as registered). The creation is
    audited with the service as the actor. Terms are not accepted by it (`AcceptTerms`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: EnsurePlayerCommand, actor: Actor) -> Onboarded:
        telegram_user_id = validate_telegram_user_id(command.telegram_user_id)
        name = validate_player_name(command.name)
        tag = validate_language_tag(command.language or "en")
        now = self._clock.now()
        async with self._uow() as uow:
            onboarded = await start_player(
                uow, telegram_user_id, username=name, language_code=tag, now=now
            )
            if onboarded.created:
                await uow.audit.record(
                    AuditEntry(
                        AuditAction.PLAYER_REGISTERED,
                        now,
                        actor.label,
                        f"player:{onboarded.player.id}",
                        actor.source,
                        after={"language": tag},
                    )
                )
            await uow.commit()
        return onboarded


async def start_player(
    uow: UnitOfWork,
    telegram_user_id: int,
    *,
    username: str | None,
    language_code: str,
    now: datetime,
    referral_code: str | None = None,
) -> Onboarded:
    """The one way a Telegram user becomes a player, in the caller's unit of work: the player
    (idempotent), an XTR wallet, and the preferences (in `language_code`'s language, with the
    referral) the first time.

    Attribution (docs/bonuses.md, "Referrals"): only a player registered by this very call
    is credited to the owner of `referral_code`, never to themselves, and an unknown code is
    ignored; the referrer is fixed with the preferences (a trigger refuses any change)."""
    player, created = await uow.players.register(
        telegram_user_id, username=username, language_code=language_code, now=now
    )
    await uow.accounts.open_wallet(player.id, XTR)
    preferences = await uow.preferences.get(player.id)
    if preferences is None:
        referrer = None
        if created and referral_code and valid_referral_code(referral_code):
            referrer = await uow.preferences.player_by_referral(referral_code)
        preferences = await uow.preferences.create(
            player.id,
            language=_language(language_code),
            referral_code=secrets.token_hex(5),
            referred_by=referrer if referrer != player.id else None,
        )
    return Onboarded(player, preferences, created)


@dataclass(frozen=True, slots=True)
class TermsAccepted:
    player_id: int
    at: datetime  # the first acceptance, whichever road recorded it
    replayed: bool  # accepted before this call: nothing changed


class AcceptTerms:
    """Record that the player confirmed 18+ and accepted the terms: in the bot or the Mini App
    (the player acts), or in an internal service's own front end (the service acts, by its key
    name). The first time counts and is audited; a repeat changes nothing and answers with that
    time. Works for a player registered without the bot's preferences (`RegisterPlayer`): it
    makes them. `NotFound` for an unknown player. A blocked player may accept too: no money
    moves by it, and the block still refuses what it refuses."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, actor: Actor | None = None) -> TermsAccepted:
        actor = actor or Actor.player(player_id)
        async with self._uow() as uow:
            player = await uow.players.get(player_id)
            accepted = await record_terms_acceptance(uow, player, self._clock.now())
            if not accepted.replayed:
                await uow.audit.record(
                    AuditEntry(
                        AuditAction.TERMS_ACCEPTED,
                        accepted.at,
                        actor.label,
                        f"player:{player.id}",
                        actor.source,
                        before={"terms_accepted_at": None},
                        after={"terms_accepted_at": accepted.at.isoformat()},
                    )
                )
                await self._first_accepted(uow, player)
            await uow.commit()
        return accepted

    async def _first_accepted(self, uow: UnitOfWork, player: Player) -> None:
        """What else happens, in the same transaction, when a player first accepts (they
        may receive promotions from now on): nothing here; `WelcomeOnAcceptance` grants the
        welcome campaigns."""


async def record_terms_acceptance(
    uow: UnitOfWork, player: Player, now: datetime, language: str | None = None
) -> TermsAccepted:
    """The one way terms acceptance is written, in the caller's unit of work: the preferences
    row the gate lives in (made if the player has none, in `language` or the player's own) and
    the time, kept if already set. Auditing is the caller's: a registration that accepts at
    once is not audited, as registering is not."""
    if await uow.preferences.get(player.id) is None:
        await uow.preferences.create(
            player.id,
            language=_language(language or player.language_code),
            referral_code=secrets.token_hex(5),
            referred_by=None,
        )
    at, recorded = await uow.preferences.accept_terms(player.id, now)
    return TermsAccepted(player.id, at, replayed=not recorded)


def _language(code: str | None) -> str:
    # "pt-BR" from Telegram is "pt" to the bot's texts; nothing known is English, and so is a
    # three-letter code ("fil"): the bot's languages are two letters (the preferences' check).
    base = (code or "").split("-")[0].lower()
    return base if len(base) == 2 and base.isascii() and base.isalpha() else "en"


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
