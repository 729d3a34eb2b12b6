"""The Mini App's crash screen in headless Chromium, against the real app and its real routes
(GET /crash, POST /crash/bets, POST /crash/cashout, the live socket's crash feed). The test
drives the rounds itself with the real `CrashDriver` on a chain it committed, whose crash points
it knows: the first round is cashed out by hand, the second pays its automatic cash-out target.

The rounds are played once, in Telegram's light theme, and every screen is shot in the light
and the dark theme (`_shoot_both`): nothing the page does depends on the theme, which only sets
colours, so a second play in the dark theme (17 s of rounds) checked nothing new."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import secrets
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import text

from adapters.postgres.crash import SqlLeaderLock
from adapters.postgres.crash_chain import commit_chain, set_salt
from application.crash import CrashDriver, CrashPolicy, SettleCrashedRound
from domain.crash import crash_point, first_link, next_link
from tests.crash_cleanup import finish_every_round
from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    THEMES,
    WAIT_MS,
    funded_player,
    launch_url,
    open_app,
    shoot,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

live_server = kit.live_server
browser = kit.browser
shots = kit.shots

FUNDS = 1000
SALT = "miniapp-crash"
# Bets close 4 s after a round opens (the skewed clock's test needs a window shorter than its
# 5 s of skew).
POLICY = CrashPolicy(betting_seconds=4.0, watch=0.02, lock_poll=0.05)
# The rounds the page bets on take bets until the test has seen the bet and closes them by hand
# (`_end_betting`): under two test workers on a loaded machine the page once took longer than
# 4 s from the round's opening to its bet, which the round refused (409, bets closed), and
# where it was quicker the driver waited the rest of the 4 s, twice a run.
BY_HAND = replace(POLICY, betting_seconds=120)


def _chain() -> tuple[bytes, str, str]:
    """A two-round chain: round 1 crashes at 1.30x-1.50x (4.4-6.8 s after its start, time to
    shoot the running screen twice and cash out by hand), round 2 at 1.15x-1.35x (past a 1.10x
    target)."""
    for i in itertools.count(secrets.randbelow(10**12)):
        secret = f"miniapp-crash-{i:012d}".encode()
        second = first_link(secret)  # round n uses link N - n
        first = next_link(second)
        if 130 <= crash_point(first, SALT) <= 150 and 115 <= crash_point(second, SALT) <= 135:
            return secret, first, second
    raise AssertionError("unreachable")


async def _committed(engine, uow_factory, settle: SettleCrashedRound) -> tuple[str, str, Any]:
    """Rounds other tests left finished, then a two-round chain committed (`_chain`): its
    hashes, and the chain."""
    await finish_every_round(uow_factory, settle)
    secret, first_hash, second_hash = _chain()
    async with engine.begin() as conn:
        committed = await commit_chain(conn, 2, secret=secret)
        await set_salt(conn, committed.id, SALT)
    return first_hash, second_hash, committed


async def _shoot_both(page, shots, name: str) -> None:
    """The screen as it is, in Telegram's light theme (the page's) and its dark one: the theme
    switched in place, as the page applies one at launch (theme.js's applyTheme and the
    browser's colour scheme), then back."""
    for theme in ("light", "dark"):
        await page.emulate_media(color_scheme=theme)
        await page.evaluate(
            "async (theme) => (await import('/app/theme.js')).applyTheme(theme)", THEMES[theme]
        )
        await shoot(page, shots, f"{name}-{theme}")
    await page.emulate_media(color_scheme="light")
    await page.evaluate(
        "async (theme) => (await import('/app/theme.js')).applyTheme(theme)", THEMES["light"]
    )


async def _end_betting(engine) -> None:
    """Close the betting round's bets now (PostgreSQL's clock): the driver starts it at its
    next step."""
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE crash_rounds SET betting_ends_at = now() WHERE phase = 'betting'")
        )


def _point(round_hash: str) -> str:
    return f"{crash_point(round_hash, SALT) / 100:.2f}"


async def _drive(driver: CrashDriver, rounds: int) -> None:
    """Until `rounds` more rounds have crashed (the driver opens the next one as one crashes):
    stepped by hand, as a leader's `run` would, so the test knows when to stop."""
    until = driver.stats.crashed + rounds
    for _ in range(10_000):
        if driver.stats.crashed >= until:
            return
        wait = await driver.step()
        await asyncio.sleep(max(wait, 0.01))
    raise AssertionError("the rounds did not crash")


