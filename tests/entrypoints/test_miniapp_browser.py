"""The Mini App page end to end: the real app under uvicorn on a free port, the real database
and Redis, and Debian's Chromium driven headless by Playwright, as a player would use it
(fixtures and helpers in miniapp_browser_kit.py)."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import text

from tests.entrypoints import miniapp_browser_kit as kit
from tests.entrypoints.miniapp_browser_kit import (
    PHONE,
    WAIT_MS,
    funded_player,
    init_data,
    launch_url,
    open_app,
    shoot,
)

# The kit's fixtures, used by name below.
live_server = kit.live_server
browser = kit.browser
shots = kit.shots

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _wallet(engine, player_id: int) -> dict[str, int]:
    """The player's XTR wallet as PostgreSQL has it: the balance, the sum of its legs and the
    last leg's balance_after."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    """
                    SELECT a.balance,
                           coalesce(sum(l.amount), 0) AS legs,
                           (SELECT l2.balance_after FROM ledger_legs l2
                             WHERE l2.account_id = a.id ORDER BY l2.id DESC LIMIT 1) AS last
                      FROM accounts a LEFT JOIN ledger_legs l ON l.account_id = a.id
                     WHERE a.player_id = :p AND a.kind = 'player_wallet' AND a.currency = 'XTR'
                     GROUP BY a.id, a.balance
                    """
                ),
                {"p": player_id},
            )
        ).one()
    return {"balance": row.balance, "legs": row.legs, "last": row.last}


async def _bets(engine, player_id: int) -> list[dict]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT game, stake, params, state, outcome, payout, nonce, server_seed_hash "
                "FROM bets WHERE player_id = :p ORDER BY placed_at"
            ),
            {"p": player_id},
        )
        return [dict(r._mapping) for r in rows]


async def test_a_player_plays_dice_in_the_mini_app_page(
    live_server, browser, engine, servers, fund_bankroll, credit, adjust, new_telegram_id, shots
):
    from playwright.async_api import expect

    from application.postings import AdjustBalanceCommand, CreditDepositCommand
    from domain.money import XTR, Money

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    telegram_id = new_telegram_id()
    # A hostile first name: the page must show it as text, never as markup.
    name = "<img src=x onerror=\"document.title='pwned'\">Ann"

    # The player exists (the API registers them as /start would) and has 1000 Stars: put
    # there by staff, since no deposit is accepted before the 18+ gate (domain.standing).
    async with httpx.AsyncClient(base_url=live_server.url) as api:
        opened = await api.post(
            "/api/v1/app/session", json={"init_data": init_data(telegram_id, name)}
        )
        assert opened.status_code == 201, opened.text
        player_id = opened.json()["player_id"]
        headers = {"Authorization": f"Bearer {opened.json()['token']}"}
        await adjust(
            AdjustBalanceCommand(
                player_id, Money(1000, XTR), "e2e funds", "staff:e2e", f"e2e-{uuid.uuid4()}"
            )
        )

        # The page and its assets are served with a strict policy.
        page_response = await api.get("/app/")
        assert page_response.status_code == 200
        assert "Content-Security-Policy" in page_response.headers
        for asset in ("/app/app.js", "/app/app.css"):
            assert (await api.get(asset)).status_code == 200, asset

        context = await browser.new_context(viewport=PHONE)
        await kit.offline(context)
        page = await context.new_page()
        page.set_default_timeout(WAIT_MS)
        console_errors: list[str] = []
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        session_requests: list[str] = []
        page.on(
            "request",
            lambda r: session_requests.append(r.url) if r.url.endswith("/app/session") else None,
        )
        live_sockets = []

        def through(route) -> None:  # every live socket reaches the real server; the test
            route.connect_to_server()  # can still cut one
            live_sockets.append(route)

        await page.route_web_socket(re.compile(r"/api/v1/app/live$"), through)
        launch = quote(init_data(telegram_id, name))  # as Telegram opens a Mini App
        await page.goto(f"{live_server.url}/app/#tgWebAppData={launch}")

        # The balance appears; the 18+ gate stands before the game.
        await expect(page.locator("#balance")).to_have_text("1000")
        await expect(page.locator("#greeting")).to_have_text(f"Hi, {name}!")
        assert await page.locator("#greeting img").count() == 0
        await expect(page.locator("#gate")).to_be_visible()
        await expect(page.locator("#game")).to_be_hidden()
        await expect(page.locator("#live")).to_have_text("Live updates: on")
        await shoot(page, shots, "gate")

        # Past the gate, the lobby; dice is one of its games.
        await page.get_by_role("button", name="I am 18+ and accept the terms").click()
        await expect(page.locator("#lobby")).to_be_visible()
        await expect(page.locator("#gate")).to_be_hidden()
        await page.locator("#play-dice").click()
        await expect(page.locator("#game")).to_be_visible()
        await expect(page.locator("#game-title")).to_have_text("Dice")
        await expect(page.locator("#balance")).to_be_visible()  # on every screen

        # The commitment shown is the server's, before any bet.
        fairness = (await api.get("/api/v1/app/fairness", headers=headers)).json()
        await expect(page.locator("#seed-hash")).to_have_text(fairness["server_seed_hash"])
        await expect(page.locator("#next-nonce")).to_have_text("0")
        await expect(page.locator("#commitment")).to_contain_text(
            f"nonce 0, server seed hash {fairness['server_seed_hash'][:16]}"
        )

        # Stake 10 on under 50.00, double-clicked: one bet.
        await page.locator("#stake").fill("10")
        await page.get_by_label("under", exact=True).check()
        await page.get_by_label("Target", exact=True).fill("50.00")
        # 0.99 × 10001 / 5000 cut to four decimals, as the server pays it
        await expect(page.locator("#bet-hint")).to_have_text("Win chance 50.00% · pays ×1.9801")
        await page.locator("#roll").dblclick()
        settled = re.compile(r"^(won|lost)$")
        await expect(page.locator("#result")).to_have_attribute("data-state", settled)
        await expect(page.locator("#roll")).to_be_enabled()
        await expect(page.locator("#next-nonce")).to_have_text("1")

        bets = await _bets(engine, player_id)
        assert len(bets) == 1, bets
        bet = bets[0]
        assert (bet["game"], bet["stake"], bet["nonce"]) == ("dice", 10, 0)
        assert bet["params"] == {"direction": "under", "target": "50.00"}
        assert bet["server_seed_hash"] == fairness["server_seed_hash"]
        assert bet["state"] == ("won" if bet["outcome"] < 5000 else "lost")
        shown = f"{bet['outcome'] // 100}.{bet['outcome'] % 100:02d}"
        await expect(page.locator("#result")).to_have_attribute("data-state", bet["state"])
        await expect(page.locator("#outcome")).to_contain_text(f"Rolled {shown}")
        await shoot(page, shots, "dice-system-light")

        # The balance on the page is the ledger's.
        expected = 1000 - 10 + (bet["payout"] or 0)
        await expect(page.locator("#balance")).to_have_text(str(expected))
        wallet = await _wallet(engine, player_id)
        assert wallet == {"balance": expected, "legs": expected, "last": expected}

        # A refusal is shown politely from the problem details, and nothing moves.
        await page.locator("#stake").fill(str(10**6))
        await page.locator("#roll").click()
        await expect(page.locator("#message")).to_be_visible()
        await expect(page.locator("#message")).not_to_be_empty()
        refused = await api.post(
            "/api/v1/app/play",
            headers=headers,
            json={
                "game": "dice",
                "stake": 10**6,
                "request_id": str(uuid.uuid4()),
                "params": {"direction": "under", "target": "50.00"},
            },
        )
        assert refused.status_code in (400, 409), refused.text
        # The page words the refusal from its reason and numbers, not the server's English.
        problem = refused.json()
        assert problem["reason"] == "limit_exceeded.max_stake", problem
        largest = problem["limit"]["amount"]
        await expect(page.locator("#message")).to_have_text(
            f"The largest stake in this game is {largest} ⭐."
        )
        assert len(await _bets(engine, player_id)) == 1
        await expect(page.locator("#balance")).to_have_text(str(expected))

        # Live: money that arrives elsewhere reaches the open page over the WebSocket.
        topped_up = await credit(
            CreditDepositCommand(player_id, Money(500, XTR), f"e2e-{uuid.uuid4()}")
        )
        assert topped_up.balance.amount == expected + 500
        await _publish_ledger_event(servers.redis_url, player_id, topped_up)
        await expect(page.locator("#balance")).to_have_text(str(expected + 500))
        assert (await _wallet(engine, player_id))["balance"] == expected + 500

        # The socket is closed as at a token's expiry (1008): the page takes a new session
        # from its launch data, reconnects, and live updates flow again.
        assert len(live_sockets) == 1
        await live_sockets[0].close(code=1008, reason="the session expired")
        await expect(page.locator("#live")).to_have_text("Live updates: reconnecting…")
        await expect(page.locator("#live")).to_have_text("Live updates: on")
        assert len(live_sockets) == 2
        assert len(session_requests) == 2
        again = await credit(CreditDepositCommand(player_id, Money(7, XTR), f"e2e-{uuid.uuid4()}"))
        await _publish_ledger_event(servers.redis_url, player_id, again, sequence=1_001)
        await expect(page.locator("#balance")).to_have_text(str(expected + 507))

        # A bet played at once elsewhere (another device) arrives as its one `bet.played`,
        # which carries the wallet's balance after it: the open page shows it.
        elsewhere = await api.post(
            "/api/v1/app/play",
            headers=headers,
            json={
                "game": "coin",
                "stake": 10,
                "request_id": str(uuid.uuid4()),
                "params": {"side": "heads"},
            },
        )
        assert elsewhere.status_code == 200, elsewhere.text
        after = elsewhere.json()["balance"]["amount"]
        assert after == expected + 507 - 10 + (elsewhere.json()["bet"]["payout"] or 0)
        await _publish_bet_played(servers.redis_url, player_id, elsewhere.json(), 1_002)
        await expect(page.locator("#balance")).to_have_text(str(after))
        await shoot(page, shots, "live-bet-played")
        # An older event arriving late never undoes it.
        await _publish_ledger_event(servers.redis_url, player_id, again, sequence=1_001)
        await page.wait_for_timeout(300)
        await expect(page.locator("#balance")).to_have_text(str(after))

        # Rotating reveals the server seed that the hash committed to before the bet.
        await page.locator("#back").click()
        await page.get_by_role("button", name="Provably fair").click()
        await expect(page.locator("#fairness")).to_be_visible()
        await page.get_by_role("button", name="Reveal the server seed").click()
        await expect(page.locator("#revealed")).to_be_visible()
        revealed = await page.locator("#revealed-seed").text_content()
        assert hashlib.sha256((revealed or "").encode()).hexdigest() == bet["server_seed_hash"]
        await expect(page.locator("#next-nonce")).to_have_text("0")
        await expect(page.locator("#seed-hash")).not_to_have_text(bet["server_seed_hash"])

        assert console_errors == []
        assert await page.title() != "pwned"
        await context.close()


async def _publish(redis_url: str, player_id: int, row, sequence: int) -> None:
    """What the outbox relay publishes for this outbox row (numbered `sequence`), on the
    player's live channel."""
    import msgspec
    from redis.asyncio import Redis

    from adapters.event_wire.envelope import encode_envelope, player_channel
    from application.ports import EventEnvelope

    envelope = EventEnvelope(
        event_id=row.event_id,
        type=row.type,
        version=row.version,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        sequence=sequence,
        occurred_at=datetime.now(UTC),
        player_ids=list(row.player_ids),
        data=msgspec.to_builtins(row.payload),
    )
    client = Redis.from_url(redis_url)
    try:
        assert await client.publish(player_channel(player_id), encode_envelope(envelope)) >= 1
    finally:
        await client.aclose()


