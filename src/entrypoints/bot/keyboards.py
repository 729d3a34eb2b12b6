"""Inline keyboards and the callback data behind them.

Callback data is never trusted for who or how much: the player is the user who tapped, a stake
is checked against the player's range read when it is tapped (entrypoints/bot/stake_picker.py)
and again by the bet's placement, and options map to parameters kept here on the server."""

from __future__ import annotations

import secrets
from fractions import Fraction

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from domain.games.catalog import GAMES
from domain.games.plinko import MAX_ROWS as PLINKO_MAX_ROWS
from domain.games.plinko import MIN_ROWS as PLINKO_MIN_ROWS
from domain.games.plinko import RISKS as PLINKO_RISKS
from domain.payments import DEPOSIT_CHOICES
from entrypoints.bot.game_texts import game_name, option_button
from entrypoints.bot.i18n import Translator, languages

DEPOSITS = DEPOSIT_CHOICES  # XTR; the Mini App offers the same (domain/payments.py)

# Per game: option key -> game parameters. What a button says (the option in the player's
# language and its multiplier) is rendered from the game's selection: entrypoints/bot/game_texts.py.
OPTIONS: dict[str, dict[str, dict[str, str]]] = {
    "tg_dice": {
        "even": {"bet": "even"},
        "odd": {"bet": "odd"},
        "low": {"bet": "low"},
        "high": {"bet": "high"},
        **{f"f{n}": {"bet": "face", "face": str(n)} for n in range(1, 7)},
    },
    "tg_slot": {"spin": {}},
    "tg_darts": {"hit": {"bet": "hit"}, "miss": {"bet": "miss"}},
    "tg_bowling": {"hit": {"bet": "hit"}, "miss": {"bet": "miss"}},
    "tg_basketball": {"hit": {"bet": "hit"}, "miss": {"bet": "miss"}},
    "tg_football": {"hit": {"bet": "hit"}, "miss": {"bet": "miss"}},
    "dice": {
        "u50": {"direction": "under", "target": "49.50"},
        "o50": {"direction": "over", "target": "50.50"},
        "u25": {"direction": "under", "target": "24.75"},
    },
    "coin": {"h": {"side": "heads"}, "t": {"side": "tails"}},
    "roulette": {
        "red": {"bet": "red"},
        "black": {"bet": "black"},
        "even": {"bet": "even"},
        "odd": {"bet": "odd"},
        "zero": {"bet": "straight", "number": "0"},
    },
    "limbo": {
        "x2": {"target": "2"},
        "x5": {"target": "5"},
        "x10": {"target": "10"},
    },
    # Rows and risk in one tap: a grid of one keyboard row per row count, low / medium / high
    # across (keys "8l" … "16h").
    "plinko": {
        f"{rows}{risk[0]}": {"rows": str(rows), "risk": risk}
        for rows in range(PLINKO_MIN_ROWS, PLINKO_MAX_ROWS + 1)
        for risk in PLINKO_RISKS
    },
}
# The lobby's order; each button is the game's name in the player's language.
GAME_BUTTONS = (
    "tg_dice",
    "tg_slot",
    "tg_darts",
    "tg_basketball",
    "tg_football",
    "tg_bowling",
    "dice",
    "coin",
    "roulette",
    "limbo",
    "plinko",
    "mines",  # its own screens: entrypoints/bot/handlers/mines.py
    "crash",  # its own screens: entrypoints/bot/handlers/crash.py
)


class Menu(CallbackData, prefix="m"):
    action: str


class PickGame(CallbackData, prefix="g"):
    game: str


class PickStake(CallbackData, prefix="s"):
    game: str
    stake: int


class PlaceBet(CallbackData, prefix="b"):
    game: str
    stake: int
    option: str
    press: str  # one id per rendered keyboard: a double tap sends the same id twice


class Deposit(CallbackData, prefix="d"):
    amount: int


class HistoryPage(CallbackData, prefix="h"):
    page: int
    cursor: str


class BetsPage(CallbackData, prefix="bp"):
    page: int


class Language(CallbackData, prefix="l"):
    code: str


class Gate(CallbackData, prefix="a"):
    accept: bool


class Care(CallbackData, prefix="r"):
    """Responsible-gambling screens. `value` is checked against the offered choices, never
    used as given. `origin` is the road the player came by: `FROM_DEPOSIT` when the limit
    screens were opened by the prompt at the first deposit (entrypoints/bot/deposit_prompt.py),
    so only that road offers the way on to the deposit; empty from 🛡 Limits."""

    action: str
    kind: str = ""
    period: str = ""
    value: int = 0
    origin: str = ""

    @classmethod
    def unpack(cls, value: str) -> Care:
        # A button sent before `origin` existed has one part fewer: read it as from 🛡 Limits.
        if value.count(cls.__separator__) == len(cls.model_fields) - 1:
            value += cls.__separator__
        return super().unpack(value)


FROM_DEPOSIT = "dep"  # Care.origin: the limit screens opened by the first-deposit prompt


LIMIT_KINDS = ("deposit", "loss", "wager")
LIMIT_PERIODS = ("24h", "7d", "30d")
LIMIT_AMOUNTS = (100, 500, 1000, 5000, 20000)  # XTR
TIMEOUT_PERIODS = ("24h", "7d", "30d", "6w")
EXCLUSION_PERIODS = ("6m", "1y", "5y", "permanent")
REALITY_CHECK_MINUTES = (15, 30, 60, 120)


