"""The Mini App's plinko and mines screens in headless Chromium, in Telegram's light and dark
themes, against the real app and its real routes (`POST /play` for plinko, the four mines
routes). The outcomes are the seeds': the test reads what each bet drew (the answer of
`/play`, a mines field's mines from its row) and checks that the screen shows exactly that."""

from __future__ import annotations

import uuid
from fractions import Fraction
from math import comb

import pytest
from sqlalchemy import text

from domain.games.base import format_multiplier
from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    WAIT_MS,
    funded_player,
    launch_url,
    open_app,
    shoot,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

# The kit's fixtures, used by name below.
live_server = kit.live_server
browser = kit.browser
shots = kit.shots

FUNDS = 1000


def mines_multiplier(mines: int, safe: int) -> str:
    """(1 - edge) × C(25, k) / C(25 - mines, k), cut to four decimals."""
    exact = Fraction(99, 100) * comb(25, safe) / comb(25 - mines, safe)
    return format_multiplier(Fraction((exact * 10_000).__floor__(), 10_000))


def _is_post(path: str):
    return lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path)


async def _open(live_server, browser, adjust, fund_bankroll, new_telegram_id, theme):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=FUNDS)
    opened = await open_app(browser, live_server, player, theme)
    await opened.page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await opened.page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(opened.page.locator("#lobby")).to_be_visible()
    return opened


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_plinko_drops_the_ball_along_the_bets_path(
    theme, live_server, browser, adjust, fund_bankroll, new_telegram_id, shots
):
    from playwright.async_api import expect

    opened = await _open(live_server, browser, adjust, fund_bankroll, new_telegram_id, theme)
    page = opened.page
    await page.locator("#play-plinko").click()
    await expect(page.locator("#game-title")).to_have_text("Plinko")
    balance = FUNDS
    board = page.locator("svg.plinko")
    for rows, risk, shot in ((8, "high", "plinko-8"), (16, "low", "plinko-16")):
        # The board follows the rows chosen, before any bet: 3..rows+2 pegs a row.
        await page.locator("#param-rows").fill(str(rows))
        await page.get_by_label(risk, exact=True).check()
        await expect(page.locator("svg.plinko .slot")).to_have_count(rows + 1)
        await expect(page.locator("svg.plinko .peg")).to_have_count(sum(range(3, rows + 3)))
        await page.locator("#stake").fill("10")
        async with page.expect_response(_is_post("/api/v1/app/play")) as answered:
            await page.locator("#roll").click()
        played = await (await answered.value).json()
        bet = played["bet"]
        assert bet["game"] == "plinko"
        assert bet["params"] == {"rows": str(rows), "risk": risk}
        assert bet["stake"] == {"amount": 10, "currency": "XTR"}
        # The ball lands where the bet's path says: one bit a row, 1 = right.
        slot = (bet["outcome"] & ((1 << rows) - 1)).bit_count()
        await expect(board).to_have_attribute("data-state", "landed")
        await expect(board).to_have_attribute("data-slot", str(slot))
        await expect(page.locator("svg.plinko .slot.landed")).to_have_attribute(
            "data-slot", str(slot)
        )
        payout = bet["payout"]
        said = f"You won {payout} ⭐" if payout > 10 else f"{payout} ⭐ back"
        await expect(page.locator("#outcome")).to_have_text(
            f"Slot {slot} of {rows} ×{bet['multiplier']} — {said}"
        )
        balance += payout - 10
        assert played["balance"] == {"amount": balance, "currency": "XTR"}
        await expect(page.locator("#balance")).to_have_text(str(balance))
        await expect(page.locator("#roll")).to_have_text("Play")
        await shoot(page, shots, f"{shot}-{theme}")
    assert opened.errors == []
    await opened.context.close()


