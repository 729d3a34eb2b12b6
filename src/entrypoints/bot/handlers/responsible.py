"""Responsible gambling in the bot: limits, time-out, self-exclusion and reality checks.

The rules live in `application.responsible`; this module only shows the state, offers the
choices, and asks twice before anything that cannot be undone."""

from __future__ import annotations

import contextlib
from datetime import datetime

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from dishka.integrations.aiogram import FromDishka, inject

from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    LimitStatus,
    RemoveLimit,
    ResponsibleStatus,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from domain.errors import InvalidRequest
from domain.money import XTR, Money
from domain.players import Player
from domain.responsible import (
    Exclusion,
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
    TimeoutPeriod,
    format_moment,
)
from entrypoints.bot import keyboards, screens
from entrypoints.bot.deposit_prompt import after_limit
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import (
    EXCLUSION_PERIODS,
    LIMIT_AMOUNTS,
    LIMIT_KINDS,
    LIMIT_PERIODS,
    REALITY_CHECK_MINUTES,
    TIMEOUT_PERIODS,
    Care,
    Menu,
)
from entrypoints.bot.routing import Handlers

handlers = Handlers("responsible")


def _until(t: Translator, moment: datetime | None) -> str:
    """When a time-out or exclusion ends; None is for ever."""
    return format_moment(moment) if moment else t("care.forever")