async def _publish_ledger_event(
    redis_url: str, player_id: int, posting, *, sequence: int = 1_000
) -> None:
    """The `ledger.transaction_posted` of this posting, as the relay publishes it."""
    from adapters.event_wire.rows import outbox_rows
    from domain.events import TransactionPosted

    (row,) = outbox_rows(TransactionPosted(posting.transaction))
    await _publish(redis_url, player_id, row, sequence)


async def _publish_bet_played(redis_url: str, player_id: int, play: dict, sequence: int) -> None:
    """The `bet.played` the relay publishes for a bet played at once, from the play's answer
    (checked against its payload struct, `BetPlayedV1`)."""
    import msgspec

    from adapters.event_wire.payloads import BetPlayedV1
    from adapters.event_wire.rows import OutboxRow

    bet, balance = play["bet"], play["balance"]
    data = msgspec.convert(
        {
            "bet_id": bet["id"],
            "player_id": player_id,
            "game": bet["game"],
            "params": bet["params"],
            "currency": bet["stake"]["currency"],
            "stake": bet["stake"]["amount"],
            "max_payout": 2 * bet["stake"]["amount"],  # a bound; the page does not read it
            "state": bet["state"],
            "outcome": bet["outcome"],
            "multiplier": bet["multiplier"],
            "payout": bet["payout"],
            "placed_at": bet["placed_at"],
            "settled_at": bet["settled_at"],
            "server_seed_hash": bet["server_seed_hash"],
            "client_seed": bet["client_seed"],
            "nonce": bet["nonce"],
            "transaction_id": str(uuid.uuid4()),
            "kind": "win" if bet["payout"] else "loss",
            "balances": [
                {
                    "account_id": 1,
                    "account_kind": "player_wallet",
                    "currency": balance["currency"],
                    "amount": bet["payout"] - bet["stake"]["amount"],
                    "balance": balance["amount"],
                }
            ],
        },
        BetPlayedV1,
    )
    row = OutboxRow(
        event_id=uuid.uuid4(),
        type="bet.played",
        version=1,
        aggregate_type="player",
        aggregate_id=str(player_id),
        sequence=None,  # the outbox numbers it: `_publish` does here
        occurred_at=datetime.now(UTC),
        player_ids=(player_id,),
        data=data,
    )
    await _publish(redis_url, player_id, row, sequence)