async def _mines_of(engine, game_id: str) -> list[int]:
    async with engine.connect() as conn:
        positions = await conn.scalar(
            text("SELECT positions FROM mines_games WHERE id = :id"), {"id": uuid.UUID(game_id)}
        )
    return sorted(positions)


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_mines_opens_reveals_cashes_out_and_busts(
    theme, live_server, browser, adjust, fund_bankroll, new_telegram_id, shots, engine
):
    from playwright.async_api import expect

    opened = await _open(live_server, browser, adjust, fund_bankroll, new_telegram_id, theme)
    page = opened.page
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.post_data_json) if r.method == "POST" and "/mines" in r.url else None
        ),
    )
    await page.locator("#play-mines").click()
    await expect(page.locator("#mines")).to_be_visible()
    await expect(page.locator("#mines-setup")).to_be_visible()  # GET /mines said 404: none open
    tiles = page.locator("#mines-board .tile")
    await expect(tiles).to_have_count(25)
    await expect(tiles.first).to_be_disabled()

    # A refusal in the player's words, from its reason and numbers (the largest mines stake
    # in Stars is 10,000).
    await page.locator("#mines-stake").fill("99999")
    await page.locator("#mines-start").click()
    await expect(page.locator("#message")).to_have_text(
        "The largest stake in this game is 10000 ⭐."
    )

    await page.locator("#mines-stake").fill("10")
    await page.locator("#mines-count").fill("3")
    async with page.expect_response(_is_post("/api/v1/app/mines")) as answered:
        await page.locator("#mines-start").click()
    game = await (await answered.value).json()
    mines = await _mines_of(engine, game["id"])
    assert len(mines) == 3
    first, second = [t for t in range(25) if t not in mines][:2]
    await expect(page.locator("#mines-setup")).to_be_hidden()
    await expect(page.locator("#balance")).to_have_text(str(FUNDS - 10))
    await expect(page.locator("#mines-cashout")).to_be_disabled()
    await page.get_by_role("button", name=f"Tile {first + 1}", exact=True).click()
    await expect(tiles.nth(first)).to_have_attribute("data-state", "safe")
    await expect(tiles.nth(first)).to_be_disabled()
    once = mines_multiplier(3, 1)
    await expect(page.locator("#mines-info")).to_contain_text(f"1 safe · ×{once}")
    await page.get_by_role("button", name=f"Tile {second + 1}", exact=True).click()
    await expect(tiles.nth(second)).to_have_attribute("data-state", "safe")
    twice = mines_multiplier(3, 2)
    payout = (10 * Fraction(twice)).__floor__()
    await expect(page.locator("#mines-cashout")).to_have_text(f"Cash out {payout} ⭐")

    # The open game survives leaving the screen: GET /mines brings it back.
    await page.locator("#back").click()
    await page.locator("#play-mines").click()
    await expect(tiles.nth(second)).to_have_attribute("data-state", "safe")
    await expect(page.locator("#balance")).to_be_in_viewport()
    await shoot(page, shots, f"mines-open-{theme}")

    await page.locator("#mines-cashout").click()
    await expect(page.locator("#mines-info")).to_have_text(
        f"Cashed out at ×{twice} — You won {payout} ⭐"
    )
    await expect(page.locator("#balance")).to_have_text(str(FUNDS - 10 + payout))
    for mine in mines:
        await expect(tiles.nth(mine)).to_have_attribute("data-state", "mine")
    await expect(page.locator("#mines-setup")).to_be_visible()
    await shoot(page, shots, f"mines-cashed-{theme}")

    # Another game, and a mine on the first tile turned.
    async with page.expect_response(_is_post("/api/v1/app/mines")) as answered:
        await page.locator("#mines-start").click()
    game = await (await answered.value).json()
    mines = await _mines_of(engine, game["id"])
    await expect(page.locator("#mines-setup")).to_be_hidden()
    hit, *others = mines
    await page.get_by_role("button", name=f"Tile {hit + 1}", exact=True).click()
    await expect(tiles.nth(hit)).to_have_attribute("data-state", "hit")
    await expect(page.locator("#mines-info")).to_have_text("A mine — you lost 10 ⭐. Play again?")
    await expect(page.locator("#balance")).to_have_text(str(FUNDS - 20 + payout))
    for mine in others:
        await expect(tiles.nth(mine)).to_have_attribute("data-state", "mine")
    await expect(page.locator("#mines-setup")).to_be_visible()
    await shoot(page, shots, f"mines-busted-{theme}")

    # Every call kept to the contract: ints, the currency, a fresh request id per press.
    starts = [b for b in sent if "tile" not in b and "stake" in b]
    assert starts[-1] == {**starts[-1], "stake": 10, "currency": "XTR", "mines": 3}
    assert [b["tile"] for b in sent if "tile" in b] == [first, second, hit]
    ids = [b["request_id"] for b in sent]
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        uuid.UUID(request_id)
    assert opened.errors == []
    await opened.context.close()