def _rows(buttons: list[InlineKeyboardButton], width: int) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def main_menu(t: Translator, *, bonus: bool = False) -> InlineKeyboardMarkup:
    """The hub's buttons; `bonus`: the player has an active bonus and may hear of it (the
    "🎁 Bonus" entry, docs/bonuses.md)."""
    actions = ("balance", "deposit", "withdraw", "games", "history", "fairness", "limits",
               "help", "language")  # fmt: skip
    buttons = [
        InlineKeyboardButton(text=t(f"menu.{a}"), callback_data=Menu(action=a).pack())
        for a in actions
    ]
    rows = _rows(buttons, 2)
    # issue 23: the notification choices (handlers/notifications.py)
    notify = Menu(action="notifications").pack()
    rows[-1].append(InlineKeyboardButton(text=t("notifications.menu_button"), callback_data=notify))
    if bonus:
        entry = Menu(action="bonus").pack()
        rows.insert(0, [InlineKeyboardButton(text=t("bonus.title_button"), callback_data=entry)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("menu.back"),
                                               callback_data=Menu(action="main").pack())]]
    )  # fmt: skip


def gate(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t("start.accept"),
                                               callback_data=Gate(accept=True).pack())]]
    )  # fmt: skip


def language_choice() -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=Translator(code)("language_name"),
                             callback_data=Language(code=code).pack())
        for code in languages()
    ]  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 2))


def games(t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(text=game_name(t, code), callback_data=PickGame(game=code).pack())
        for code in GAME_BUTTONS
    ]
    rows = _rows(buttons, 3)
    rows.append([InlineKeyboardButton(text=t("menu.back"),
                                      callback_data=Menu(action="main").pack())])  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=rows)


def options(t: Translator, game: str, stake: int, house_edge: Fraction) -> InlineKeyboardMarkup:
    """The options of a game, each with its multiplier at this house edge ("Even ×1.98")."""
    press = secrets.token_hex(4)
    played = GAMES[game]
    buttons = [
        InlineKeyboardButton(
            text=option_button(t, played, played.parse(params), house_edge),
            callback_data=PlaceBet(game=game, stake=stake, option=key, press=press).pack(),
        )
        for key, params in OPTIONS[game].items()
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 3))


def deposits(t: Translator) -> InlineKeyboardMarkup:
    # The deposit-limit prompt comes before this screen (entrypoints/bot/deposit_prompt.py).
    buttons = [
        InlineKeyboardButton(text=f"{a} ⭐", callback_data=Deposit(amount=a).pack())
        for a in DEPOSITS
    ]
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 4))


def _care(
    text: str, *, action: str, kind: str = "", period: str = "", value: int = 0, origin: str = ""
) -> InlineKeyboardButton:
    data = Care(action=action, kind=kind, period=period, value=value, origin=origin)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def care_menu(t: Translator) -> InlineKeyboardMarkup:
    rows = [
        [_care(t(f"care.kind.{k}"), action="kind", kind=k) for k in LIMIT_KINDS],
        [_care(t("care.timeout"), action="timeout"), _care(t("care.exclude"), action="exclude")],
        [_care(t("care.reality"), action="reality")],
        [InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="main").pack())],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def limit_periods(t: Translator, kind: str, origin: str = "") -> InlineKeyboardMarkup:
    buttons = [_care(t(f"care.period.{p}"), action="period", kind=kind, period=p, origin=origin)
               for p in LIMIT_PERIODS]  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


def limit_amounts(t: Translator, kind: str, period: str, origin: str = "") -> InlineKeyboardMarkup:
    buttons = [_care(f"{a} ⭐", action="set", kind=kind, period=period, value=a, origin=origin)
               for a in LIMIT_AMOUNTS]  # fmt: skip
    rows = _rows(buttons, 3)
    # Free text beside the buttons (UKGC RTS 12): entrypoints/bot/handlers/limit_typing.py.
    typed = _care(t("limit_typing.button"), action="type", kind=kind, period=period, origin=origin)
    rows.append([typed])
    rows.append([_care(t("care.remove"), action="remove", kind=kind, period=period)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def timeouts(t: Translator) -> InlineKeyboardMarkup:
    buttons = [_care(t(f"care.period.{p}"), action="timeout_ask", period=p)
               for p in TIMEOUT_PERIODS]  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 4))


def exclusions(t: Translator) -> InlineKeyboardMarkup:
    buttons = [_care(t(f"care.period.{p}"), action="exclude_ask", period=p)
               for p in EXCLUSION_PERIODS]  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=_rows(buttons, 4))


def confirm_exclusion(t: Translator, action: str, period: str) -> InlineKeyboardMarkup:
    back = InlineKeyboardButton(text=t("menu.back"), callback_data=Menu(action="limits").pack())
    rows = [[_care(t("care.yes_sure"), action=action, period=period)], [back]]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reality_checks(t: Translator) -> InlineKeyboardMarkup:
    buttons = [_care(t("care.every", minutes=m), action="reality_set", value=m)
               for m in REALITY_CHECK_MINUTES]  # fmt: skip
    rows = _rows(buttons, 4)
    rows.append([_care(t("care.off"), action="reality_set", value=0)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def acknowledge(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_care(t("care.acknowledge"), action="ack")]])
