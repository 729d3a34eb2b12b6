"""The Mini App in the player's language (issue 23), in headless Chromium against the real
routes: a player whose Telegram speaks Turkish reads the lobby and a game in Turkish; a player
whose Telegram says English but who chose Spanish on the bot's language screen reads Spanish
(the player's own choice wins). Screenshots: miniapp-tr-gate.png, miniapp-tr-dice.png,
miniapp-es-care.png (in $CROUPIER_SHOTS_DIR)."""

from __future__ import annotations

import secrets
from urllib.parse import quote

import httpx
import pytest

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    WAIT_MS,
    Player,
    funded_player,
    init_data,
    launch_url,
    open_app,
    shoot,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

browser = kit.browser
shots = kit.shots
live_server = kit.live_server


async def _player_speaking(server, telegram_id: int, language_code: str, adjust) -> Player:
    """A player registered from a Telegram speaking `language_code`, with 1000 ⭐ from staff."""
    from application.postings import AdjustBalanceCommand
    from domain.money import XTR, Money

    async with httpx.AsyncClient(base_url=server.url) as api:
        opened = await api.post(
            "/api/v1/app/session", json={"init_data": init_data(telegram_id, "Ayşe", language_code)}
        )
        assert opened.status_code == 201, opened.text
    body = opened.json()
    await adjust(
        AdjustBalanceCommand(
            body["player_id"],
            Money(1000, XTR),
            "e2e funds",
            "staff:e2e",
            f"e2e-{secrets.token_hex(6)}",
        )
    )
    headers = {"Authorization": f"Bearer {body['token']}"}
    return Player(telegram_id, body["player_id"], headers, "Ayşe")


async def test_a_turkish_telegram_reads_the_app_in_turkish(
    live_server, browser, adjust, new_telegram_id, shots, fund_bankroll
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await _player_speaking(live_server, new_telegram_id(), "tr", adjust)
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    launch = quote(init_data(player.telegram_id, "Ayşe", "tr"))
    await page.goto(f"{live_server.url}/app/#tgWebAppData={launch}")
    await expect(page.locator("#gate")).to_be_visible()
    await expect(page.locator("#gate-title")).to_have_text("Oynamadan önce")
    await expect(page.locator("#live")).to_have_text("Canlı güncellemeler: açık")
    await expect(page.locator("#greeting")).to_have_text("Merhaba Ayşe!")
    assert await page.evaluate("document.documentElement.lang") == "tr"
    await shoot(page, shots, "miniapp-tr-gate")
    await page.get_by_role("button", name="18 yaşından büyüğüm ve şartları kabul ediyorum").click()
    await expect(page.locator("#lobby-title")).to_have_text("Oyunlar")
    await expect(page.locator("#open-care")).to_have_text("Limitler ve molalar")
    await expect(page.locator("#play-dice .tile-title")).to_have_text("Zar")
    await page.locator("#play-dice").click()
    await expect(page.locator("#game-title")).to_have_text("Zar")
    await expect(page.locator("#roll")).to_have_text("Oyna")
    await expect(page.locator("#bet-hint")).to_have_text("Kazanma şansı %50.00 · ödeme ×1.9801")
    await page.locator("#roll").click()
    await expect(page.locator("#outcome")).to_contain_text("Gelen ")
    await expect(page.locator("#outcome-detail")).to_contain_text("Bahis 10 ⭐")
    await expect(page.locator("#roll")).to_have_text("Oyna")
    await shoot(page, shots, "miniapp-tr-dice")
    assert opened.errors == []
    await opened.context.close()


async def test_the_language_chosen_in_the_bot_wins_over_telegrams(
    live_server, browser, adjust, new_telegram_id, shots, uow_factory, clock
):
    from playwright.async_api import expect

    from application.onboarding import AcceptTerms, SetLanguage

    expect.set_options(timeout=WAIT_MS)
    player = await funded_player(live_server, new_telegram_id(), adjust)  # Telegram: English
    await SetLanguage(uow_factory)(player.player_id, "es")  # the bot's language screen
    await AcceptTerms(uow_factory, clock)(player.player_id)
    opened = await open_app(browser, live_server, player, "dark")
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, "dark"))
    await expect(page.locator("#lobby-title")).to_have_text("Juegos")
    await expect(page.locator("#live")).to_have_text("Actualizaciones en vivo: activadas")
    await page.locator("#open-care").click()
    await expect(page.locator("#care-title")).to_have_text("Límites y pausas")
    await page.locator("#limit-amount").fill("500")
    await page.locator("#limit-save").click()
    await expect(page.locator("#care-note")).to_have_text("El límite está en vigor.")
    await expect(page.locator("#limit-list")).to_contain_text("Límite de pérdidas por 24 horas")
    await expect(page.locator("#limit-list")).to_contain_text("Usado 0 ⭐, quedan 500 ⭐")
    await shoot(page, shots, "miniapp-es-care")
    assert opened.errors == []
    await opened.context.close()