async def test_crash_bets_cashes_out_and_shows_the_crash(
    live_server,
    browser,
    adjust,
    fund_bankroll,
    new_telegram_id,
    shots,
    engine,
    uow_factory,
    clock,
    ids,
    house,
):
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    first_hash, second_hash, committed = await _committed(engine, uow_factory, settle)
    driver = CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, BY_HAND)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=FUNDS)
    opened = await open_app(browser, live_server, player, "light")
    page = opened.page
    sent: list[dict] = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.post_data_json) if r.method == "POST" and "/crash" in r.url else None
        ),
    )
    driving: asyncio.Task[None] | None = None
    try:
        await page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
        await page.get_by_role("button", name="I am 18+ and accept the terms").click()
        await expect(page.locator("#play-crash")).to_be_visible()
        # Round 1 opens and takes bets only now: its 4 s of betting are for the bet, not for
        # loading the page (on a busy machine the page took them all, and the bet was refused).
        await driver.step()
        await page.locator("#play-crash").click()
        await expect(page.locator("#crash-title")).to_have_text("Crash")
        stage = page.locator("#crash-stage")
        await expect(stage).to_have_attribute("data-phase", "betting")
        await expect(page.locator("#crash-phase")).to_contain_text("Bets close in")
        await expect(page.locator("#live")).to_have_text("Live updates: on")

        # A target out of the game's range is said in the player's words, before any bet.
        await page.locator("#crash-target").fill("0.5")
        await page.locator("#crash-bet").click()
        await expect(page.locator("#message")).to_have_text(
            "An automatic cash-out from ×1.01 to ×1000.00; leave it empty to cash out by hand"
            " while the round runs."
        )
        await expect(page.locator("#balance")).to_have_text(str(FUNDS))

        # Round 1: 100 XTR, cashed out by hand.
        await page.locator("#crash-target").fill("")
        await page.locator("#crash-stake").fill("100")
        await page.locator("#crash-bet").click()
        await expect(page.locator("#crash-mine")).to_have_text("Your bet: 100 ⭐, cash out by hand")
        await expect(page.locator("#balance")).to_have_text(str(FUNDS - 100))
        await expect(page.locator("#crash-bet")).to_be_disabled()
        await expect(page.locator("#message")).to_be_hidden()
        await _shoot_both(page, shots, "crash-betting")

        await _end_betting(engine)
        driving = asyncio.create_task(_drive(driver, 1))
        await expect(stage).to_have_attribute("data-phase", "running")
        cash_out = page.locator("#crash-cashout")
        # the amount follows the curve drawn on the page (100 XTR at 1.00x, then more)
        await expect(cash_out).to_have_text(re.compile(r"^Cash out 1(0[3-9]|[1-9]\d) ⭐$"))
        await _shoot_both(page, shots, "crash-running")
        async with page.expect_response(lambda r: r.url.endswith("/crash/cashout")) as answered:
            await cash_out.click()
        done = await (await answered.value).json()
        at = done["cashed_out_at"]
        won = (100 * Fraction(at)).__floor__()
        assert done["balance"] == {"amount": FUNDS - 100 + won, "currency": "XTR"}
        await expect(page.locator("#crash-mine")).to_have_text(
            f"Cashed out at ×{at} — you won {won} ⭐"
        )
        await expect(page.locator("#balance")).to_have_text(str(FUNDS - 100 + won))
        await expect(cash_out).to_be_hidden()

        # The crash: its point and the line that checks it, kept while round 2 takes bets.
        await asyncio.wait_for(driving, 15)
        point = _point(first_hash)
        await expect(page.locator("#crash-round")).to_contain_text(f"the last crashed at ×{point}")
        await expect(page.locator("#crash-verify-line")).to_have_text(
            f"croupier verify --game crash --round 1 --round-hash {first_hash} --salt {SALT} "
            f"--chain-end {committed.end_hash}"
        )
        await expect(page.locator("#crash-mine")).to_have_text(
            f"Last round: cashed out at ×{at} — you won {won} ⭐"
        )
        await expect(page.locator("#commitment")).to_be_hidden()  # seeds play no part in crash
        await _shoot_both(page, shots, "crash-crashed")

        # Round 2: an automatic cash-out at 1.10x, paid at the crash without a press.
        await expect(stage).to_have_attribute("data-phase", "betting")
        await page.locator("#crash-target").fill("1.10")
        await page.locator("#crash-bet").click()
        await expect(page.locator("#crash-mine")).to_have_text(
            "Your bet: 100 ⭐, auto cash-out at ×1.10"
        )
        balance = FUNDS - 200 + won
        await expect(page.locator("#balance")).to_have_text(str(balance))
        await _end_betting(engine)
        driving = asyncio.create_task(_drive(driver, 1))
        await expect(page.locator("#crash-mine")).to_have_text(
            "Your target ×1.10 is reached: 110 ⭐ are yours"
        )
        await asyncio.wait_for(driving, 15)
        # "Last round: …" when a round of an older chain (another test's) opened meanwhile
        await expect(page.locator("#crash-mine")).to_have_text(
            re.compile(r"^(Last round: c|C)ashed out at ×1\.10 — you won 110 ⭐$")
        )
        await expect(page.locator("#balance")).to_have_text(str(balance + 110))
        await expect(page.locator("#crash-verify-line")).to_contain_text(
            f"--round 2 --round-hash {second_hash}"
        )
        # crashed still, or the last crash while a round of some older chain takes bets
        await expect(stage).to_contain_text(f"×{_point(second_hash)}")
        await _shoot_both(page, shots, "crash-auto")
    finally:
        if driving is not None and not driving.done():
            driving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driving
        await finish_every_round(uow_factory, settle)  # a round the driver opened after ours

    # Every call kept to the contract: an int stake, the currency, a fresh request id; the
    # target out of range never left the page.
    bets = [b for b in sent if "stake" in b]
    assert [(b["stake"], b.get("auto_cash_out")) for b in bets] == [
        (100, None),
        (100, "1.10"),
    ]
    assert len({b["request_id"] for b in bets}) == 2
    assert all(b["currency"] == "XTR" for b in bets)
    assert opened.errors == []
    await opened.context.close()


