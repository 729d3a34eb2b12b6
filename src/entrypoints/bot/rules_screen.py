"""A game's rules as the bot shows them before a bet (the "ℹ️ Rules" button of the stake picker,
and /rules GAME): how it is played, its return to player and
house edge, its payout table (Telegram dice games), the biggest win and where the outcome comes
from. Every number is `application.games_rules`' (computed from the game objects, never typed
in a text); the words are in locales/<lang>/rules.toml."""

from __future__ import annotations

from fractions import Fraction

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from application.games_rules import ShownRules
from domain.games.base import format_multiplier
from domain.games.catalog import GAMES
from domain.games.rules import GameRules, PayLine, percent
from entrypoints.bot.game_texts import game_name, option_text
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import GAME_BUTTONS, Menu, PickGame
from entrypoints.bot.stake_picker import SHOW, RulesOf, StakeControl


def rtp_line(t: Translator, rules: GameRules) -> str:
    """ "Return to player: 99.00% · house edge: 1.00%", or a range when bets differ."""
    low, high = percent(rules.rtp_low), percent(rules.rtp_high)
    edge_low = percent(rules.house_edge_low, up=True)
    edge_high = percent(rules.house_edge_high, up=True)
    if low == high:
        return t("rules.rtp", rtp=low, edge=edge_high)
    return t("rules.rtp_range", low=low, high=high, edge_low=edge_low, edge_high=edge_high)


def _pay_line(t: Translator, rules: GameRules, line: PayLine) -> str:
    game = GAMES[rules.code]
    if rules.code == "tg_slot":  # one spin, two ways to win: said by what the reels show
        which = "jackpot" if line.multiplier == rules.max_multiplier else "triple"
        label = t(f"rules.slot_{which}")
    else:
        label = option_text(t, game, line.selection)
    return t(
        "rules.pay_line",
        label=label,
        multiplier=format_multiplier(line.multiplier),
        chance=_chance(line.probability),
        percent=percent(line.probability),
    )


def _chance(probability: Fraction) -> str:
    return f"{probability.numerator}/{probability.denominator}"


def rules_text(t: Translator, shown: ShownRules) -> str:
    rules = shown.rules
    lines = [
        t("rules.title", game=game_name(t, rules.code)),
        t(f"rules.how.{rules.code}"),
        "",
        rtp_line(t, rules),
    ]
    if rules.pay_table:
        lines.append(t("rules.pay_table"))
        lines += [_pay_line(t, rules, line) for line in rules.pay_table]
    biggest = format_multiplier(rules.max_multiplier)
    if shown.max_payout is None:
        lines.append(t("rules.max_win", multiplier=biggest))
    else:
        lines.append(t("rules.max_win_capped", multiplier=biggest, payout=shown.max_payout))
    lines.append(t("rules.rounding"))
    lines.append(t(f"rules.source.{rules.source.value}"))
    if not shown.enabled:
        lines.append(t("rules.switched_off"))
    return "\n".join(lines)


def rules_keyboard(t: Translator, game: str, stake: int) -> InlineKeyboardMarkup:
    """Back to the stake picker the rules were opened from; from /rules (no stake), on to the
    game's picker or to the list of games."""
    if stake > 0:
        back = StakeControl(game=game, stake=stake, step=SHOW).pack()
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=t("rules.back"), callback_data=back)]]
        )
    play = PickGame(game=game).pack()
    games = Menu(action="games").pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("rules.play", game=game_name(t, game)), callback_data=play
                )
            ],
            [InlineKeyboardButton(text=t("menu.back"), callback_data=games)],
        ]
    )


def choose_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """/rules without a game (or an unknown one): a button per game."""
    buttons = [
        InlineKeyboardButton(
            text=game_name(t, code), callback_data=RulesOf(game=code, stake=0).pack()
        )
        for code in GAME_BUTTONS
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def game_code(typed: str) -> str | None:
    """The game /rules names: its code ("tg_dice", "plinko") or a Telegram game's short name
    ("slot", "darts")."""
    word = typed.strip().lower()
    for code in (word, f"tg_{word}"):
        if code in GAMES:
            return code
    return None
