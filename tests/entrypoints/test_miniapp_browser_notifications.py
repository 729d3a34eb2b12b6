"""The Mini App's notification choices and its refusals in the player's language (issue 23), in
headless Chromium against the real routes.

- The lobby's "Notifications" opens one switch a topic, as GET /notifications answers them;
  withdrawals is on and cannot be switched, with the reason; turning "Bonus about to end" off
  is saved (the API reads it back) and said; a choice that cannot reach the server is put back
  and the failure said in the player's language; a topic the page has no words for yet shows
  under its code made readable. In English (light) and Russian (dark).
- A bet refused for want of balance reads in Russian with the player's own "5 ⭐", never the
  server's English or "XTR".

Screenshots (in $CROUPIER_SHOTS_DIR): notifications-en.png, notifications-ru.png,
notifications-error-ru.png, refusal-ru.png."""

from __future__ import annotations

import json
import secrets
from urllib.parse import quote

import httpx
import pytest

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    THEMES,
    WAIT_MS,
    Player,
    init_data,
    open_app,
    shoot,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

browser = kit.browser
shots = kit.shots
live_server = kit.live_server

WORDS = {
    "en": {
        "button": "Notifications",
        "bonuses": "Bonus about to end",
        "why": "Withdrawal results are always sent: you must know what happens to your money.",
        "off": "Bonus about to end: off",
        "unreachable": "The casino cannot be reached. Check your connection and try again.",
    },
    "ru": {
        "button": "Уведомления",
        "bonuses": "Бонус скоро закончится",
        "why": "Результаты вывода приходят всегда: вы должны знать, что происходит с вашими "
        "деньгами.",
        "off": "Бонус скоро закончится: выключено",
        "unreachable": "Не удаётся связаться с казино. Проверьте подключение и попробуйте ещё раз.",
    },
}


async def _player(server, telegram_id: int, language: str, stars: int, adjust, accept) -> Player:
    """A player registered from a Telegram speaking `language`, 18+ gate passed, with
    `stars` from staff."""
    from application.postings import AdjustBalanceCommand
    from domain.money import XTR, Money

    async with httpx.AsyncClient(base_url=server.url) as api:
        opened = await api.post(
            "/api/v1/app/session", json={"init_data": init_data(telegram_id, "Ann", language)}
        )
        assert opened.status_code == 201, opened.text
    body = opened.json()
    await accept(body["player_id"])
    if stars:
        await adjust(
            AdjustBalanceCommand(
                body["player_id"],
                Money(stars, XTR),
                "e2e funds",
                "staff:e2e",
                f"e2e-{secrets.token_hex(6)}",
            )
        )
    return Player(
        telegram_id, body["player_id"], {"Authorization": f"Bearer {body['token']}"}, "Ann"
    )


def _url(server, player: Player, language: str, theme: str) -> str:
    launch = quote(init_data(player.telegram_id, player.name, language))
    themed = quote(json.dumps(THEMES[theme]))
    return f"{server.url}/app/#tgWebAppData={launch}&tgWebAppThemeParams={themed}"


