"""The player's bonus in the bot, through the real Dispatcher and a fake Bot API: "🎁 Bonus" in
the menu (only with an active bonus, and never for a player refused promotions), the screen
with its progress, each game's share and the expiry, the claim once wagering is met, the
give-up with its confirmation, and the one extra step of a withdrawal while a bonus is active.
Written as transcripts to .croupier/test/transcripts/bot-bonus-<language>.txt."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.betting import PlaceBetCommand
from application.bonuses import grant_bonus
from application.staff import Actor
from domain.bonuses import BonusOffer
from domain.money import XTR, Money
from entrypoints.bot.i18n import Translator
from entrypoints.bot.keyboards import Menu
from tests.conftest import TEST_HOUSE_SHARDS
from tests.entrypoints.test_bot_withdraw import chat, redis  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def give(uow_factory, ids, clock):
    async def run(player_id: int, amount: int = 100, multiple: int = 5) -> None:
        budget = f"bot-{uuid.uuid4().hex[:12]}"
        offer = BonusOffer(
            amount=Money(amount, XTR),
            wagering_multiple=multiple,
            wagering_base=Money(amount, XTR),
            expires_after=timedelta(days=7),
            max_stake=Money(50, XTR),
            campaign="welcome",
            budget=budget,
        )
        async with uow_factory() as uow:
            await uow.budgets.open(budget, Money(10_000, XTR))
            await grant_bonus(
                uow,
                ids,
                player_id=player_id,
                offer=offer,
                key=f"bot:{uuid.uuid4()}",
                now=clock.now(),
                shards=TEST_HOUSE_SHARDS,
            )
            await uow.commit()

    return run


def limbo(player_id: int, stake: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "limbo", Money(stake, XTR), {"target": "2"})


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_bonus_screen_its_claim_and_a_withdrawal_that_gives_it_up(
    chat,  # noqa: F811 - the fixture imported above
    give,
    place,
    balances,
    language,
):
    t = Translator(language)
    talk, player_id = await chat(language)
    await talk.tap("⬅️ menu", Menu(action="main").pack())
    assert t("bonus.title_button") not in talk.buttons()  # no bonus: no entry
    await give(player_id)
    for _ in range(3):
        await place(limbo(player_id, 40))  # 120 of 500 wagered
    await talk.tap("⬅️ menu", Menu(action="main").pack())
    assert t("bonus.title_button") in talk.buttons(), "\n".join(talk.lines)
    await talk.press(t("bonus.title_button"))
    shown = talk.shown().text
    assert t("bonus.progress", wagered=120, required=Money(500, XTR)) in shown
    assert "UTC" in shown  # the expiry says its zone
    assert "100%" in shown
    assert "5%" in shown  # roulette
    assert t("bonus.counts_duels") in shown  # duels count too: said with the terms
    assert t("bonus.claim") not in talk.buttons()  # not met yet
    await talk.press(t("bonus.give_up"))
    await talk.press(t("bonus.give_up_no"))  # kept: back to the screen
    assert t("bonus.progress", wagered=120, required=Money(500, XTR)) in talk.shown().text

    # A withdrawal while it is active asks once more, in the player's words.
    await talk.tap("🏧", Menu(action="withdraw").pack())
    await talk.press("500 ⭐")
    await talk.say("@ann_k")
    await talk.press(t("withdraw_flow.confirm"))
    ask = talk.shown().text
    assert t("bonus.withdraw.blocks", amount=Money(100, XTR), wagered=120,
             required=Money(500, XTR)) in ask  # fmt: skip
    assert t("bonus.withdraw.forfeit_yes") in talk.buttons(), "\n".join(talk.lines)
    await talk.press(t("bonus.withdraw.forfeit_yes"))
    assert any("500 ⭐" in line and "🏧" in line for line in talk.lines[-4:])
    await talk.tap("⬅️ menu", Menu(action="main").pack())
    assert t("bonus.title_button") not in talk.buttons()  # given up with the withdrawal

    # A second bonus with nothing left to wager is claimed as cash.
    await give(player_id, amount=30, multiple=0)
    await talk.tap("⬅️ menu", Menu(action="main").pack())
    assert t("bonus.title_button") in talk.buttons(), "\n".join(talk.lines[-12:])
    await talk.press(t("bonus.title_button"))
    before = next(b.amount for b in await balances(player_id) if b.currency == XTR)
    await talk.press(t("bonus.claim"))
    assert t("bonus.converted", amount=Money(30, XTR)) in talk.shown().text
    after = next(b.amount for b in await balances(player_id) if b.currency == XTR)
    assert after == before + 30
    talk.write(f"bot-bonus-{language}.txt")


async def test_a_blocked_player_hears_nothing_of_bonuses(
    chat,  # noqa: F811
    give,
    uow_factory,
    clock,
):
    from application.player_admin import BlockPlayer

    t = Translator("en")
    talk, player_id = await chat("en")
    await give(player_id)
    await BlockPlayer(uow_factory, clock)(player_id, "tests", Actor("staff:tests"))
    await talk.say("/bonus")
    assert t("bonus.title_button") not in talk.shown().text
    assert "bonus" not in talk.shown().text.lower()
