"""Plinko in the bot: game, stake, then rows and risk in one tap of a grid; the result shows
the path and the slot, and pays the table's multiplier. The conversation is written as a
transcript to .croupier/test/transcripts/bot-plinko-<language>.txt for a person to read."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import text

from application.postings import CreditDepositCommand
from domain.games.base import format_multiplier
from domain.games.plinko import Plinko
from domain.money import XTR, Money
from entrypoints.bot.game_texts import game_name
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import BetsPage, Gate, Menu, PickGame, PickStake
from tests.entrypoints.telegram_fakes import Player

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")
PLINKO = Plinko()


@pytest.fixture
async def ready_player(send, telegram, credit, fund_bankroll, engine, unique_key):
    async def make(language: str) -> tuple[Player, int]:
        await fund_bankroll()
        player = Player(language)
        await send(player.message("/start"))
        await send(player.tap(Gate(accept=True).pack()))
        async with engine.connect() as conn:
            player_id = (
                await conn.execute(
                    text("SELECT id FROM players WHERE telegram_user_id = :t"),
                    {"t": player.user.id},
                )
            ).scalar_one()
        await credit(CreditDepositCommand(player_id, Money(1000, XTR), unique_key("plinko")))
        telegram.calls.clear()
        return player, player_id

    return make


def _transcript(telegram, taps: list[str]) -> str:
    """Each message the bot sent, with its keyboard as rows of [labels]."""
    lines = []
    for index, call in enumerate(telegram.of(SendMessage | EditMessageText)):
        if index < len(taps):
            lines.append(f"> tap: {taps[index]}")
        lines.append(f"< {call.text}")
        markup = call.reply_markup
        for row in getattr(markup, "inline_keyboard", None) or []:
            lines.append("  " + " ".join(f"[{b.text}]" for b in row))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_plinko_is_played_with_buttons(send, telegram, ready_player, engine, language):
    player, player_id = await ready_player(language)
    t = Translator(language)
    high = t("game_texts.option.plinko_high")
    sixteen_high = f"16 · {high} ≤×1000"
    taps = ["Games", game_name(t, "plinko"), "10 ⭐", sixteen_high]
    await send(player.tap(Menu(action="games").pack()))
    games = telegram.of(EditMessageText)[-1].reply_markup.inline_keyboard  # the hub, edited
    assert any(b.text == game_name(t, "plinko") for row in games for b in row)
    await send(player.tap(PickGame(game="plinko").pack()))
    await send(player.tap(PickStake(game="plinko", stake=10).pack()))
    grid = telegram.screen().reply_markup.inline_keyboard
    risks = [t(f"game_texts.option.plinko_{risk}") for risk in ("low", "medium", "high")]
    assert [[b.text for b in row] for row in grid][:2] == [
        [f"8 · {risks[0]} ≤×5.6", f"8 · {risks[1]} ≤×13", f"8 · {risks[2]} ≤×29"],
        [f"9 · {risks[0]} ≤×5.6", f"9 · {risks[1]} ≤×18", f"9 · {risks[2]} ≤×43"],
    ]
    assert len(grid) == 9  # 8 to 16 rows
    chosen = next(b for row in grid for b in row if b.text == sixteen_high)
    await send(player.tap(chosen.callback_data))
    result = telegram.texts()[-1]
    left, right = t("game_texts.outcome.plinko_left"), t("game_texts.outcome.plinko_right")
    said = t("game_texts.outcome.plinko", slot="(\\d+)", rows=16, path=f"([{left}{right}]{{16}})")
    shown = re.search(said, result)
    assert shown is not None, result
    slot = int(shown[1])
    assert shown[2].count(right) == slot
    async with engine.connect() as conn:
        bet = (
            await conn.execute(
                text(
                    "SELECT params, outcome, multiplier_num AS num, multiplier_den AS den, payout"
                    " FROM bets WHERE player_id = :p"
                ),
                {"p": player_id},
            )
        ).one()
    assert bet.params == {"rows": "16", "risk": "high"}
    assert bet.outcome.bit_count() == slot
    table = PLINKO.table(PLINKO.parse(bet.params), Fraction(1, 100))
    assert Fraction(int(bet.num), int(bet.den)) == table[slot]
    assert bet.payout == int(10 * table[slot])
    # No more than the stake back is said as such, not cheered as a win.
    if bet.payout <= 10:
        assert "🎉" not in result
        assert f"×{format_multiplier(table[slot])}" in result
    else:
        assert "🎉" in result
    # The next drop is a tap away: the result carries a fresh grid.
    assert len(telegram.of(SendMessage)[-1].reply_markup.inline_keyboard) == 9
    # "My bets" reads the drop as the result did, not as the stored integer.
    await send(player.tap(BetsPage(page=1).pack()))
    taps.append("My bets")
    line = telegram.texts()[-1].splitlines()[1]
    assert f"{game_name(t, 'plinko')}: 10 ⭐ " in line
    assert shown[0] in line  # the same slot and path as the result
    # 16 rows, high risk: every slot pays; paid back or won, as the result said.
    assert line.endswith(result.splitlines()[1])
    _write(TRANSCRIPTS / f"bot-plinko-{language}.txt", _transcript(telegram, taps))


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
