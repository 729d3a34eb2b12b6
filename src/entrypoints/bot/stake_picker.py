"""The stake picker: one screen per game around a current stake, with ½, ×2, min and max, a typed
amount, and a button to play for the stake shown.

Callback data is never trusted for how much: a control carries the stake shown and what it
does (`domain.stakes.StakeStep`), and the server computes the new stake from the player's
range read fresh (`application.betting.stake_range.GetStakeRange`): the game's limits and the
balance. A stake from an old screen or a forged one becomes the nearest stake allowed now;
"play for" a stake outside the range is refused politely (the games handler checks it before
any game's own screen), and the bet's placement checks the stake again when the bet is placed."""

from __future__ import annotations

import re
from typing import Final

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from domain.money import XTR, Money
from domain.stakes import StakeProblem, StakeRange, StakeStep
from entrypoints.bot.game_texts import game_name
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu, PickStake

# The stake a picker opens with, moved into the player's range (`StakeRange.clamp`).
DEFAULT_STAKE: Final = 10  # XTR
# More digits than this is no stake anyone means (the largest stake is far below): it is
# answered as over the maximum without turning a page of digits into a number.
MAX_TYPED_DIGITS: Final = 12
# A typed stake: ASCII digits (a sign allowed, to answer "-5" as the number it is), spaces as
# thousands separators, an optional ⭐. Not "1e3", "2.5", "²" or "٣": they are answered with
# an example of what is understood.
_TYPED = re.compile(r"(-?)([0-9][0-9 ]*)\s*(?:⭐|xtr|stars?)?", re.IGNORECASE | re.ASCII)


class StakeControl(CallbackData, prefix="sc"):
    """A control pressed on the picker showing `stake`; `step` is a `StakeStep`, or "show" (back
    to the picker, as from the typed amount's Cancel)."""

    game: str
    stake: int
    step: str


class StakeAsk(CallbackData, prefix="sa"):
    """Type an amount instead of tapping one."""

    game: str
    stake: int


class RulesOf(CallbackData, prefix="gr"):
    """Show a game's rules (entrypoints/bot/rules_screen.py); `stake` is the picker's stake to
    come back to, 0 when opened from /rules."""

    game: str
    stake: int


class StakeEntry(StatesGroup):
    """Waiting for a typed stake. Kept in the dispatcher's FSM storage (memory, per process):
    if it is lost (a restart, another process), the player's number is not read as a stake and
    they simply pick again."""

    amount = State()


SHOW: Final = "show"
STEPS: Final = (*(s.value for s in StakeStep), SHOW)


def screen(t: Translator, game: str, stakes: StakeRange, stake: int) -> str:
    """The picker's text: the game, the current stake, the range and why it ends where it
    does (the balance or the game's maximum)."""
    title = t("stakes.title", game=game_name(t, game), stake=stakes.money(stake))
    low, high = stakes.money(stakes.low), stakes.money(stakes.high)
    if stakes.capped_by_balance:
        bounds = t("stakes.range_balance", low=low, high=high)
    else:
        bounds = t("stakes.range_game", low=low, high=high, balance=stakes.balance)
    return f"{title}\n{bounds}"


def _control(text: str, game: str, stake: int, step: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=StakeControl(game=game, stake=stake, step=step).pack()
    )


def keyboard(t: Translator, game: str, stake: int) -> InlineKeyboardMarkup:
    controls = [_control(t(f"stakes.{step.value}"), game, stake, step.value) for step in StakeStep]
    ask = InlineKeyboardButton(
        text=t("stakes.type"), callback_data=StakeAsk(game=game, stake=stake).pack()
    )
    play = InlineKeyboardButton(
        text=t("stakes.play", stake=Money(stake, XTR)),
        callback_data=PickStake(game=game, stake=stake).pack(),
    )
    rules = InlineKeyboardButton(
        text=t("rules.button"), callback_data=RulesOf(game=game, stake=stake).pack()
    )
    back = InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="games").pack())
    return InlineKeyboardMarkup(inline_keyboard=[controls, [ask], [play], [rules], [back]])


def broke(t: Translator, game: str, stakes: StakeRange) -> tuple[str, InlineKeyboardMarkup]:
    """No stake fits: the balance is under the game's smallest stake."""
    text = t(
        "stakes.broke",
        game=game_name(t, game),
        low=stakes.money(stakes.low),
        balance=stakes.balance,
    )
    rows = [
        [InlineKeyboardButton(text=t("menu.deposit"), callback_data=Menu(action="deposit").pack())],
        [InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="games").pack())],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_prompt(t: Translator, game: str, stakes: StakeRange) -> tuple[str, ForceReply]:
    text = t(
        "stakes.ask",
        game=game_name(t, game),
        low=stakes.money(stakes.low),
        high=stakes.money(stakes.high),
    )
    return text, ForceReply(force_reply=True, input_field_placeholder=t("stakes.placeholder"))


def cancel(t: Translator, game: str, stake: int) -> InlineKeyboardMarkup:
    button = _control(t("stakes.cancel"), game, stake, SHOW)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def parse_typed(text: str) -> int | None:
    """A typed stake as a whole number (possibly zero or negative: the range says why it is
    refused), or None when the text is no whole number at all. Huge numbers come back as one
    more than any stake, never as a page of digits."""
    found = _TYPED.fullmatch(text.strip())
    if found is None:
        return None
    digits = found[2].replace(" ", "")
    if len(digits) > MAX_TYPED_DIGITS:
        return 10**MAX_TYPED_DIGITS
    return -int(digits) if found[1] else int(digits)


def problem_text(t: Translator, game: str, stakes: StakeRange, problem: StakeProblem) -> str:
    """Why a typed or tapped stake cannot be picked, with the numbers that can."""
    return t(
        f"stakes.{problem.value}",
        game=game_name(t, game),
        low=stakes.money(stakes.low),
        high=stakes.money(stakes.high),
        max=stakes.money(stakes.limits.max_stake),
        balance=stakes.balance,
    )
