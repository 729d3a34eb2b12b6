"""The Mini App's "More games" (issue 24), in headless Chromium against the real routes: the
aggregators' games the operator turned on show in the lobby; tapping one launches it and
hands its URL to Telegram.WebApp.openLink (a stand-in records it); the aggregator down is the
player's own sentence (problems.js), not a stack trace. The operator API is the in-memory
fake (the signed HTTP one: tests/entrypoints/test_aggregator_launch.py). Screenshots:
more-games-{light,dark,light-ru}.png, more-games-opened-*.png, more-games-refused-light*.png
(in $CROUPIER_SHOTS_DIR)."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from dishka import Provider, Scope, provide

from application.aggregators import (
    LaunchableGamesCache,
    RefreshAggregatorGames,
    SetAggregatorGameEnabled,
)
from application.ports import AggregatorApi
from application.staff import Actor
from domain.aggregator_games import ListedGame
from domain.game_sessions import aggregator_user
from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    WAIT_MS,
    funded_player,
    launch_url,
    open_app,
    page_settings,
    serving,
    shoot,
)
from tests.fake_aggregator_games import FakeAggregatorApi

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

LOCALES = Path(__file__).resolve().parents[2] / "src/entrypoints/http/static/miniapp/locales"

browser = kit.browser
shots = kit.shots

# What Telegram's script would put on the page, reduced to what "More games" uses.
TELEGRAM = """
window.__opened = [];
window.Telegram = { WebApp: {
  platform: "android",
  ready() {}, expand() {},
  openLink(url) { window.__opened.push(url); },
} };
"""


@pytest.fixture
def operator_api():
    name = f"hub-{secrets.token_hex(4)}"
    return FakeAggregatorApi(
        {
            name: [
                ListedGame("book-of-stars", "Book of Stars", "Video Slots", "Fake Studio"),
                ListedGame("live-roulette", "Live Roulette", "Live Casino", "Fake Live"),
                ListedGame("not-offered", "Not Offered", "Video Slots", "Fake Studio"),
            ]
        }
    )


@pytest.fixture
async def live_server(servers, tmp_path, operator_api, uow_factory, clock):
    from entrypoints.composition.containers import make_http_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.http.app import create_app

    class Api(Provider):
        @provide(scope=Scope.APP, override=True)
        def api(self) -> AggregatorApi:
            return operator_api

    (name,) = operator_api.configured()
    cache = LaunchableGamesCache(uow_factory, clock, timedelta(0))
    await RefreshAggregatorGames(uow_factory, operator_api, clock, cache)(name)
    for code in ("book-of-stars", "live-roulette"):
        await SetAggregatorGameEnabled(uow_factory, clock, cache)(
            name, code, True, Actor("staff:e2e")
        )
    settings = page_settings(tmp_path, game_session_key=secrets.token_hex(32))
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    app = create_app(make_http_container(settings, endpoints, Api()))
    async with serving(app, settings) as live:
        yield live


def _texts(language: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{language}.json").read_text())


@pytest.mark.parametrize(("theme", "language"), [("light", "en"), ("dark", "en"), ("light", "ru")])
async def test_the_lobby_offers_more_games_and_a_tap_opens_one(
    theme, language, live_server, browser, adjust, new_telegram_id, shots, operator_api, uow_factory
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    texts = _texts(language)
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=250)
    async with uow_factory() as uow:  # the language the player chose in the bot
        await uow.preferences.set_language(player.player_id, language)
        await uow.commit()
    opened = await open_app(browser, live_server, player, theme)
    page = opened.page
    await page.add_init_script(TELEGRAM)
    await page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await page.locator("#accept-terms").click()
    more = page.locator("#more-games")
    await expect(more).to_be_visible()
    await expect(more.locator("h2")).to_have_text(texts["more.title"])
    tiles = more.locator(".tile-more")
    await expect(tiles).to_have_count(2)
    await expect(tiles.nth(0)).to_contain_text("Book of Stars")
    await expect(tiles.nth(0)).to_contain_text("Fake Studio · Video Slots")
    await expect(tiles.nth(1)).to_contain_text("Live Roulette")
    suffix = theme if language == "en" else f"{theme}-{language}"
    await shoot(page, shots, f"more-games-{suffix}")

    await tiles.nth(1).click()
    await expect(page.locator("#more-games-note")).to_have_text(
        texts["more.opened"].replace("{game}", "Live Roulette")
    )
    await shoot(page, shots, f"more-games-opened-{suffix}")
    links = await page.evaluate("window.__opened")
    ((aggregator, asked),) = operator_api.asked
    assert links == [f"https://games.example/{aggregator}/live-roulette?token={asked.token}"]
    assert (asked.user, asked.currency, asked.platform) == (
        aggregator_user(player.player_id),  # "007" for player 7: the first players come padded
        "XTR",
        "GPL_MOBILE",
    )

    if theme == "light":  # the provider down: the player's sentence, nothing opened
        operator_api.down = True
        await tiles.nth(0).click()
        await expect(page.locator("#message")).to_have_text(texts["problem.aggregator_unavailable"])
        assert await page.evaluate("window.__opened.length") == 1
        await expect(tiles.nth(0)).to_contain_text("Fake Studio · Video Slots")  # as it was
        await shoot(page, shots, f"more-games-refused-{suffix}")
    assert opened.errors == []
    await opened.context.close()
