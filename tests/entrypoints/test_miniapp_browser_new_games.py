"""The Mini App's plinko and mines screens in headless Chromium, in Telegram's light and dark
themes, against the real app for everything but these two games' routes.

FAKE ROUTES: plinko and mines are being built at the same time as these screens, so this
test answers their routes itself (Playwright intercepts the page's fetches): `GET /games`
is the real list with plinko and mines added (described by the real OFFERS table), `POST
/play` for plinko, and the four mines routes, all to the contract in the issue. At merge,
drop `NewGames` and let the requests reach the real routes (the assertions on the page stay)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from math import comb
from typing import Any

import msgspec
import pytest

from domain.games.base import format_multiplier
from entrypoints.http.miniapp_games import OFFERS
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

LIMITS = {"XTR": {"min_stake": 1, "max_stake": 10_000, "max_payout": 1_000_000}}
MINES = frozenset({3, 7, 12})  # where the fake's mines lie


def _offer(code: str, title: str) -> dict[str, Any]:
    kind, params = OFFERS[code]
    return {
        "code": code,
        "title": title,
        "kind": kind,
        "house_edge": "0.01",
        "limits": LIMITS,
        "params": msgspec.to_builtins(list(params)),
    }


def mines_multiplier(mines: int, safe: int) -> str:
    """(1 - edge) × C(25, k) / C(25 - mines, k), cut to four decimals."""
    exact = Fraction(99, 100) * comb(25, safe) / comb(25 - mines, safe)
    return format_multiplier(Fraction((exact * 10_000).__floor__(), 10_000))


@dataclass
class NewGames:
    """The plinko and mines routes as the issue's contract has them, in memory."""

    balance: int
    plinko_path: int = 0b1011_0101
    plinko_multiplier: str = "4"
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    game: dict[str, Any] | None = None

    def _amount(self, amount: int) -> dict[str, Any]:
        return {"amount": amount, "currency": "XTR"}

    def _view(self) -> dict[str, Any]:
        assert self.game is not None
        return {**self.game, "balance": self._amount(self.balance)}

    async def handle(self, route, request) -> None:
        path = request.url.split("/api/v1/app", 1)[1]
        body = json.loads(request.post_data) if request.post_data else {}
        self.requests.append((request.method, path, body))
        if path == "/games":
            real = await route.fetch()
            games = (await real.json())["games"]
            games += [_offer("plinko", "Plinko"), _offer("mines", "Mines")]
            await route.fulfill(json={"games": games})
        elif path == "/play" and body.get("game") == "plinko":
            await route.fulfill(json=self._plinko(body))
        elif path.startswith("/mines"):
            status, answer = self._mines(request.method, path, body)
            await route.fulfill(
                status=status,
                json=answer,
                headers={"content-type": "application/problem+json"} if status >= 400 else {},
            )
        else:
            await route.fallback()

    def _plinko(self, body: dict[str, Any]) -> dict[str, Any]:
        stake = body["stake"]
        payout = (stake * Fraction(self.plinko_multiplier)).__floor__()
        self.balance += payout - stake
        now = datetime.now(UTC).isoformat()
        bet = {
            "id": str(uuid.uuid4()),
            "game": "plinko",
            "params": body["params"],
            "stake": self._amount(stake),
            "state": "won" if payout else "lost",
            "outcome": self.plinko_path,
            "multiplier": self.plinko_multiplier,
            "payout": payout,
            "placed_at": now,
            "settled_at": now,
            "seed_pair_id": 1,
            "nonce": 0,
            "server_seed_hash": "ab" * 32,
            "client_seed": "fake",
        }
        return {"bet": bet, "balance": self._amount(self.balance), "replayed": False}

    def _mines(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        game = self.game
        if method == "GET":
            if game is None or game["state"] != "open":
                return 404, {"status": 404, "detail": "no mines game is open"}
            return 200, self._view()
        if path == "/mines":
            if body["stake"] > LIMITS["XTR"]["max_stake"]:
                return 409, {"status": 409, "detail": "the largest stake is 10,000 XTR"}
            self.balance -= body["stake"]
            self.game = {
                "id": str(uuid.uuid4()),
                "state": "open",
                "stake": self._amount(body["stake"]),
                "mines": body["mines"],
                "revealed": [],
                "multiplier": "1",
                "next_multiplier": mines_multiplier(body["mines"], 1),
                "payout": None,
                "mine_positions": None,
            }
            return 200, self._view()
        assert game is not None
        assert path.startswith(f"/mines/{game['id']}/")
        if path.endswith("/reveal"):
            tile = body["tile"]
            game["revealed"].append(tile)
            if tile in MINES:
                game.update(state="busted", payout=0, next_multiplier=None)
                game["mine_positions"] = sorted(MINES)
            else:
                safe = len(game["revealed"])
                game["multiplier"] = mines_multiplier(game["mines"], safe)
                game["next_multiplier"] = mines_multiplier(game["mines"], safe + 1)
            return 200, self._view()
        payout = (game["stake"]["amount"] * Fraction(game["multiplier"])).__floor__()
        self.balance += payout
        game.update(state="cashed_out", payout=payout, next_multiplier=None)
        game["mine_positions"] = sorted(MINES)
        return 200, self._view()


async def _open(live_server, browser, adjust, fund_bankroll, new_telegram_id, theme):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust)
    opened = await open_app(browser, live_server, player, theme)
    fake = NewGames(balance=1000)
    await opened.page.route(re.compile(r"/api/v1/app/(games|play|mines)"), fake.handle)
    await opened.page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await opened.page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(opened.page.locator("#lobby")).to_be_visible()
    return opened, fake


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_plinko_drops_the_ball_along_the_bets_path(
    theme, live_server, browser, adjust, fund_bankroll, new_telegram_id, shots
):
    from playwright.async_api import expect

    opened, fake = await _open(live_server, browser, adjust, fund_bankroll, new_telegram_id, theme)
    page = opened.page
    await page.locator("#play-plinko").click()
    await expect(page.locator("#game-title")).to_have_text("Plinko")
    # The board follows the rows chosen, before any bet: 8 rows of 3..10 pegs, 9 slots.
    await page.locator("#param-rows").fill("8")
    await page.get_by_label("high", exact=True).check()
    await expect(page.locator("svg.plinko .slot")).to_have_count(9)
    await expect(page.locator("svg.plinko .peg")).to_have_count(sum(range(3, 11)))
    await page.locator("#stake").fill("10")
    await page.locator("#roll").click()

    # 0b10110101: right at rows 0, 2, 4, 5 and 7, so slot 5; the ball lands there.
    board = page.locator("svg.plinko")
    await expect(board).to_have_attribute("data-state", "landed")
    await expect(board).to_have_attribute("data-slot", "5")
    await expect(page.locator("svg.plinko .slot.landed")).to_have_attribute("data-slot", "5")
    await expect(page.locator("#outcome")).to_have_text("Slot 5 of 8 ×4 — You won 40 XTR")
    await expect(page.locator("#balance")).to_have_text("1030")
    await expect(page.locator("#roll")).to_have_text("Play")
    plays = [body for method, path, body in fake.requests if path == "/play"]
    assert len(plays) == 1
    assert plays[0]["game"] == "plinko"
    assert plays[0]["params"] == {"rows": "8", "risk": "high"}
    assert plays[0]["stake"] == 10
    assert plays[0]["currency"] == "XTR"
    uuid.UUID(plays[0]["request_id"])
    await shoot(page, shots, f"plinko-8-{theme}")

    # 16 rows: the path's bits past the rows played are not the ball's.
    fake.plinko_path = 0b1111_0000_1111_0000 | (1 << 20)
    fake.plinko_multiplier = "0.5"
    await page.locator("#param-rows").fill("16")
    await page.get_by_label("low", exact=True).check()
    await page.locator("#roll").click()
    await expect(board).to_have_attribute("data-slot", "8")
    await expect(page.locator("#outcome")).to_have_text("Slot 8 of 16 ×0.5 — 5 XTR back")
    await expect(page.locator("#roll")).to_have_text("Play")
    await shoot(page, shots, f"plinko-16-{theme}")
    assert opened.errors == []
    await opened.context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_mines_opens_reveals_cashes_out_and_busts(
    theme, live_server, browser, adjust, fund_bankroll, new_telegram_id, shots
):
    from playwright.async_api import expect

    opened, fake = await _open(live_server, browser, adjust, fund_bankroll, new_telegram_id, theme)
    page = opened.page
    await page.locator("#play-mines").click()
    await expect(page.locator("#mines")).to_be_visible()
    await expect(page.locator("#mines-setup")).to_be_visible()  # GET /mines said 404: none open
    tiles = page.locator("#mines-board .tile")
    await expect(tiles).to_have_count(25)
    await expect(tiles.first).to_be_disabled()

    # A refusal is the problem's detail, in words.
    await page.locator("#mines-stake").fill("99999")
    await page.locator("#mines-start").click()
    await expect(page.locator("#message")).to_have_text("The largest stake is 10,000 XTR.")

    await page.locator("#mines-stake").fill("10")
    await page.locator("#mines-count").fill("3")
    await page.locator("#mines-start").click()
    await expect(page.locator("#mines-setup")).to_be_hidden()
    await expect(page.locator("#balance")).to_have_text("990")
    await expect(page.locator("#mines-cashout")).to_be_disabled()
    await page.get_by_role("button", name="Tile 1", exact=True).click()
    await expect(tiles.nth(0)).to_have_attribute("data-state", "safe")
    await expect(tiles.nth(0)).to_be_disabled()
    once = mines_multiplier(3, 1)
    await expect(page.locator("#mines-info")).to_contain_text(f"1 safe · ×{once}")
    await page.get_by_role("button", name="Tile 2", exact=True).click()
    await expect(tiles.nth(1)).to_have_attribute("data-state", "safe")
    twice = mines_multiplier(3, 2)
    payout = (10 * Fraction(twice)).__floor__()
    await expect(page.locator("#mines-cashout")).to_have_text(f"Cash out {payout} XTR")

    # The open game survives leaving the screen: GET /mines brings it back.
    await page.locator("#back").click()
    await page.locator("#play-mines").click()
    await expect(tiles.nth(1)).to_have_attribute("data-state", "safe")
    await expect(page.locator("#balance")).to_be_in_viewport()
    await shoot(page, shots, f"mines-open-{theme}")

    await page.locator("#mines-cashout").click()
    await expect(page.locator("#mines-info")).to_have_text(
        f"Cashed out at ×{twice} — You won {payout} XTR"
    )
    await expect(page.locator("#balance")).to_have_text(str(990 + payout))
    for mine in MINES:
        await expect(tiles.nth(mine)).to_have_attribute("data-state", "mine")
    await expect(page.locator("#mines-setup")).to_be_visible()
    await shoot(page, shots, f"mines-cashed-{theme}")

    # Another game, and a mine on the first tile turned.
    await page.locator("#mines-start").click()
    await expect(page.locator("#mines-setup")).to_be_hidden()
    await page.get_by_role("button", name="Tile 8", exact=True).click()
    await expect(tiles.nth(7)).to_have_attribute("data-state", "hit")
    await expect(page.locator("#mines-info")).to_have_text("A mine — you lost 10 XTR. Play again?")
    await expect(page.locator("#balance")).to_have_text(str(980 + payout))
    await expect(tiles.nth(3)).to_have_attribute("data-state", "mine")
    await expect(page.locator("#mines-setup")).to_be_visible()
    await shoot(page, shots, f"mines-busted-{theme}")

    # Every call kept to the contract: ints, the currency, a fresh request id per press.
    moves = [(m, p, b) for m, p, b in fake.requests if p.startswith("/mines") and m == "POST"]
    starts = [b for _, p, b in moves if p == "/mines"]
    assert starts[-1] == {**starts[-1], "stake": 10, "currency": "XTR", "mines": 3}
    reveals = [b for _, p, b in moves if p.endswith("/reveal")]
    assert [b["tile"] for b in reveals] == [0, 1, 7]
    ids = [b["request_id"] for _, _, b in moves]
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        uuid.UUID(request_id)
    assert opened.errors == []
    await opened.context.close()
