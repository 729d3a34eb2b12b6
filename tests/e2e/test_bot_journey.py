"""A player's whole journey through the real service, as Telegram would drive it: `croupier run
--only bot` long-polls the fake Bot API server (tests/e2e/fake_bot_api.py) and the test plays
the player, in English and in Russian: /start, the 18+ gate, a Stars deposit (invoice,
pre-checkout, payment), a Telegram dice game, a provably fair coin, the balance, history, a
loss limit, a withdrawal request, nonsense, a time-out and the bet it refuses.

Every step must get an answer, no answer may show a trace, and the money must be right: the
balance the bot shows is the database's, which is the deposit less the stakes plus the
payouts. The conversation is the bot's tour: `./dev tour` writes it to docs/transcripts/
(CROUPIER_TOUR_DIR), for a person to read."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text

from domain.money import XTR, Money
from tests.e2e.conftest import BotService
from tests.e2e.fake_bot_api import Call
from tests.e2e.journey import Player, Step, written
from tests.e2e.tour_check import broken_lines, tour_problems

pytestmark = [pytest.mark.integration]

# The lead flips this to True at merge, once the other helpers' screens are in: then every
# problem tour_problems() finds (raw code, internal ids, "XTR", English in the Russian tour, an
# update left unanswered) fails the test. Until then they are reported as a warning (and
# printed by `./dev tour`).
STRICT = True

DEPOSIT = 500
STAKE = 10
NONSENSE_WAIT = 3.0  # s: an answer to nonsense comes at once, if it comes
TITLES = {"en": "The bot's tour (English)", "ru": "The bot's tour (Russian)"}


def tour_path(language: str) -> Path | None:
    folder = os.environ.get("CROUPIER_TOUR_DIR")
    return Path(folder) / f"bot-tour-{language}.txt" if folder else None


async def _player_id(engine, player: Player) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT id FROM players WHERE telegram_user_id = :t"), {"t": player.user_id}
        )
        return int(found.scalar_one())


async def _books(engine, balances, player_id: int) -> tuple[Money, int, int, int]:  # type: ignore[no-untyped-def]
    """The wallet's balance, and the player's bets: how many, their stakes, their payouts."""
    [balance] = await balances(player_id)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*), coalesce(sum(stake), 0), coalesce(sum(payout), 0)"
                    " FROM bets WHERE player_id = :p AND void_reason IS NULL"
                ),
                {"p": player_id},
            )
        ).one()
    return balance, int(row[0]), int(row[1]), int(row[2])


def _answered(step: Step, service: BotService) -> Step:
    assert step.answered, f"no answer to {step.did!r}\n{service.log_tail()}"
    return step


def _after_dice(calls: list[Call]) -> bool:
    """The dice are thrown and a message follows them: the result."""
    methods = [c.method for c in calls]
    return "sendDice" in methods and "sendMessage" in methods[methods.index("sendDice") :]


def _shows(step: Step, wanted: str) -> bool:
    return any(wanted in shown for shown in step.texts())


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_players_journey(  # type: ignore[no-untyped-def]
    bot_service: BotService, fund_bankroll, engine, balances, language
):
    await fund_bankroll()
    api = bot_service.api
    player = Player(api, language)

    def answered(step: Step) -> Step:
        return _answered(step, bot_service)

    answered(await player.says("/start"))  # the 18+ and terms gate
    answered(await player.taps(data="a:"))  # accepted: the main menu
    player_id = await _player_id(engine, player)

    # A Stars deposit: the bot offers a limit first, then the invoice; Telegram asks before it
    # takes the Stars (pre-checkout), then says they were taken (successful_payment).
    answered(await player.opens("deposit"))
    answered(await player.taps(data="dp"))  # "No limit for now" (issue 23): the amounts
    answered(await player.taps(data=f"d:{DEPOSIT}"))
    invoice = player.last_invoice()
    assert int(invoice.params["chat_id"]) == player.user_id
    payload = invoice.params["payload"]
    checkout = answered(await player.checks_out(payload, DEPOSIT))
    assert [c.params["ok"] for c in checkout.calls if c.method == "answerPreCheckoutQuery"] == [
        "true"
    ]
    credited = answered(await player.has_paid(payload, DEPOSIT))
    assert _shows(credited, f"{DEPOSIT} ⭐"), credited.texts()
    assert (await _books(engine, balances, player_id))[0] == Money(DEPOSIT, XTR)

    # A Telegram dice game: the bot throws the dice; Telegram's answer (a 4: even) settles.
    api.dice.append(4)
    answered(await player.opens("games"))
    answered(await player.taps(data="g:tg_dice"))
    answered(await player.taps(data=f"s:tg_dice:{STAKE}"))
    thrown = answered(await player.taps(data=f"b:tg_dice:{STAKE}:even:", until=_after_dice))
    assert [c.result["dice"]["value"] for c in thrown.calls if c.method == "sendDice"] == [4]
    after_dice = (await _books(engine, balances, player_id))[0]
    assert _shows(thrown, f"{after_dice.amount} ⭐"), thrown.texts()  # the balance it shows

    # A provably fair game: settled at once, with what verifies it.
    answered(await player.opens("games"))
    answered(await player.taps(data="g:coin"))
    answered(await player.taps(data=f"s:coin:{STAKE}"))
    flipped = answered(await player.taps(data=f"b:coin:{STAKE}:h:"))
    after_coin = (await _books(engine, balances, player_id))[0]
    assert _shows(flipped, f"{after_coin.amount} ⭐"), flipped.texts()

    shown = answered(await player.opens("balance"))
    assert _shows(shown, f"{after_coin.amount} ⭐"), shown.texts()
    answered(await player.opens("history"))

    # A loss limit of 1000 ⭐ a week, set with buttons.
    answered(await player.opens("limits"))
    answered(await player.taps(data="r:kind:loss"))
    answered(await player.taps(data="r:period:loss:7d"))
    answered(await player.taps(data="r:set:loss:7d:1000"))

    # A withdrawal by buttons: the deposit is not played through yet, and the bot says so.
    answered(await player.opens("withdraw"))
    answered(await player.taps(data="wa:"))  # the first amount offered
    answered(await player.says("@e2eplayer"))  # the destination
    answered(await player.taps(data="wc:"))  # confirm: refused, the deposit is to be wagered

    # Nonsense gets the menu.
    answered(await player.says("ok so what now???", within=NONSENSE_WAIT))
    answered(await player.says("/dance", within=NONSENSE_WAIT))

    # A time-out of 24 hours, asked twice; then a bet is refused in words, and no money moves.
    answered(await player.says("/limits"))
    answered(await player.taps(data="r:timeout:"))
    answered(await player.taps(data="r:timeout_ask::24h"))
    answered(await player.taps(data="r:timeout_go::24h"))
    answered(await player.says("/start"))  # back to the menu, as a person would
    paused = answered(await player.opens("games"))  # the break is shown, not the games
    assert not any(
        b.get("callback_data", "").startswith("g:") for _, bs in player.keyboards()[:1] for b in bs
    ), paused.texts()

    balance, bets, stakes, payouts = await _books(engine, balances, player_id)
    assert bets == 2
    assert balance == after_coin == Money(DEPOSIT - stakes + payouts, XTR)

    transcript = player.transcript
    assert not broken_lines(transcript), broken_lines(transcript)
    assert "Traceback" not in bot_service.log.read_text(errors="replace"), bot_service.log_tail()
    if (path := tour_path(language)) is not None:
        path.write_text(written(transcript, TITLES[language]))
    problems = tour_problems(transcript, language)
    if STRICT:
        assert not problems, "\n".join(problems)
    elif problems:
        report = f"{len(problems)} problems in the {language} tour:\n" + "\n".join(problems)
        warnings.warn(report, stacklevel=1)
        if tour_path(language) is not None:
            print(report)  # `./dev tour` shows them