# What each instant game's form is set to, and what the bet stored must then say.
PLAYS = {
    "coin": ({"side": "tails"}, {"side": "tails"}),
    "limbo": ({"target": "3.50"}, {"target": "3.50"}),
    "roulette": ({"bet": "straight", "number": "17"}, {"bet": "straight", "number": "17"}),
    "dice": ({"direction": "over", "target": "75.25"}, {"direction": "over", "target": "75.25"}),
}


async def _fill(page, form: dict[str, str]) -> None:
    for name, value in form.items():
        radio = page.locator(f'#play-form input[type="radio"][name="{name}"][value="{value}"]')
        if await radio.count():
            await radio.check()
        elif await page.locator(f"#play-form select[name={name}]").count():
            await page.locator(f"#play-form select[name={name}]").select_option(value)
        else:
            await page.locator(f"#play-form input[name={name}]").fill(value)


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_every_screen_of_the_lobby_in_telegram_light_and_dark(
    theme, live_server, browser, engine, fund_bankroll, adjust, new_telegram_id, shots
):
    """Issue 21: the lobby lists the games the API offers; each instant game plays from it
    and shows its outcome; history, limits and breaks, and the fairness page work; every
    screen keeps the balance in view, in Telegram's light and dark colours."""
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    await fund_bankroll()
    player = await funded_player(live_server, new_telegram_id(), adjust)
    opened = await open_app(browser, live_server, player, theme)
    page = opened.page
    await page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await page.get_by_role("button", name="I am 18+ and accept the terms").click()
    await expect(page.locator("#lobby")).to_be_visible()
    scheme = await page.evaluate("document.documentElement.dataset.scheme")
    assert scheme == theme
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == {"light": "rgb(255, 255, 255)", "dark": "rgb(33, 45, 59)"}[theme]

    # The lobby is the API's list, in its order (plinko and mines join when they exist).
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        offered = [g["code"] for g in (await api.get("/api/v1/app/games")).json()["games"]]
    tiles = page.locator("#game-list button")
    await expect(tiles).to_have_count(len(offered))
    assert await tiles.evaluate_all("b => b.map(x => x.dataset.game)") == offered
    await shoot(page, shots, f"lobby-{theme}")

    balance = 1000
    for code, (form, stored) in PLAYS.items():
        await page.locator(f"#play-{code}").click()
        await expect(page.locator("#game")).to_be_visible()
        await expect(page.locator("#balance")).to_be_in_viewport()
        await page.locator("#stake").fill("5")
        await _fill(page, form)
        await page.locator("#roll").click()
        await expect(page.locator("#result")).to_have_attribute(
            "data-state", re.compile(r"^(won|lost)$")
        )
        bet = (await _bets(engine, player.player_id))[-1]
        assert (bet["game"], bet["stake"], bet["params"]) == (code, 5, stored)
        balance += -5 + (bet["payout"] or 0)
        await expect(page.locator("#balance")).to_have_text(str(balance))
        await expect(page.locator("#result")).to_have_attribute("data-state", bet["state"])
        await expect(page.locator("#outcome")).to_contain_text(
            "You won" if bet["state"] == "won" else "No win this time"
        )
        await expect(page.locator("#roll")).to_have_text("Play")
        await shoot(page, shots, f"{code}-{theme}")
        await page.locator("#back").click()
        await expect(page.locator("#lobby")).to_be_visible()

    # Roulette's number is asked for only where a bet takes one.
    await page.locator("#play-roulette").click()
    await _fill(page, {"bet": "red"})
    await expect(page.locator('[data-param="number"]')).to_be_hidden()
    await _fill(page, {"bet": "dozen"})
    await expect(page.locator('[data-param="number"]')).to_be_visible()
    await page.locator("#back").click()

    # History: the four bets, newest first, and the wallet's movements.
    await page.get_by_role("button", name="History").click()
    await expect(page.locator("#bet-list li")).to_have_count(4)
    shown = await page.locator("#bet-list li").evaluate_all("r => r.map(x => x.dataset.game)")
    assert shown == list(reversed(PLAYS))
    await expect(page.locator("#movement-list li").first).to_be_visible()
    await expect(page.locator("#balance")).to_have_text(str(balance))
    await shoot(page, shots, f"history-{theme}")
    await page.locator("#back").click()

    # Limits and breaks: a loss limit applies at once and is listed; a reality check is set.
    await page.get_by_role("button", name="Limits and breaks").click()
    await expect(page.locator("#limits-empty")).to_be_visible()
    await page.locator("#limit-kind").select_option("loss")
    await page.locator("#limit-period").select_option("24h")
    await page.locator("#limit-amount").fill("500")
    await page.locator("#limit-save").click()
    await expect(page.locator("#care-note")).to_have_text("The limit is in force.")
    await expect(page.locator('#limit-list li[data-kind="loss"]')).to_contain_text("500 ⭐")
    await page.locator("#reality-minutes").fill("30")
    await page.locator("#reality-save").click()
    await expect(page.locator("#reality-now")).to_contain_text("Every 30 minutes")
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        care = (await api.get("/api/v1/app/limits")).json()
    assert [(lim["kind"], lim["period"], lim["limit"]["amount"]) for lim in care["limits"]] == [
        ("loss", "24h", 500)
    ]
    assert care["reality_check"]["minutes"] == 30

    # Removing a limit waits 24 hours, then a confirmation; the page says so.
    await page.locator('#limit-list li[data-kind="loss"] button').click()
    await expect(page.locator("#care-note")).to_contain_text(
        "The removal waits 24 hours: confirm it after"
    )
    await expect(page.locator('#limit-list li[data-kind="loss"]')).to_contain_text(
        "Removal waits until"
    )
    await shoot(page, shots, f"care-{theme}")

    # A reality check that falls due shows on the next screen opened, until acknowledged.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE responsible_reality_checks SET session_started_at = now() - interval "
                "'2 hours', acknowledged_at = now() - interval '1 hour' WHERE player_id = :p"
            ),
            {"p": player.player_id},
        )
    await page.goto("about:blank")  # a new launch: only the URL's fragment would change
    await page.goto(launch_url(live_server, player.telegram_id, player.name, theme))
    await expect(page.locator("#lobby")).to_be_visible()
    await expect(page.locator("#reality")).to_be_visible()
    await expect(page.locator("#reality-text")).to_contain_text("every 30 minutes")
    await shoot(page, shots, f"reality-check-{theme}")
    await page.get_by_role("button", name="I understand, continue").click()
    await expect(page.locator("#reality")).to_be_hidden()
    async with httpx.AsyncClient(base_url=live_server.url, headers=player.headers) as api:
        assert (await api.get("/api/v1/app/limits")).json()["reality_check_due"] is False
    await page.get_by_role("button", name="Limits and breaks").click()

    # A time-out asks once more on the page, then starts; a bet is then refused, in words.
    await page.locator("#timeout-start").click()
    await expect(page.locator("#timeout-confirm")).to_be_visible()
    await expect(page.locator("#timeout-confirm-text")).to_contain_text("cannot be undone")
    await shoot(page, shots, f"care-confirm-{theme}")
    await page.locator("#timeout-confirm-yes").click()
    await expect(page.locator("#excluded")).to_contain_text("You are on a time-out until")
    await expect(page.locator("#breaks")).to_be_hidden()
    await page.locator("#back").click()
    await page.locator("#play-coin").click()
    await page.locator("#roll").click()
    await expect(page.locator("#message")).to_contain_text("You are on a time-out until")
    assert "Traceback" not in await page.locator("#message").text_content()
    await shoot(page, shots, f"refused-{theme}")
    assert len(await _bets(engine, player.player_id)) == 4
    await page.locator("#back").click()

    # The fairness page shows the commitment the next bet is made under.
    await page.get_by_role("button", name="Provably fair").click()
    await expect(page.locator("#next-nonce")).to_have_text("4")
    await shoot(page, shots, f"fairness-{theme}")
    assert opened.errors == []
    await opened.context.close()
