"""The dispatcher: middlewares, routers, error handling; polling for development, a webhook
served by the HTTP app for production."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot, Dispatcher
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, ErrorEvent, Message, User
from dishka import AsyncContainer
from dishka.integrations.aiogram import setup_dishka
from redis.asyncio import Redis

from application.onboarding import StartPlayer
from domain.errors import DomainError, StorageUnavailable
from domain.responsible import DepositLimitPromptDue, ResponsibleGamblingRefusal
from entrypoints.bot import keyboards, screens
from entrypoints.bot.commands import register_commands
from entrypoints.bot.deposit_prompt import prompt_screen
from entrypoints.bot.flow_storage import FlowStorage
from entrypoints.bot.freshness import KeepTrack, LiveKeyboards
from entrypoints.bot.groups import handlers as groups
from entrypoints.bot.handlers import (
    bonus,
    crash,
    crypto_deposit,
    deposit_prompt,
    duel_lobbies,
    duels,
    fairness,
    fallback,
    free_bets,
    games,
    history,
    limit_typing,
    mines,
    notifications,
    payments,
    promo,
    referral,
    responsible,
    rules,
    start,
    support,
    vip,
    withdrawals,
    withdrawals_pending,
)
from entrypoints.bot.i18n import Translator, pick_language
from entrypoints.bot.middlewares import (
    DropRepeatedUpdates,
    EndTypedPrompts,
    PlayerContext,
    Throttle,
    UpdateContext,
)
from entrypoints.bot.refusals import refusal_text
from entrypoints.bot.routing import Handlers
from entrypoints.observability.metrics import DOMAIN_ERRORS

log = logging.getLogger(__name__)
errors = Handlers("errors")


# How long the error handler looks for the player's language before answering in their
# Telegram's: the answer matters more than its language when the books are slow.
LANGUAGE_LOOKUP_TIMEOUT = 2.0


async def _translator(
    user: User | None, private: bool, container: AsyncContainer | None
) -> Translator:
    """The player's own language, as the menu set it (their Telegram's when it cannot be
    read): the middleware's translator does not reach the error handler. Outside a private
    chat (a group's duel) nobody is registered, so there it is their Telegram's."""
    fallback = Translator(pick_language(user.language_code if user else None))
    if user is None or user.is_bot or container is None or not private:
        return fallback
    try:
        async with asyncio.timeout(LANGUAGE_LOOKUP_TIMEOUT):
            start = await container.get(StartPlayer)
            onboarded = await start(
                user.id, username=user.username, language=pick_language(user.language_code)
            )
    except Exception:  # the books are out of reach (the error may be that): their Telegram's
        log.warning("bot: the player's language could not be read", exc_info=True)
        return fallback
    return Translator(onboarded.preferences.language)


@errors.errors()
async def polite_errors(event: ErrorEvent, dishka_container: AsyncContainer | None = None) -> bool:
    """A player never sees a stack trace: a refused operation says why in their words and
    language (`refusals.refusal_text`, never the error's own message), anything else gets an
    apology (and the log gets the trace)."""
    update = event.update
    target: Message | CallbackQuery | None = update.message or update.callback_query
    user = target.from_user if target is not None else None
    if update.pre_checkout_query is not None:
        user = update.pre_checkout_query.from_user
        dishka_container = None  # Telegram's 10 s: answer at once, in their Telegram's language
    message = target.message if isinstance(target, CallbackQuery) else target
    private = message is None or message.chat.type == ChatType.PRIVATE
    t = await _translator(user, private, dishka_container)
    error = event.exception
    if isinstance(error, DomainError):
        DOMAIN_ERRORS.labels("bot", error.code).inc()
    if update.pre_checkout_query is not None:
        # Telegram waits 10 s for the answer and then fails the payment with its own vague
        # message: refuse at once, in words the player can act on (nothing was charged).
        log.error("pre-checkout %s failed", update.pre_checkout_query.id, exc_info=error)
        await update.pre_checkout_query.answer(ok=False, error_message=t("deposit.failed"))
        return True
    if isinstance(error, ResponsibleGamblingRefusal) and error.rule == "reality_check":
        # Not an alert: the player must see the check and press to acknowledge it.
        message = target.message if isinstance(target, CallbackQuery) else target
        if isinstance(target, CallbackQuery):
            await target.answer()
        if isinstance(message, Message):
            await message.answer(refusal_text(t, error), reply_markup=keyboards.acknowledge(t))
        return True
    if isinstance(error, DepositLimitPromptDue):
        # The deposit use case's rule (UKGC RTS 12) met past the handler's own look (a deposit
        # limit removed in between): the prompt's screen, as the handler would have shown it.
        text, markup = prompt_screen(t)
        if isinstance(target, CallbackQuery):
            await target.answer()
            await screens.show(target, text, markup)
        elif isinstance(target, Message):
            await target.answer(text, reply_markup=markup)
        return True
    if isinstance(error, StorageUnavailable):
        log.warning("bot update %s met a lost database connection", update.update_id)
        text = t("errors.generic")
    elif isinstance(error, DomainError):
        text = refusal_text(t, error)
    else:
        log.error("bot update %s failed", update.update_id, exc_info=event.exception)
        text = t("errors.generic")
    if isinstance(target, CallbackQuery):
        await target.answer(text, show_alert=True)
    elif isinstance(target, Message):
        await target.answer(text)
    return True


def build_dispatcher(container: AsyncContainer, redis: Redis, bot_id: int) -> Dispatcher:
    dp = Dispatcher(storage=FlowStorage(redis))  # conversations in progress (flow_storage)
    # The update's id goes around everything, aiogram's own error middleware included, so the
    # error handler's lines carry it too.
    aiogram_own = list(dp.update.outer_middleware[:])
    for middleware in aiogram_own:
        dp.update.outer_middleware.unregister(middleware)
    dp.update.outer_middleware(UpdateContext())
    for middleware in aiogram_own:
        dp.update.outer_middleware(middleware)
    dp.update.outer_middleware(DropRepeatedUpdates(redis, bot_id))
    dp.update.outer_middleware(KeepTrack(LiveKeyboards(redis, bot_id)))
    setup_dishka(container, dp)
    for observer in (dp.message, dp.callback_query, dp.pre_checkout_query):
        observer.outer_middleware(Throttle(redis))
        observer.outer_middleware(PlayerContext())
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(EndTypedPrompts())
    # First: a tap on an out-of-date keyboard reaches no other handler. Last: whatever no
    # handler took is answered with the menu (handlers/fallback.py).
    dp.include_routers(
        # Groups: the bot's arrival, and the duel and lobby commands (the only ones groups
        # get); lobbies before duels, whose router ends with the groups' catch-alls.
        groups.router(),
        duel_lobbies.handlers.router(),
        duels.handlers.router(),
        fallback.first.router(),
        start.handlers.router(),
        games.handlers.router(),
        mines.handlers.router(),
        crash.handlers.router(),
        fairness.handlers.router(),
        history.handlers.router(),
        payments.handlers.router(),
        deposit_prompt.handlers.router(),
        crypto_deposit.handlers.router(),
        withdrawals.handlers.router(),
        withdrawals_pending.handlers.router(),
        bonus.handlers.router(),
        free_bets.handlers.router(),
        responsible.handlers.router(),
        limit_typing.handlers.router(),
        referral.handlers.router(),
        notifications.handlers.router(),
        support.handlers.router(),
        promo.handlers.router(),
        vip.handlers.router(),
        rules.handlers.router(),
        fallback.last.router(),
        errors.router(),
    )
    # At every start: polling emits it; webhook mode once the webhook is registered.
    dp.startup.register(register_commands)
    return dp


async def run_polling(dp: Dispatcher, bot: Bot) -> None:
    """Development: long polling (a webhook, if one was set, is removed first)."""
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(bot, handle_signals=False)
