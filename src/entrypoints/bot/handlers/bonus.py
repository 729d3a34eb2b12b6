"""The player's bonus (docs/bonuses.md): "🎁 Bonus" in the menu, and `/bonus`. The screen
shows each active bonus, its progress ("120 of 500 ⭐ wagered"), how much each game counts,
the largest stake that counts and the expiry; a claim button once wagering is met, and a
give-up button that asks first. A player the standing refuses promotions sees nothing of it:
no button in the menu, and `/bonus` is answered as an unknown message."""

from __future__ import annotations

import uuid
from datetime import UTC

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.bonuses import BonusOverview, ConvertBonus, ForfeitBonus, PlayerBonuses
from application.free_bets import FreeBetOverview, PlayerFreeBets
from domain.bonuses import Bonus, BonusState
from domain.players import Player
from entrypoints.bot import bonus_keyboards as kb
from entrypoints.bot import free_bets_screen, keyboards
from entrypoints.bot.game_texts import game_name
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("bonus")


def _when(bonus: Bonus) -> str:
    # The player's time zone is unknown to the bot: UTC, said so.
    return bonus.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _contributions(t: Translator, overview: BonusOverview) -> str:
    """One line per share, largest first: "100%: Plinko, Limbo, …"."""
    by_share: dict[int, list[str]] = {}
    for code, pct in overview.contributions.items():
        by_share.setdefault(pct, []).append(game_name(t, code))
    return "\n".join(
        t("bonus.counts_line", pct=pct, games=", ".join(sorted(names)))
        for pct, names in sorted(by_share.items(), reverse=True)
    )


def screen(t: Translator, overview: BonusOverview) -> str:
    if not overview.bonuses:
        return t("bonus.none")
    parts = []
    for status in overview.bonuses:
        bonus, progress = status.bonus, status.progress
        lines = [t("bonus.amount", amount=bonus.amount)]
        if progress.required.amount:  # nothing to wager: no "0 of 0" and no stake rule
            lines.append(
                t("bonus.progress", wagered=progress.wagered.amount, required=progress.required)
            )
        lines.append(t("bonus.expires", when=_when(bonus)))
        if bonus.max_stake is not None and progress.required.amount:
            lines.append(t("bonus.max_stake", max_stake=bonus.max_stake))
        lines.append(t("bonus.ready") if status.claimable else t("bonus.rule"))
        parts.append("\n".join(lines))
    # Duels count too (adapters/postgres/bonuses.py): said with the terms, not left to guess.
    counts = t("bonus.counts_title") + "\n" + _contributions(t, overview)
    return "\n\n".join([*parts, counts + "\n" + t("bonus.counts_duels")])


def _with_free_bets(
    t: Translator, overview: BonusOverview, free_bets: FreeBetOverview | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The screen, with the free bets to play (docs/bonuses.md, "Free bets") after the bonus
    and their "Play" buttons first."""
    text = screen(t, overview)
    listed = free_bets_screen.section(t, free_bets)
    if listed is not None:
        text = f"{text}\n\n{listed}"
    markup = kb.bonus_screen(t, [(s.bonus.id, s.claimable) for s in overview.bonuses])
    rows = [*free_bets_screen.buttons(t, free_bets), *markup.inline_keyboard]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


@handlers.message(Command("bonus"))
@inject
async def bonus_command(
    message: Message,
    player: Player,
    t: Translator,
    bonuses: FromDishka[PlayerBonuses],
    free_bets: FromDishka[PlayerFreeBets],
) -> None:
    overview = await bonuses(player.id)
    if overview is None:  # no word of bonuses to this player: as any unknown message
        await message.answer(t("nav.not_understood"), reply_markup=keyboards.main_menu(t))
        return
    text, markup = _with_free_bets(t, overview, await free_bets(player.id))
    await message.answer(text, reply_markup=markup)


@handlers.callback_query(Menu.filter(F.action == "bonus"))
@inject
async def bonus_menu(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    bonuses: FromDishka[PlayerBonuses],
    free_bets: FromDishka[PlayerFreeBets],
) -> None:
    await query.answer()
    overview = await bonuses(player.id)
    if overview is None:
        await show(query, t("nav.unknown_button"), keyboards.main_menu(t))
        return
    text, markup = _with_free_bets(t, overview, await free_bets(player.id))
    await show(query, text, markup)


def _bonus_id(data: kb.BonusAction) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=data.bonus)
    except ValueError:
        return None


@handlers.callback_query(kb.BonusAction.filter(F.action == "claim"))
@inject
async def claim(
    query: CallbackQuery,
    callback_data: kb.BonusAction,
    player: Player,
    t: Translator,
    convert: FromDishka[ConvertBonus],
) -> None:
    bonus_id = _bonus_id(callback_data)
    if bonus_id is None:
        await query.answer()
        return
    ended = await convert(bonus_id, player_id=player.id)  # refusals: the error handler
    await query.answer()
    text = (
        t("bonus.converted", amount=ended.amount)
        if ended.state is BonusState.CONVERTED
        else t("bonus.expired", amount=ended.amount)
    )
    await show(query, text, kb.after(t))


@handlers.callback_query(kb.BonusAction.filter(F.action == "give_up"))
async def give_up(query: CallbackQuery, callback_data: kb.BonusAction, t: Translator) -> None:
    await query.answer()
    await show(query, t("bonus.give_up_ask"), kb.give_up_sure(t, callback_data.bonus))


@handlers.callback_query(kb.BonusAction.filter(F.action == "give_up_sure"))
@inject
async def give_up_sure(
    query: CallbackQuery,
    callback_data: kb.BonusAction,
    player: Player,
    t: Translator,
    forfeit: FromDishka[ForfeitBonus],
) -> None:
    bonus_id = _bonus_id(callback_data)
    if bonus_id is None:
        await query.answer()
        return
    ended = await forfeit(player.id, bonus_id)
    await query.answer()
    await show(query, t("bonus.given_up", amount=ended.amount), kb.after(t))