def refusal_text(t: Translator, refusal: ResponsibleGamblingRefusal) -> str:
    """A refusal in the player's language; the rule decides the wording."""
    until = _until(t, refusal.until)
    if refusal.rule == "timeout":
        return t("care.refused.timeout", until=until)
    if refusal.rule == "self_excluded":
        return t("care.refused.self_excluded", until=until)
    if refusal.rule == "cooling_off" and refusal.until is not None and refusal.limit is not None:
        return t("refusals.cooling_off", until=until, limit=refusal.limit)
    if refusal.rule == "reality_check":
        return t(
            "care.refused.reality_check",
            minutes=int(refusal.session_time.total_seconds() // 60) if refusal.session_time else 0,
            result=refusal.net_result or Money(0, XTR),
        )
    if refusal.rule.endswith(tuple(f"_limit_{p}" for p in LIMIT_PERIODS)):
        kind, _, period = refusal.rule.partition("_limit_")
        return t(
            "care.refused.limit",
            limit=t(f"care.kind.{kind}") if kind in LIMIT_KINDS else kind,
            period=t(f"care.period.{period}"),
            amount=refusal.limit or "",
            remaining=refusal.remaining or "",
        )
    return t("refusals.care_other")  # a rule added later: never the system's own English


def _limit_line(t: Translator, status: LimitStatus) -> str:
    limit = status.limit
    facts = {
        "kind": t(f"care.kind.{limit.kind.value}"),
        "period": t(f"care.period.{limit.period.value}"),
        "amount": limit.amount,
        "remaining": status.remaining,
    }
    if status.used.amount < 0:
        # A loss limit while the player is ahead: nothing of it is used, and the winnings widen
        # what may still be lost in the window (the guard counts the net loss the same way).
        line = t("care.limit_line_ahead", ahead=-status.used, **facts)
    else:
        line = t("care.limit_line", used=status.used, **facts)
    if status.confirmable_at is not None:
        change = (
            t("care.pending_removal")
            if status.pending_removal
            else t("care.pending_raise", amount=status.pending_amount)
        )
        key = "care.pending_ready" if status.confirmable else "care.pending"
        line += "\n   " + t(key, change=change, at=format_moment(status.confirmable_at))
    return line


def _exclusion_line(t: Translator, exclusion: Exclusion) -> str:
    if exclusion.until is None:
        return t("care.self_excluded_forever")
    self_excluded = exclusion.kind is ExclusionKind.SELF_EXCLUSION
    key = "care.self_excluded" if self_excluded else "care.timed_out"
    return t(key, until=format_moment(exclusion.until))


def status_text(t: Translator, status: ResponsibleStatus) -> str:
    lines = [t("care.title")]
    lines += [_limit_line(t, s) for s in status.limits] or [t("care.no_limits")]
    if status.exclusion is not None:
        lines.append(_exclusion_line(t, status.exclusion))
    check = status.reality_check
    lines.append(t("care.reality_on", minutes=check.minutes) if check else t("care.reality_off"))
    return "\n".join(lines)


def status_menu(t: Translator, status: ResponsibleStatus) -> InlineKeyboardMarkup:
    """The care menu, with a confirm button for each pending change whose cooling-off has
    passed: a change that cannot take effect yet gets none (it says from when it can)."""
    rows = [
        [
            InlineKeyboardButton(
                text=t(
                    "care.confirm_change",
                    kind=t(f"care.kind.{s.limit.kind.value}"),
                    period=t(f"care.period.{s.limit.period.value}"),
                ),
                callback_data=Care(
                    action="confirm", kind=s.limit.kind.value, period=s.limit.period.value
                ).pack(),
            )
        ]
        for s in status.limits
        if s.confirmable and s.limit.currency == XTR
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows + keyboards.care_menu(t).inline_keyboard)


async def _answer(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Care screens replace the tapped one (navigation edits the hub in place)."""
    await query.answer()
    await screens.show(query, text, markup)


@handlers.message(Command("limits"))
@inject
async def limits_command(
    message: Message, player: Player, t: Translator, status: FromDishka[GetResponsibleStatus]
) -> None:
    shown = await status(player.id)
    await message.answer(status_text(t, shown), reply_markup=status_menu(t, shown))


@handlers.callback_query(Menu.filter(F.action == "limits"))
@inject
async def limits_button(
    query: CallbackQuery, player: Player, t: Translator, status: FromDishka[GetResponsibleStatus]
) -> None:
    shown = await status(player.id)
    await _answer(query, status_text(t, shown), status_menu(t, shown))


@handlers.callback_query(Care.filter(F.action == "kind"), Care.filter(F.kind.in_(LIMIT_KINDS)))
async def choose_period(query: CallbackQuery, callback_data: Care, t: Translator) -> None:
    kind = t(f"care.kind.{callback_data.kind}")
    periods = keyboards.limit_periods(t, callback_data.kind, callback_data.origin)
    await _answer(query, t("care.choose_period", kind=kind), periods)


@handlers.callback_query(
    Care.filter(F.action == "period"),
    Care.filter(F.kind.in_(LIMIT_KINDS)),
    Care.filter(F.period.in_(LIMIT_PERIODS)),
)
async def choose_amount(query: CallbackQuery, callback_data: Care, t: Translator) -> None:
    await _answer(
        query,
        t(
            "care.choose_amount",
            kind=t(f"care.kind.{callback_data.kind}"),
            period=t(f"care.period.{callback_data.period}"),
        ),
        keyboards.limit_amounts(t, callback_data.kind, callback_data.period, callback_data.origin),
    )


@handlers.callback_query(
    Care.filter(F.action == "set"),
    Care.filter(F.kind.in_(LIMIT_KINDS)),
    Care.filter(F.period.in_(LIMIT_PERIODS)),
    Care.filter(F.value.in_(LIMIT_AMOUNTS)),
)
@inject
async def set_limit(
    query: CallbackQuery,
    callback_data: Care,
    player: Player,
    t: Translator,
    set_limit: FromDishka[SetLimit],
) -> None:
    kind, period = LimitKind(callback_data.kind), LimitPeriod(callback_data.period)
    change = await set_limit(player.id, kind, period, Money(callback_data.value, XTR))
    after = after_limit(t, kind.value, callback_data.origin)
    await _after_change(query, t, change.applied, change.confirmable_at, after)


@handlers.callback_query(
    Care.filter(F.action == "remove"),
    Care.filter(F.kind.in_(LIMIT_KINDS)),
    Care.filter(F.period.in_(LIMIT_PERIODS)),
)
@inject
async def remove_limit(
    query: CallbackQuery,
    callback_data: Care,
    player: Player,
    t: Translator,
    remove: FromDishka[RemoveLimit],
) -> None:
    kind, period = LimitKind(callback_data.kind), LimitPeriod(callback_data.period)
    change = await remove(player.id, kind, period, XTR)
    await _after_change(query, t, change.applied, change.confirmable_at, keyboards.back(t))


def _to_limits(t: Translator) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=t("menu.limits"), callback_data=Menu(action="limits").pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def _after_change(
    query: CallbackQuery,
    t: Translator,
    applied: bool,
    confirmable_at: datetime | None,
    applied_markup: InlineKeyboardMarkup,
) -> None:
    if applied or confirmable_at is None:
        # A deposit limit set on the first deposit's road leads on to the deposit (after_limit).
        await _answer(query, t("care.limit_applied"), applied_markup)
        return
    # A raise or a removal: nothing changes for 24 hours, and then only if confirmed. No
    # confirm button now (it could only be refused): the limits screen shows one from then.
    await _answer(query, t("care.limit_waits", at=format_moment(confirmable_at)), _to_limits(t))


@handlers.callback_query(
    Care.filter(F.action == "confirm"),
    Care.filter(F.kind.in_(LIMIT_KINDS)),
    Care.filter(F.period.in_(LIMIT_PERIODS)),
)
@inject
async def confirm_limit(
    query: CallbackQuery,
    callback_data: Care,
    player: Player,
    t: Translator,
    confirm: FromDishka[ConfirmLimitIncrease],
) -> None:
    kind, period = LimitKind(callback_data.kind), LimitPeriod(callback_data.period)
    await confirm(player.id, kind, period, XTR)
    await _answer(query, t("care.limit_confirmed"), keyboards.back(t))


@handlers.callback_query(Care.filter(F.action == "timeout"))
async def choose_timeout(query: CallbackQuery, t: Translator) -> None:
    await _answer(query, t("care.timeout_explain"), keyboards.timeouts(t))


@handlers.callback_query(
    Care.filter(F.action == "timeout_ask"), Care.filter(F.period.in_(TIMEOUT_PERIODS))
)
async def ask_timeout(query: CallbackQuery, callback_data: Care, t: Translator) -> None:
    period = t(f"care.period.{callback_data.period}")
    await _answer(
        query,
        t("care.timeout_sure", period=period),
        keyboards.confirm_exclusion(t, "timeout_go", callback_data.period),
    )


@handlers.callback_query(
    Care.filter(F.action == "timeout_go"), Care.filter(F.period.in_(TIMEOUT_PERIODS))
)
@inject
async def start_timeout(
    query: CallbackQuery,
    callback_data: Care,
    player: Player,
    t: Translator,
    start: FromDishka[StartTimeout],
) -> None:
    exclusion = await start(player.id, TimeoutPeriod(callback_data.period))
    await _answer(query, _exclusion_line(t, exclusion), _to_limits(t))


@handlers.callback_query(Care.filter(F.action == "exclude"))
async def choose_exclusion(query: CallbackQuery, t: Translator) -> None:
    await _answer(query, t("care.exclude_explain"), keyboards.exclusions(t))


@handlers.callback_query(
    Care.filter(F.action == "exclude_ask"), Care.filter(F.period.in_(EXCLUSION_PERIODS))
)
async def ask_exclusion(query: CallbackQuery, callback_data: Care, t: Translator) -> None:
    period = t(f"care.period.{callback_data.period}")
    await _answer(
        query,
        t("care.exclude_sure", period=period),
        keyboards.confirm_exclusion(t, "exclude_go", callback_data.period),
    )


@handlers.callback_query(
    Care.filter(F.action == "exclude_go"), Care.filter(F.period.in_(EXCLUSION_PERIODS))
)
@inject
async def self_exclude(
    query: CallbackQuery,
    callback_data: Care,
    player: Player,
    t: Translator,
    exclude: FromDishka[SelfExclude],
) -> None:
    exclusion = await exclude(player.id, SelfExclusionPeriod(callback_data.period))
    await _answer(query, _exclusion_line(t, exclusion), _to_limits(t))


@handlers.callback_query(Care.filter(F.action == "reality"))
async def choose_reality_check(query: CallbackQuery, t: Translator) -> None:
    await _answer(query, t("care.reality_explain"), keyboards.reality_checks(t))


@handlers.callback_query(
    Care.filter(F.action == "reality_set"),
    Care.filter(F.value.in_((0, *REALITY_CHECK_MINUTES))),
)
@inject
async def set_reality_check(
    query: CallbackQuery,
    callback_data: Care,
    player: Player,
    t: Translator,
    set_check: FromDishka[SetRealityCheck],
) -> None:
    minutes = callback_data.value or None
    await set_check(player.id, minutes)
    text = t("care.reality_on", minutes=minutes) if minutes else t("care.reality_off")
    await _answer(query, text, keyboards.back(t))


@handlers.callback_query(Care.filter(F.action == "ack"))
@inject
async def acknowledge(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    acknowledge: FromDishka[AcknowledgeRealityCheck],
) -> None:
    with contextlib.suppress(InvalidRequest):  # switched off meanwhile: nothing to acknowledge
        await acknowledge(player.id)
    await _answer(query, t("care.acknowledged"), keyboards.main_menu(t))