@pytest.mark.parametrize(("language", "theme"), [("en", "light"), ("ru", "dark")])
async def test_the_player_switches_a_notification_off_and_withdrawals_stay_on(
    language, theme, live_server, browser, adjust, new_telegram_id, shots, uow_factory, clock
):
    from playwright.async_api import expect

    from application.onboarding import AcceptTerms

    expect.set_options(timeout=WAIT_MS)
    words = WORDS[language]
    player = await _player(
        live_server, new_telegram_id(), language, 0, adjust, AcceptTerms(uow_factory, clock)
    )
    opened = await open_app(browser, live_server, player, theme)
    page = opened.page
    await page.goto(_url(live_server, player, language, theme))
    await expect(page.locator("#open-notifications")).to_have_text(words["button"])
    await page.locator("#open-notifications").click()
    await expect(page.locator("#notifications-title")).to_have_text(words["button"])

    rows = page.locator("#notification-list li")
    await expect(rows).to_have_count(5)
    assert await rows.evaluate_all("(all) => all.map((li) => li.dataset.topic)") == [
        "deposits",
        "withdrawals",
        "bonuses",
        "crash_results",
        "limits",
    ]
    withdrawals = page.locator("#notify-withdrawals")
    await expect(withdrawals).to_be_checked()
    await expect(withdrawals).to_be_disabled()
    await expect(page.locator("#notify-withdrawals-why")).to_have_text(words["why"])

    bonuses = page.locator("#notify-bonuses")
    await expect(bonuses).to_be_checked()
    await expect(page.locator('#notification-list li[data-topic="bonuses"] label')).to_have_text(
        words["bonuses"]
    )
    await bonuses.click()
    await expect(page.locator("#notifications-note")).to_have_text(words["off"])
    await expect(page.locator("#notify-bonuses")).not_to_be_checked()
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        saved = await api.get("/api/v1/app/notifications", headers=player.headers)
    assert {t["topic"]: t["on"] for t in saved.json()["topics"]}["bonuses"] is False
    await expect(page.locator("#message")).to_be_hidden()
    await shoot(page, shots, f"notifications-{language}")

    # A choice that cannot reach the server is put back, and the failure said in words.
    await page.route("**/api/v1/app/notifications", lambda route: route.abort())
    await page.locator("#notify-deposits").click()
    await expect(page.locator("#message")).to_have_text(words["unreachable"])
    await expect(page.locator("#notify-deposits")).to_be_checked()
    await expect(page.locator("#notify-deposits")).to_be_enabled()
    if language == "ru":
        await shoot(page, shots, "notifications-error-ru")
    await page.unroute("**/api/v1/app/notifications")
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        kept = await api.get("/api/v1/app/notifications", headers=player.headers)
    assert {t["topic"]: t["on"] for t in kept.json()["topics"]}["deposits"] is True
    assert opened.errors == []
    await opened.context.close()


async def test_a_topic_the_page_has_no_words_for_shows_under_its_code(
    live_server, browser, adjust, new_telegram_id, uow_factory, clock
):
    """A topic the server adds (another kind of notice) shows with no change to the page but
    its texts; until then it reads as its code made readable."""
    from playwright.async_api import expect

    from application.onboarding import AcceptTerms

    expect.set_options(timeout=WAIT_MS)
    player = await _player(
        live_server, new_telegram_id(), "en", 0, adjust, AcceptTerms(uow_factory, clock)
    )
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page

    async def with_a_new_topic(route):
        answer = await route.fetch()
        body = await answer.json()
        body["topics"].append({"topic": "weekly_digest", "on": False, "required": False})
        await route.fulfill(response=answer, json=body)

    await page.route("**/api/v1/app/notifications", with_a_new_topic)
    await page.goto(_url(live_server, player, "en", "light"))
    await page.locator("#open-notifications").click()
    await expect(page.locator("#notification-list li")).to_have_count(6)
    new = page.locator('#notification-list li[data-topic="weekly_digest"]')
    await expect(new.locator("label")).to_have_text("Weekly digest")
    await expect(page.locator("#notify-weekly_digest")).not_to_be_checked()
    await expect(page.locator("#notify-weekly_digest")).to_be_enabled()
    assert opened.errors == []
    await opened.context.close()


async def test_a_refusal_reads_in_russian_with_stars(
    live_server, browser, adjust, new_telegram_id, shots, uow_factory, clock, fund_bankroll
):
    from playwright.async_api import expect

    from application.onboarding import AcceptTerms

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await _player(
        live_server, new_telegram_id(), "ru", 5, adjust, AcceptTerms(uow_factory, clock)
    )
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    await page.goto(_url(live_server, player, "ru", "light"))
    await page.locator("#play-dice").click()
    await page.locator("#stake").fill("10")
    await page.locator("#roll").click()
    message = page.locator("#message")
    await expect(message).to_have_text(
        "Недостаточно средств: на балансе 5 ⭐. Выберите ставку поменьше или пополните баланс "
        "в боте."
    )
    assert "XTR" not in (await message.text_content() or "")
    await expect(page.locator("#balance")).to_have_text("5")
    await shoot(page, shots, "refusal-ru")
    assert opened.errors == []
    await opened.context.close()
