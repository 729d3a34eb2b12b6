"""The free bets part of the 🎁 Bonus screen (entrypoints/bot/handlers/bonus.py) and the text
of a played free bet (entrypoints/bot/handlers/free_bets.py): docs/bonuses.md, "Free bets"."""

from __future__ import annotations

from datetime import UTC, timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from application.free_bets import FreeBetOverview, FreeBetResult
from domain.campaigns import Campaign
from domain.free_bets import FreeBet, FreeBetTerms
from domain.games.catalog import game_by_code
from entrypoints.bot.game_texts import game_name, option_text, outcome_text
from entrypoints.bot.i18n import Translator


class FreeBetAction(CallbackData, prefix="fb"):
    """Play the free bet `free_bet` (its id, hex)."""

    free_bet: str


def _option(t: Translator, free_bet: FreeBet) -> str:
    game = game_by_code(free_bet.game)
    return option_text(t, game, game.parse(free_bet.params))


def section(t: Translator, overview: FreeBetOverview | None) -> str | None:
    """The free bets to play, one line each (the bot does not know the player's time zone:
    UTC, said so); None when there are none."""
    if overview is None or not overview.playable:
        return None
    lines = [t("free_bets.title", count=len(overview.playable))]
    # Alike free bets (one campaign's) on one line, with the soonest expiry among them.
    alike: dict[tuple[str, str, int, int], list[FreeBet]] = {}
    for fb in overview.playable:
        key = (fb.campaign, fb.game, fb.stake.amount, fb.max_win.amount)
        alike.setdefault(key, []).append(fb)
    for group in alike.values():
        fb = min(group, key=lambda f: f.expires_at)
        lines.append(
            t(
                "free_bets.line",
                count=len(group),
                game=game_name(t, fb.game),
                stake=fb.stake,
                option=_option(t, fb),
                max_win=fb.max_win,
                when=fb.expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            )
        )
    lines.append(t("free_bets.rule"))
    return "\n".join(lines)


def buttons(t: Translator, overview: FreeBetOverview | None) -> list[list[InlineKeyboardButton]]:
    """One "Play" button per game and stake: the free bet expiring first of each."""
    if overview is None:
        return []
    first: dict[tuple[str, int], FreeBet] = {}
    for fb in overview.playable:
        first.setdefault((fb.game, fb.stake.amount), fb)
    return [
        [
            InlineKeyboardButton(
                text=t("free_bets.play", game=game_name(t, fb.game), stake=fb.stake),
                callback_data=FreeBetAction(free_bet=fb.id.hex).pack(),
            )
        ]
        for fb in first.values()
    ]


def granted_text(t: Translator, campaign: Campaign, terms: FreeBetTerms) -> str:
    """A free-bet campaign's code accepted (the promo handler's answer)."""
    game = game_by_code(terms.game)
    return t(
        "free_bets.granted",
        count=terms.count,
        game=game_name(t, terms.game),
        stake=terms.stake,
        option=option_text(t, game, game.parse(terms.params)),
        max_win=campaign.amount,
        hours=int(terms.expires_after / timedelta(hours=1)),
    )


def result_text(t: Translator, result: FreeBetResult) -> str:
    """The outcome, what it won as a bonus, and how to verify it."""
    free_bet, play = result.free_bet, result.free_bet.play
    assert play is not None  # a result is of a played free bet
    game = game_by_code(free_bet.game)
    facts = {
        "game": game_name(t, free_bet.game),
        "stake": free_bet.stake,
        "option": _option(t, free_bet),
        "outcome": outcome_text(t, game, game.parse(free_bet.params), play.outcome),
        "multiplier": play.multiplier_text,
        "payout": play.payout,
    }
    if result.bonus is None:
        text = t("free_bets.lost", **facts)
    elif result.bonus.wagering_required.amount:
        text = t(
            "free_bets.won",
            winnings=play.winnings,
            wagering=result.bonus.wagering_required,
            **facts,
        )
    else:
        text = t("free_bets.won_no_wagering", winnings=play.winnings, **facts)
    proof = play.proof
    verify = t(
        "free_bets.verify",
        nonce=proof.nonce,
        client=proof.client_seed,
        hash=proof.server_seed_hash,
    )
    return f"{text}\n\n{verify}"
