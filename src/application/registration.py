"""Registering players and opening their wallets."""

from __future__ import annotations

from dataclasses import dataclass

from application.onboarding import record_terms_acceptance
from application.ports import Clock, UnitOfWorkFactory
from domain.accounts import Account
from domain.money import Currency
from domain.players import Player, validate_telegram_user_id

MAX_USERNAME_LENGTH = 64
MAX_LANGUAGE_CODE_LENGTH = 16


@dataclass(frozen=True, slots=True)
class RegisterPlayerCommand:
    telegram_user_id: int
    username: str | None = None
    language_code: str | None = None
    currencies: tuple[Currency, ...] = ()
    # The player confirmed 18+ and accepted the terms in the caller's own front end, now: no
    # money moves for a player who has not (domain.standing), whichever door asks.
    accept_terms: bool = False


@dataclass(frozen=True, slots=True)
class Registration:
    player: Player
    created: bool
    wallets: tuple[Account, ...]


class RegisterPlayer:
    """Register a Telegram user as a player and open the wallets asked for. Idempotent: a user
    who registers twice (a repeated /start, two racing updates) is one player."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, command: RegisterPlayerCommand) -> Registration:
        validate_telegram_user_id(command.telegram_user_id)
        username = _clip(command.username, MAX_USERNAME_LENGTH)
        language = _clip(command.language_code, MAX_LANGUAGE_CODE_LENGTH)
        async with self._uow() as uow:
            player, created = await uow.players.register(
                command.telegram_user_id,
                username=username,
                language_code=language,
                now=self._clock.now(),
            )
            wallets = [await uow.accounts.open_wallet(player.id, c) for c in command.currencies]
            if command.accept_terms:
                await record_terms_acceptance(uow, player, self._clock.now(), language)
            await uow.commit()
        return Registration(player, created, tuple(wallets))


class OpenWallet:
    """Open a player's wallet in a currency (idempotent)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int, currency: Currency) -> Account:
        async with self._uow() as uow:
            await uow.players.get(player_id)
            account = await uow.accounts.open_wallet(player_id, currency)
            await uow.commit()
        return account


def _clip(value: str | None, limit: int) -> str | None:
    # Telegram's own limits are shorter; clipping keeps a hostile client from storing a novel.
    if value is None:
        return None
    value = value.strip()
    return value[:limit] or None
