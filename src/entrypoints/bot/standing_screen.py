"""What a player whose standing refuses bets or deposits sees when opening the games list or the
deposit screen: the state itself (a time-out or self-exclusion and until when, a block, the
18+ confirmation still missing) and what still works, instead of buttons that would only be
refused at the last tap. `application.responsible.standing.CheckStanding` decides; the
operation's own use case decides again when money would move."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from domain.errors import DomainError
from domain.responsible import ResponsibleGamblingRefusal, format_moment
from domain.standing import Rule, StandingRefusal
from entrypoints.bot import keyboards
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from entrypoints.bot.refusals import refusal_text


def _button(t: Translator, action: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(text=t(f"menu.{action}"), callback_data=Menu(action=action).pack())
    ]


def exclusion_text(t: Translator, refusal: ResponsibleGamblingRefusal) -> str:
    """A time-out or self-exclusion in force: until when, and that withdrawals still work."""
    if refusal.rule == "timeout" and refusal.until is not None:
        return t("care.timed_out", until=format_moment(refusal.until))
    if refusal.until is None:
        return t("care.self_excluded_forever")
    return t("care.self_excluded", until=format_moment(refusal.until))


def standing_screen(t: Translator, refusal: DomainError) -> tuple[str, InlineKeyboardMarkup]:
    """The screen shown instead of the games or the deposit amounts."""
    back = [InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="main").pack())]
    if isinstance(refusal, ResponsibleGamblingRefusal) and refusal.rule in (
        "timeout",
        "self_excluded",
    ):
        # Money out is what a break is for: the way there is one tap away.
        rows = [_button(t, "withdraw"), _button(t, "limits"), back]
        return exclusion_text(t, refusal), InlineKeyboardMarkup(inline_keyboard=rows)
    if isinstance(refusal, StandingRefusal) and refusal.rule is Rule.TERMS_NOT_ACCEPTED:
        return t("start.gate"), keyboards.gate(t)
    # A block (support is the way out) and anything else the standing may refuse one day.
    rows = [_button(t, "help"), back]
    return refusal_text(t, refusal), InlineKeyboardMarkup(inline_keyboard=rows)