# The phone's clock 5 s ahead of the world: Date.now() and `new Date()` both.
FIVE_SECONDS_AHEAD = """
(() => {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class Skewed extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + 5000);
      else super(...args);
    }
    static now() {
      return realNow() + 5000;
    }
  }
  globalThis.Date = Skewed;
})();
"""


async def test_a_phone_clock_5_s_ahead_shows_the_servers_countdown_and_multiplier(
    live_server,
    browser,
    adjust,
    fund_bankroll,
    new_telegram_id,
    shots,
    engine,
    uow_factory,
    clock,
    ids,
    house,
):
    """On the phone's own clock the round would seem to have closed its bets already ("Starting…"
    for 4 s of betting) and then to be 5 s further up the curve (1.34x at its start); drawn on
    the server's clock (`server_time` of each round view), it shows the real countdown and a
    multiplier starting from 1.00x."""
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    settle = SettleCrashedRound(uow_factory, clock, ids, house)
    await _committed(engine, uow_factory, settle)
    driver = CrashDriver(uow_factory, clock, SqlLeaderLock(engine), settle, POLICY)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust, stars=FUNDS)
    opened = await open_app(browser, live_server, player, "light")
    await opened.context.add_init_script(FIVE_SECONDS_AHEAD)
    page = opened.page
    driving: asyncio.Task[None] | None = None
    try:
        await page.goto(launch_url(live_server, player.telegram_id, player.name, "light"))
        skew = await page.evaluate("Date.now() - performance.timeOrigin - performance.now()")
        assert skew > 4000  # the page's clock is ahead indeed
        await page.get_by_role("button", name="I am 18+ and accept the terms").click()
        await page.locator("#play-crash").click()
        await expect(page.locator("#live")).to_have_text("Live updates: on")
        # A round opens (4 s of bets) once the page shows the screen: opened before, a loaded
        # machine once spent the 4 s loading the page, and it never saw the countdown.
        await driver.step()
        stage = page.locator("#crash-stage")
        await expect(stage).to_have_attribute("data-phase", "betting")
        await expect(page.locator("#crash-phase")).to_have_text(re.compile(r"^Bets close in \d s$"))
        await shoot(page, shots, "crash-skewed-clock-betting")
        driving = asyncio.create_task(_drive(driver, 1))
        await expect(stage).to_have_attribute("data-phase", "running")
        shown = await page.locator("#crash-multiplier").text_content()
        assert shown is not None
        assert 1.0 <= float(shown.rstrip("×")) < 1.10, shown  # the phone's clock: 1.34x or more
        await shoot(page, shots, "crash-skewed-clock-running")
        await asyncio.wait_for(driving, 15)
    finally:
        if driving is not None and not driving.done():
            driving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driving
        await finish_every_round(uow_factory, settle)
    assert opened.errors == []
    await opened.context.close()
