"""/vip: the player's VIP level, their progress to the next in their own numbers, the
rakeback they can claim (a button per currency) and the daily play-money bonus. A player on
a break, unconfirmed or blocked is refused by the use case (the standing's wording): they
see nothing about levels, rakeback or bonuses."""

from __future__ import annotations

import uuid

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.vip import ClaimDailyBonus, ClaimRakeback, GetVipStatus, VipStatus
from domain.money import CurrencyRegistry
from domain.players import Player
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show
from entrypoints.bot.vip_keyboards import Vip, vip_done, vip_menu

handlers = Handlers("vip")


def _percent(status: VipStatus) -> str:
    share = status.progress.level.share * 100
    return str(share.numerator) if share.denominator == 1 else f"{float(share):g}"


def level_name(t: Translator, name: str) -> str:
    """The default levels in the player's language; an operator's own names as written."""
    try:
        return t(f"vip.levels.{name}")
    except KeyError:
        return name


def status_text(t: Translator, status: VipStatus) -> str:
    progress = status.progress
    lines = [
        t("vip.title", level=level_name(t, progress.level.name)),
        t("vip.wagered", amount=progress.wagered, days=status.window_days),
    ]
    if progress.next_level is not None and progress.to_next is not None:
        lines.append(
            t("vip.next", level=level_name(t, progress.next_level.name), amount=progress.to_next)
        )
    else:
        lines.append(t("vip.top"))
    lines.append(t("vip.share", percent=_percent(status)))
    owed = [amount for amount in status.claimable if not amount.is_zero()]
    if owed:
        lines.append(t("vip.claimable", amount=", ".join(t.money(a) for a in owed)))
    else:
        lines.append(t("vip.nothing_yet"))
    if status.daily_taken:
        lines.append(t("vip.daily_taken", time=status.next_daily_at.strftime("%H:%M")))
    else:
        lines.append(t("vip.daily_ready", amount=status.daily_bonus))
    return "\n".join(lines)


@handlers.message(Command("vip"))
@inject
async def vip_command(
    message: Message, player: Player, t: Translator, status: FromDishka[GetVipStatus]
) -> None:
    shown = await status(player.id)
    await message.answer(status_text(t, shown), reply_markup=vip_menu(t, shown))


@handlers.callback_query(Vip.filter(F.action == "show"))
@inject
async def vip_button(
    query: CallbackQuery, player: Player, t: Translator, status: FromDishka[GetVipStatus]
) -> None:
    shown = await status(player.id)
    await query.answer()
    await show(query, status_text(t, shown), vip_menu(t, shown))


@handlers.callback_query(Vip.filter(F.action == "claim"))
@inject
async def claim_rakeback(
    query: CallbackQuery,
    callback_data: Vip,
    player: Player,
    t: Translator,
    claim: FromDishka[ClaimRakeback],
    currencies: FromDishka[CurrencyRegistry],
) -> None:
    try:
        claim_id = uuid.UUID(hex=callback_data.claim)
    except ValueError:
        await query.answer(t("vip.stale"), show_alert=True)
        return
    # Nothing to claim (an old screen, paid since) is the refusal's alert (refusals.py).
    paid = await claim(player.id, currencies.get(callback_data.currency), claim_id)
    await query.answer()
    await show(
        query, t("vip.claimed", amount=paid.amount, level=level_name(t, paid.level)), vip_done(t)
    )


@handlers.callback_query(Vip.filter(F.action == "daily"))
@inject
async def daily_bonus(
    query: CallbackQuery, player: Player, t: Translator, daily: FromDishka[ClaimDailyBonus]
) -> None:
    result = await daily(player.id)
    await query.answer()
    if result.paid is None:
        text = t("vip.daily_again", time=result.next_at.strftime("%H:%M"))
    else:
        text = t("vip.daily_paid", amount=result.paid)
    await show(query, text, vip_done(t))
