"""Games as a player reads them, in the player's language: every game's name, every option
(with its multiplier on the button), every outcome, and a result that says what happened
(the game, the option, the stake, the outcome, the payout and the net).

Rendered from the bet's selection and outcome, never from the domain's `describe_bet`: that
one stays English for the other doors and the logs. The multipliers are the domain games'
own (`max_multiplier` at the configured house edge), the same numbers the RTP tests
enumerate, shown exactly as decimals and never rounded up."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from domain.bets import Bet, BetState
from domain.games.base import Game, Selection, format_hundredths, format_multiplier
from domain.games.catalog import GAMES
from domain.games.coin import SIDES
from domain.games.crash import LOST
from domain.games.plinko import slot_of
from domain.games.roulette import RED
from domain.games.telegram_dice import HitOrMiss, slot_reels
from domain.ledger import TransactionKind
from domain.money import Money
from entrypoints.bot.i18n import Translator

# A win of at least this many times the stake is celebrated louder than a small one; from
# JACKPOT up (three sevens, a roulette number, plinko's edges) louder still.
BIG_WIN = Fraction(10)
JACKPOT = Fraction(30)
# Games whose option is itself the multiplier it pays ("Target ×2"): the button says it once.
_OPTION_IS_MULTIPLIER = frozenset({"limbo"})
# Games whose slots pay different multipliers: the button shows the most an option can pay.
_PAYS_UP_TO = frozenset({"tg_slot", "plinko", "mines", "crash"})


def game_name(t: Translator, code: str) -> str:
    """ "Dice 🎲" (Telegram's dice) and "Dice 0–100 🔐" (provably fair) are two games."""
    return t(f"game_texts.name.{code}")


def option_text(t: Translator, game: Game, selection: Selection) -> str:
    code, kind, value = game.code, selection.kind, selection.value
    key = f"game_texts.option.{code}_{kind}"
    match code:
        case "tg_dice" if kind == "face":
            return t(key, face=value)
        case "dice":
            return t(key, target=format_hundredths(value or 0))
        case "roulette" if kind == "dozen":
            low = ((value or 1) - 1) * 12 + 1
            return t(key, low=low, high=low + 11)
        case "roulette" if kind in ("straight", "column"):
            return t(key, number=value)
        case "limbo":
            return t(key, target=format_multiplier(Fraction(value or 0, 100)))
        case "plinko":
            return t("game_texts.option.plinko", rows=value, risk=t(key))
        case "mines":
            return t("game_texts.option.mines", mines=value)
        case "crash" if kind == "target":
            return t(key, target=format_hundredths(value or 0))
    return t(key)


def option_button(t: Translator, game: Game, selection: Selection, house_edge: Fraction) -> str:
    """The option with what it pays: "Even ×1.98", "16 · high ≤×1000"."""
    label = option_text(t, game, selection)
    if game.code in _OPTION_IS_MULTIPLIER:
        return label
    multiplier = format_multiplier(game.max_multiplier(selection, house_edge))
    key = "game_texts.button_up_to" if game.code in _PAYS_UP_TO else "game_texts.button"
    return t(key, label=label, multiplier=multiplier)


def outcome_text(t: Translator, game: Game, selection: Selection, outcome: int) -> str:
    code = game.code
    key = f"game_texts.outcome.{code}"
    if isinstance(game, HitOrMiss):
        return t(f"{key}_{'hit' if outcome in game.hits else 'miss'}", value=outcome)
    match code:
        case "tg_dice":
            return t(key, value=outcome)
        case "tg_slot":
            left, middle, right = (t(f"game_texts.outcome.slot_{s}") for s in slot_reels(outcome))
            return t("game_texts.outcome.slot", left=left, middle=middle, right=right)
        case "dice":
            return t(key, roll=format_hundredths(outcome))
        case "coin":
            return t(f"{key}_{SIDES[outcome]}")
        case "roulette":
            colour = "green" if outcome == 0 else ("red" if outcome in RED else "black")
            return t(f"{key}_{colour}", number=outcome)
        case "limbo":
            return t(key, result=format_hundredths(outcome))
        case "plinko":
            rows = selection.value or 0
            left, right = t(f"{key}_left"), t(f"{key}_right")
            path = "".join(right if outcome >> row & 1 else left for row in range(rows))
            return t(key, slot=slot_of(outcome), rows=rows, path=path)
        case "mines":
            return t(f"{key}_busted") if outcome == 0 else t(f"{key}_cashed", tiles=outcome)
        case "crash":
            if outcome == LOST:
                return t(f"{key}_busted")
            return t(f"{key}_cashed", multiplier=format_hundredths(outcome))
    raise KeyError(code)  # a new game needs its texts here


def bet_text(t: Translator, bet: Bet) -> str:
    """ "10 ⭐ on Even": what the player staked on what."""
    option = option_text(t, GAMES[bet.game], bet.selection)
    return t("game_texts.bet", stake=bet.stake, option=option)


def placed_text(t: Translator, bet: Bet) -> str:
    """A Telegram dice bet taken, before its dice lands: it names the bet, so that two bets
    placed during one animation are told apart (and its result replies to it)."""
    game = GAMES[bet.game]
    return t(
        "game_texts.placed",
        game=game_name(t, bet.game),
        stake=bet.stake,
        option=option_button(t, game, bet.selection, bet.house_edge),
    )


def settled_line(t: Translator, bet: Bet) -> str:
    """ "10 ⭐ on 4–6 → 🎲 5 → you win 19 ⭐, +9": the bet, the outcome, the payout, the net."""
    game = GAMES[bet.game]
    what = bet_text(t, bet)
    if bet.state is BetState.VOIDED:
        return t("game_texts.voided", bet=what)
    if bet.outcome is None:
        return t("game_texts.open", bet=what)
    outcome = outcome_text(t, game, bet.selection, bet.outcome)
    stake = bet.stake.amount
    payout = bet.payout or 0
    if payout > stake:
        paid = Money(payout, bet.stake.currency)
        return t("game_texts.won", bet=what, outcome=outcome, payout=paid, net=payout - stake)
    if payout > 0:  # some of the stake back (plinko's middle slots): not a win to cheer
        return t(
            "game_texts.paid_back",
            bet=what,
            outcome=outcome,
            multiplier=format_multiplier(bet.multiplier or Fraction(0)),
            payout=Money(payout, bet.stake.currency),
            net=_signed(payout - stake),
        )
    return t("game_texts.lost", bet=what, outcome=outcome, stake=stake)


def rounding_note(t: Translator, bet: Bet) -> str | None:
    """The rounding rule, when this bet's payout was floored to whole units."""
    multiplier = bet.multiplier or Fraction(0)
    exact = bet.stake.amount * multiplier
    if not bet.payout or exact.denominator == 1 or bet.payout != exact.__floor__():
        return None  # nothing paid, nothing cut, or not a cut (a payout capped by a limit)
    return t(
        "game_texts.rounded",
        multiplier=format_multiplier(multiplier),
        stake=bet.stake,
        exact=format_multiplier(exact),
        payout=Money(bet.payout, bet.stake.currency),
    )


def result_text(t: Translator, bet: Bet, balance: Money) -> str:
    """The whole result: a head that celebrates as much as the win deserves, the settled
    line, the rounding when it happened, and the balance."""
    name = game_name(t, bet.game)
    multiplier = bet.multiplier or Fraction(0)
    payout = bet.payout or 0
    if bet.state is BetState.VOIDED:
        head = t("game_texts.voided_head", game=name)
    elif payout > bet.stake.amount:
        shown = format_multiplier(multiplier)
        if multiplier >= JACKPOT:
            head = t("game_texts.cheer_jackpot", game=name, multiplier=shown)
        elif multiplier >= BIG_WIN:
            head = t("game_texts.cheer_big", game=name, multiplier=shown)
        else:
            head = t("game_texts.cheer_small", game=name)
    elif payout > 0:
        head = t("game_texts.paid_back_head", game=name)
    else:
        head = t("game_texts.lost_head", game=name)
    lines = [head, settled_line(t, bet)]
    note = rounding_note(t, bet)
    if note is not None:
        lines.append(note)
    lines.append(t("game_texts.balance", balance=balance))
    return "\n".join(lines)


def ledger_kind(t: Translator, kind: TransactionKind) -> str:
    return t(f"game_texts.ledger.{kind.value}")


def when(t: Translator, moment: datetime) -> str:
    """ "03.12 07:45 UTC": the zone is said, never left to guess."""
    return t("game_texts.time", when=moment.astimezone(UTC).strftime("%d.%m %H:%M"))


def _signed(amount: int) -> str:
    if amount > 0:
        return f"+{amount}"
    if amount < 0:
        return f"−{-amount}"
    return "±0"
