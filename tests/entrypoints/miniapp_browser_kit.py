"""What the Mini App's browser tests share: the real app under uvicorn on a free port, Debian's
Chromium driven headless by Playwright, a player opened as Telegram opens the page (in
Telegram's light or dark theme), and screenshots for a person to look at.

Needs Debian's `chromium` package (/usr/bin/chromium); `.ci/run` installs it. Without it these
tests fail, never skip: a browser test that silently did not run is not a pass.

Screenshots go to $CROUPIER_SHOTS_DIR when it is set (the issue asks a person to look at each
screen, light and dark), else to the test's temporary directory."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx
import pytest

from domain.webapp import sign
from entrypoints.composition.endpoints import Endpoints
from entrypoints.settings import Settings
from tests.conftest import TEST_PII_INDEX_KEY, TEST_PII_KEYS

CHROMIUM = Path("/usr/bin/chromium")
# As the machine notes say: headless, no sandbox (CI runs as root), and none of Chromium's
# own background traffic, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BOT_TOKEN = "424242:MINI-APP-BROWSER-TOKEN"
WAIT_MS = 15_000  # the longest any one page state may take to appear
PHONE = {"width": 390, "height": 844}

# Telegram's own day and night palettes, as a client passes them in tgWebAppThemeParams.
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#2481cc",
        "button_color": "#2481cc",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f1f1f5",
        "header_bg_color": "#ffffff",
        "destructive_text_color": "#e53935",
    },
    "dark": {
        "bg_color": "#212d3b",
        "text_color": "#ffffff",
        "hint_color": "#7d8b99",
        "link_color": "#5eabe1",
        "button_color": "#5288c1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#151e27",
        "header_bg_color": "#242d39",
        "destructive_text_color": "#ec3942",
    },
}


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings


def page_settings(tmp_path: Path, **extra: Any) -> Settings:
    """The settings of a page test's app (`extra`: a test's own, e.g. a referral programme)."""
    return Settings(
        bot_token=BOT_TOKEN,
        secret_key=secrets.token_hex(32),
        seed_key=secrets.token_bytes(32),
        pii_keys=TEST_PII_KEYS,
        pii_index_key=TEST_PII_INDEX_KEY,
        house_shards=4,
        data_dir=tmp_path,
        # a page test plays a few bets a second, as no player would
        velocity_bets_per_second=0,
        **extra,
    )


@contextlib.asynccontextmanager
async def serving(app: Any, settings: Settings) -> AsyncIterator[LiveServer]:
    """`app` served by uvicorn on a free loopback port in this event loop."""
    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    # pytest keeps SIGINT; uvicorn would otherwise install its own handlers.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    async with asyncio.timeout(30):
        while not server.started:  # uvicorn has no 'listening' event; poll its flag
            if serving.done():
                serving.result()
            await asyncio.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings)
    finally:
        server.should_exit = True
        await serving  # its lifespan shutdown closes the container
        listener.close()


@pytest.fixture
async def live_server(servers, tmp_path) -> AsyncIterator[LiveServer]:
    """The real app, served by uvicorn on a free loopback port in this event loop."""
    from entrypoints.composition.containers import make_http_container
    from entrypoints.http.app import create_app

    settings = page_settings(tmp_path)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    async with serving(create_app(make_http_container(settings, endpoints)), settings) as live:
        yield live


@pytest.fixture(scope="module")
async def browser():
    """One Chromium for a module's tests (each opens a context of its own: no cookie, storage
    or page is shared), not one started for every test."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the Mini App browser test needs Debian's chromium package "
            "(apt-get install chromium); .ci/run installs it",
            pytrace=False,
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    chosen = os.environ.get("CROUPIER_SHOTS_DIR")
    folder = Path(chosen) if chosen else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def init_data(user_id: int, first_name: str, language_code: str = "en") -> str:
    """Launch data as Telegram signs it for the bot, from a Telegram in `language_code`."""
    user = {"id": user_id, "first_name": first_name, "language_code": language_code}
    fields = {
        "query_id": secrets.token_hex(8),
        "user": json.dumps(user),
        "auth_date": str(int(time.time()) - 5),
    }
    return urlencode({**fields, "hash": sign(fields, BOT_TOKEN)})


def launch_url(server: LiveServer, telegram_id: int, name: str, theme: str | None = None) -> str:
    """The page as Telegram opens it: launch data and theme in the URL fragment."""
    fragment = f"tgWebAppData={quote(init_data(telegram_id, name))}"
    if theme is not None:
        fragment += f"&tgWebAppThemeParams={quote(json.dumps(THEMES[theme]))}"
    return f"{server.url}/app/#{fragment}"


@dataclass
class Player:
    telegram_id: int
    player_id: int
    headers: dict[str, str]
    name: str


async def funded_player(
    server: LiveServer, telegram_id: int, adjust, *, name: str = "Ann", stars: int = 1000
) -> Player:
    """A player the API registered (as /start would), with `stars` put there by staff: no
    deposit is accepted before the 18+ gate (domain.standing)."""
    from application.postings import AdjustBalanceCommand
    from domain.money import XTR, Money

    async with httpx.AsyncClient(base_url=server.url) as api:
        opened = await api.post(
            "/api/v1/app/session", json={"init_data": init_data(telegram_id, name)}
        )
        assert opened.status_code == 201, opened.text
    player_id = opened.json()["player_id"]
    await adjust(
        AdjustBalanceCommand(
            player_id, Money(stars, XTR), "e2e funds", "staff:e2e", f"e2e-{uuid.uuid4()}"
        )
    )
    return Player(
        telegram_id, player_id, {"Authorization": f"Bearer {opened.json()['token']}"}, name
    )


@dataclass
class OpenPage:
    page: Any
    context: Any
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # what the page asked off this machine


# The page loads Telegram's script by default (CROUPIER_MINIAPP_TELEGRAM_SCRIPT).
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
OFFLINE_TELEGRAM_SCRIPT = "/* Telegram's script, stood in for offline: no Telegram.WebApp */"
_LOCAL = frozenset({"127.0.0.1", "localhost"})


async def offline(context: Any, outside: list[str] | None = None) -> None:
    """Keep a browser context off the network: Telegram's script answers as an empty script
    (a test that wants Telegram.WebApp stands it in with an init script), anything else off
    this machine is refused; `outside` records what was asked."""

    async def answer(route: Any) -> None:
        url = route.request.url
        if outside is not None:
            outside.append(url)
        if url == TELEGRAM_SCRIPT:
            await route.fulfill(
                status=200, content_type="text/javascript", body=OFFLINE_TELEGRAM_SCRIPT
            )
        else:
            await route.abort()

    await context.route(lambda url: urlsplit(url).hostname not in _LOCAL, answer)


async def open_app(browser, server: LiveServer, player: Player, theme: str | None) -> OpenPage:
    """The page on a phone-sized screen, in the theme's colour scheme, as Telegram opens it."""
    context = await browser.new_context(
        viewport=PHONE, color_scheme="dark" if theme == "dark" else "light"
    )
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    opened = OpenPage(page, context)
    await offline(context, opened.outside)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    return opened


async def shoot(page, shots: Path, name: str) -> Path:
    """A full-page screenshot, once the page has settled (fonts, the ball's fall)."""
    path = shots / f"{name}.png"
    # From the top: a page scrolled to a focused button draws the sticky header mid-page.
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path
