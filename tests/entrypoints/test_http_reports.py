"""Reports on the admin API: gross gaming revenue, actual against theoretical RTP, cash flow.

Every seeded test places its bets and postings with a clock fixed on a day of its own in the
1990s, which no other test writes on, so a report of that day holds exactly what the test put
there while the rest of the suite writes into the same database today."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import secrets
import socket
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest

from adapters.embedded_servers import ensure_database
from adapters.ids import UuidV7Generator
from adapters.postgres import migrate
from adapters.postgres.engine import create_engine
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SeedCipher
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import (
    PlaceBet,
    PlaceBetCommand,
    SettleDiceBet,
    SettleDiceBetCommand,
    VoidBet,
    VoidBetCommand,
)
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.accounts import AccountKind
from domain.events import transactions_posted
from domain.games.base import Selection
from domain.games.catalog import GAMES
from domain.ledger import Leg, Transaction, TransactionKind
from domain.money import XTR, Money
from domain.reports import BetGroup, rtp_rows
from entrypoints.http.reports import ratio_text

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

REPORTS = "/api/v1/reports"


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def at(uow_factory, ids, house, seed_source):
    """Use cases whose clock stands still at `moment`."""

    def make(moment: datetime) -> SimpleNamespace:
        clock = FixedClock(moment)
        return SimpleNamespace(
            place=PlaceBet(uow_factory, clock, ids, house, seed_source),
            settle=SettleDiceBet(uow_factory, clock, ids, house),
            void=VoidBet(uow_factory, clock, ids, house),
            credit=CreditDeposit(uow_factory, clock, ids, house),
        )

    return make


@pytest.fixture
def player(new_player, fund_bankroll, at, unique_key):
    """A new player with `amount` XTR deposited at `moment`, in a casino that can pay out."""

    async def make(moment: datetime, amount: int = 1000):
        await fund_bankroll()
        member = await new_player()
        await at(moment).credit(
            CreditDepositCommand(member.id, Money(amount, XTR), unique_key("dep"))
        )
        return member

    return make


def bet(player_id: int, game: str, stake: int, **params: str) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), game, Money(stake, XTR), params)


def dice(bet_id, value: int) -> SettleDiceBetCommand:
    return SettleDiceBetCommand(
        bet_id, chat_id=secrets.randbelow(2**40), message_id=secrets.randbelow(2**40), value=value
    )


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def period(since: date, days: int = 1) -> dict[str, str]:
    return {"from": since.isoformat(), "to": (since + timedelta(days=days)).isoformat()}


async def report(api, headers, name: str, **params):
    response = await api.get(f"{REPORTS}/{name}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def by_key(rows, *keys):
    return {tuple(row[k] for k in keys): row for row in rows}


# -- gross gaming revenue ------------------------------------------------------------------


async def test_ggr_counts_bets_settled_on_each_day_and_nothing_else(api, staff, player, at):
    day = date(1994, 3, 14)
    member = await player(noon(day))
    casino = at(noon(day))
    won = await casino.place(bet(member.id, "tg_dice", 10, bet="even"))
    await casino.settle(dice(won.bet.id, 4))  # 10 x 1.94 = 19.4, paid 19
    lost = await casino.place(bet(member.id, "tg_dice", 20, bet="odd"))
    await casino.settle(dice(lost.bet.id, 4))
    voided = await casino.place(bet(member.id, "tg_dice", 30, bet="high"))
    await casino.void(VoidBetCommand(voided.bet.id, "the dice never arrived"))
    await casino.place(bet(member.id, "tg_dice", 40, bet="low"))  # still open
    coin = await casino.place(bet(member.id, "coin", 25, side="heads"))  # settles at once
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    late = await at(midnight - timedelta(seconds=1)).place(
        bet(member.id, "tg_dice", 50, bet="face", face="6")
    )
    await at(midnight + timedelta(seconds=1)).settle(dice(late.bet.id, 6))  # 50 x 5.82 = 291
    viewer = await staff("viewer")

    body = await report(api, viewer, "ggr", **period(day, 2), currency="xtr")
    assert body["from"] == day.isoformat()
    assert body["to"] == (day + timedelta(days=2)).isoformat()
    assert body["currency"] == "XTR"
    assert body["game"] is None
    assert datetime.fromisoformat(body["generated_at"]).tzinfo is not None
    rows = by_key(body["rows"], "day", "game", "currency")
    assert len(body["rows"]) == 2 * len(GAMES)
    first, second = day.isoformat(), (day + timedelta(days=1)).isoformat()
    assert [(r["day"], r["game"]) for r in body["rows"]] == sorted(
        (d, g) for d in (first, second) for g in GAMES
    )
    assert rows[(first, "tg_dice", "XTR")] == {
        "day": first,
        "game": "tg_dice",
        "currency": "XTR",
        "bets": 2,
        "stakes": 30,
        "wins": 19,
        "ggr": 11,
    }
    coin_paid = coin.bet.payout
    assert coin_paid in (0, 49)
    coin_row = rows[(first, "coin", "XTR")]
    assert (coin_row["bets"], coin_row["stakes"], coin_row["wins"]) == (1, 25, coin_paid)
    assert coin_row["ggr"] == 25 - coin_paid
    late_row = rows[(second, "tg_dice", "XTR")]
    assert (late_row["bets"], late_row["stakes"], late_row["wins"], late_row["ggr"]) == (
        1,
        50,
        291,
        -241,
    )
    seeded = {(first, "tg_dice"), (first, "coin"), (second, "tg_dice")}
    for (d, game, _), row in rows.items():
        if (d, game) not in seeded:
            assert (row["bets"], row["stakes"], row["wins"], row["ggr"]) == (0, 0, 0, 0)

    only_dice = await report(api, viewer, "ggr", **period(day, 2), currency="XTR", game="tg_dice")
    assert only_dice["game"] == "tg_dice"
    assert [r["stakes"] for r in only_dice["rows"]] == [30, 50]


async def test_empty_periods_have_a_zero_row_for_every_day_game_and_currency(api, staff):
    viewer = await staff("viewer")
    since = date(2001, 1, 1)
    ggr = (await report(api, viewer, "ggr", **period(since, 3)))["rows"]
    days = {(since + timedelta(days=n)).isoformat() for n in range(3)}
    currencies = {r["currency"] for r in ggr}
    assert {"XTR", "TON", "USDT", "FUN"} <= currencies
    assert {r["day"] for r in ggr} == days
    assert {r["game"] for r in ggr} == set(GAMES)
    assert len(ggr) == 3 * len(GAMES) * len(currencies)
    assert all(r["bets"] == r["stakes"] == r["wins"] == r["ggr"] == 0 for r in ggr)

    rtp = (await report(api, viewer, "rtp", **period(since, 3)))["rows"]
    assert len(rtp) == len(GAMES) * len(currencies)
    for row in rtp:
        assert (row["bets"], row["stakes"], row["wins"]) == (0, 0, 0)
        assert row["actual_rtp"] is None
        assert row["theoretical_rtp"] is None
        assert row["drift"] is False

    cashflow = (await report(api, viewer, "cashflow", **period(since, 3)))["rows"]
    assert len(cashflow) == 3 * len(currencies)
    assert all(r["deposits"] == r["withdrawals"] == r["active_players"] == 0 for r in cashflow)


async def test_default_period_is_the_last_seven_days_including_today(api, staff):
    body = await report(api, await staff("viewer"), "cashflow", currency="XTR")
    today = datetime.now(UTC).date()
    assert body["to"] == (today + timedelta(days=1)).isoformat()
    assert body["from"] == (today - timedelta(days=6)).isoformat()
    assert [r["day"] for r in body["rows"]] == [
        (today - timedelta(days=n)).isoformat() for n in range(6, -1, -1)
    ]
    only_to = await report(api, await staff("viewer"), "ggr", to="2001-02-01", game="coin")
    assert only_to["from"] == "2001-01-25"


# -- CSV -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header", "per_day"),
    [
        ("ggr", "day,game,currency,bets,stakes,wins,ggr", True),
        (
            "rtp",
            "game,currency,bets,stakes,wins,actual_rtp,theoretical_rtp,drift",
            False,
        ),
        ("cashflow", "day,currency,deposits,withdrawals,active_players", True),
    ],
)
async def test_csv_export_has_a_header_and_a_line_per_row(api, staff, name, header, per_day):
    viewer = await staff("viewer")
    params = {**period(date(2001, 3, 1), 4), "currency": "FUN"}
    as_json = await report(api, viewer, name, **params)
    response = await api.get(
        f"{REPORTS}/{name}", params={**params, "format": "csv"}, headers=viewer
    )
    assert response.status_code == 200, response.text
    # One charset (Litestar adds it to a text/* type; issue 20 found it twice).
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"{name}_2001-03-01_2001-03-05_" in response.headers["content-disposition"]
    assert datetime.fromisoformat(response.headers["x-generated-at"]).tzinfo is not None
    lines = response.text.splitlines()
    assert lines[0] == header
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert (
        len(rows)
        == len(as_json["rows"])
        == (4 if per_day else 1) * (len(GAMES) if name != "cashflow" else 1)
    )
    assert all(r["currency"] == "FUN" for r in rows)
    if name == "rtp":
        assert rows[0]["actual_rtp"] == ""
        assert rows[0]["drift"] == "false"


# -- RTP -----------------------------------------------------------------------------------


async def test_rtp_compares_actual_with_the_exact_theoretical_rtp(api, staff, player, at):
    day = date(1995, 6, 1)
    member = await player(noon(day), 100_000)
    casino = at(noon(day))
    coins = [
        await casino.place(bet(member.id, "coin", stake, side=side))
        for stake, side in ((100, "heads"), (300, "tails"), (50, "heads"))
    ]
    rolled = await casino.place(bet(member.id, "dice", 200, direction="under", target="33.33"))
    face = await casino.place(bet(member.id, "tg_dice", 100, bet="face", face="2"))
    await casino.settle(dice(face.bet.id, 2))  # 100 x 5.82
    even = await casino.place(bet(member.id, "tg_dice", 300, bet="even"))
    await casino.settle(dice(even.bet.id, 3))
    viewer = await staff("viewer")

    body = await report(api, viewer, "rtp", **period(day), currency="XTR")
    rows = by_key(body["rows"], "game", "currency")
    assert len(rows) == len(GAMES)

    coin = rows[("coin", "XTR")]
    coin_wins = sum(c.bet.payout for c in coins)
    assert (coin["bets"], coin["stakes"], coin["wins"]) == (3, 450, coin_wins)
    assert coin["theoretical_rtp"] == "0.99"  # 1.98 x 1/2, exactly
    assert Decimal(coin["actual_rtp"]) == Decimal(coin_wins) / 450
    assert coin["drift"] is False

    tg = rows[("tg_dice", "XTR")]
    assert (tg["bets"], tg["stakes"], tg["wins"]) == (2, 400, 582)
    assert tg["theoretical_rtp"] == "0.97"  # every bet type pays 97% at a 3% edge
    assert tg["actual_rtp"] == "1.455"

    roll = rows[("dice", "XTR")]
    exact = GAMES["dice"].rtp(Selection("under", 3333), Fraction(1, 100))
    assert exact != Fraction(99, 100)
    assert roll["theoretical_rtp"] == ratio_text(exact)
    assert abs(Decimal(roll["theoretical_rtp"]) - Decimal("0.99")) < Decimal("0.0002")
    assert roll["wins"] == rolled.bet.payout

    empty = rows[("roulette", "XTR")]
    assert (empty["bets"], empty["actual_rtp"], empty["theoretical_rtp"]) == (0, None, None)


def test_drift_needs_a_thousand_bets_and_three_standard_deviations():
    def coin_bets(bets: int, wins: int) -> BetGroup:
        # 1 minor unit per bet; a heads bet's payout ratio has variance 1.98 x 0.99 - 0.99².
        return BetGroup("coin", "XTR", {"side": "heads"}, Fraction(1, 100), bets, bets, wins, bets)

    def drift(bets: int, wins: int) -> bool:
        (row,) = rtp_rows([("coin", "XTR")], [coin_bets(bets, wins)])
        assert row.theoretical == Fraction(99, 100)
        return row.drift

    # 2000 bets: sd of the mean = sqrt(0.9801 / 2000) = 0.0221, so 3 sd = 0.0664.
    assert drift(2000, 1980) is False  # spot on
    assert drift(2000, 1900) is False  # 0.95, 1.8 sd off
    assert drift(2000, 1800) is True  # 0.90, 4.1 sd off
    assert drift(2000, 2200) is True  # 1.10 too generous is a drift too
    assert drift(999, 500) is False  # too few bets to tell
    (row,) = rtp_rows([("coin", "XTR")], [])
    assert (row.bets, row.actual, row.theoretical, row.drift) == (0, None, None, False)


def test_ratios_are_exact_decimal_text():
    assert ratio_text(None) is None
    assert ratio_text(Fraction(99, 100)) == "0.99"
    assert ratio_text(Fraction(0)) == "0"
    assert ratio_text(Fraction(3, 2)) == "1.5"
    assert ratio_text(Fraction(36, 37)) == "0.97297297"
    assert ratio_text(Fraction(10)) == "10"


# -- cash flow -------------------------------------------------------------------------------


async def test_cashflow_sums_deposits_withdrawals_and_active_players(
    api, staff, player, at, uow_factory, ids, house, unique_key
):
    day = date(1996, 9, 9)
    yesterday = day - timedelta(days=1)
    busy = await player(noon(day), 500)
    await at(noon(day)).place(bet(busy.id, "coin", 10, side="heads"))
    await at(noon(day) + timedelta(hours=1)).place(bet(busy.id, "coin", 10, side="tails"))
    await player(noon(day), 300)  # deposits, never bets
    early = await player(noon(yesterday), 70)
    await at(noon(yesterday)).place(bet(early.id, "tg_darts", 5, bet="hit"))
    async with uow_factory() as uow:  # a withdrawal of 200: wallet to withdrawals pending
        wallet = await uow.accounts.wallet(busy.id, XTR)
        pending = await house.account_for(
            uow.accounts, AccountKind.WITHDRAWALS_PENDING, XTR, busy.id
        )
        posted = await uow.ledger.post(
            Transaction(
                id=ids.new_id(),
                kind=TransactionKind.WITHDRAWAL,
                idempotency_key=unique_key("wd"),
                legs=(Leg(wallet.id, Money(-200, XTR)), Leg(pending, Money(200, XTR))),
                created_at=noon(day) + timedelta(hours=2),
            )
        )
        uow.raise_events(*transactions_posted(posted))  # as a use case does
        await uow.commit()
    viewer = await staff("viewer")

    body = await report(api, viewer, "cashflow", **period(yesterday, 3), currency="XTR")
    assert body["currency"] == "XTR"
    assert [
        (r["day"], r["deposits"], r["withdrawals"], r["active_players"]) for r in body["rows"]
    ] == [
        (yesterday.isoformat(), 70, 0, 1),
        (day.isoformat(), 800, 200, 1),
        ((day + timedelta(days=1)).isoformat(), 0, 0, 0),
    ]
    every_currency = await report(api, viewer, "cashflow", **period(day))
    others = [r for r in every_currency["rows"] if r["currency"] != "XTR"]
    assert others
    assert all(r["deposits"] == r["withdrawals"] == r["active_players"] == 0 for r in others)


# -- access and bad input --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ggr", "rtp", "cashflow"])
async def test_reports_need_a_staff_member(api, name):
    response = await api.get(f"{REPORTS}/{name}")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2024-13-01", "to": "2024-12-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2024-02-30"}, "to"),
        ({"from": "2024-03-01", "to": "2024-02-01"}, "to"),
        ({"from": "2024-03-01", "to": "2024-03-01"}, "to"),
        ({"from": "2024-01-01", "to": "2025-01-02"}, "to"),  # 367 days
        ({"from": "2000-01-01"}, "from"),  # up to today: far more than a year
        ({"to": "0001-01-02"}, "to"),  # no room for the default seven days before it
        ({"currency": "ZZZ"}, "currency"),
        ({"game": "poker"}, "game"),
        ({"format": "xml"}, "format"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(api, staff, params, field):
    viewer = await staff("viewer")
    for name in ("ggr", "rtp", "cashflow"):
        if field == "game" and name == "cashflow":
            continue  # cash flow takes no game
        response = await api.get(f"{REPORTS}/{name}", params=params, headers=viewer)
        assert response.status_code == 400, (name, response.text)
        body = response.json()
        assert body["type"] == "urn:croupier:problem:invalid_request"
        assert body["errors"][0]["field"] == field, (name, body)


async def test_a_full_year_is_accepted(api, staff):
    body = await report(
        api, await staff("viewer"), "rtp", **{"from": "2000-01-01", "to": "2001-01-01"}
    )
    assert (date(2001, 1, 1) - date(2000, 1, 1)).days == 366
    assert body["rows"]


# -- a replica for reports -----------------------------------------------------------------


async def test_reports_read_from_the_reports_database_when_one_is_configured(
    servers, http_settings, staff, player, at, seed_source, personal
):
    """CROUPIER_REPORTS_DATABASE_URL moves the reports, and only them, to another server: a
    stand-in "replica" holding a bet of its own on a day the primary has another bet on."""
    from litestar.testing import AsyncTestClient

    from entrypoints.composition.containers import make_http_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.http.app import create_app

    day = date(1994, 7, 7)
    on_primary = await player(noon(day))
    await at(noon(day)).place(bet(on_primary.id, "coin", 25, side="heads"))

    server = servers.database_url.rpartition("/")[0] + "/postgres"
    url = await asyncio.to_thread(ensure_database, server, "croupier_reports", recreate=True)
    await asyncio.to_thread(migrate.upgrade, url)
    replica = create_engine(url)
    try:
        books = await start_unit_of_work_factory(replica, 4, SeedCipher(bytes(32)), personal)
        clock, ids, house = FixedClock(noon(day)), UuidV7Generator(), HouseBook(shards=4)
        await FundBankroll(books, clock, ids, house)(
            FundBankrollCommand(Money(10**6, XTR), "t", "f")
        )
        someone = await RegisterPlayer(books, clock)(
            RegisterPlayerCommand(5, currencies=(XTR,), accept_terms=True)
        )
        await CreditDeposit(books, clock, ids, house)(
            CreditDepositCommand(someone.player.id, Money(500, XTR), "deposit")
        )
        await PlaceBet(books, clock, ids, house, seed_source)(
            bet(someone.player.id, "coin", 77, side="tails")
        )
    finally:
        await replica.dispose()

    viewer = await staff("viewer")
    settings = dataclasses.replace(http_settings, reports_database_url=url)
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    async with AsyncTestClient(app=create_app(make_http_container(settings, endpoints))) as api:
        body = await report(api, viewer, "ggr", **period(day), currency="xtr", game="coin")
        # Staff, tokens and everything else still come from the primary.
        me = await api.get("/api/v1/auth/me", headers=viewer)
    assert me.status_code == 200, me.text
    [row] = body["rows"]
    assert (row["bets"], row["stakes"]) == (1, 77)


async def test_a_reports_replica_that_is_down_fails_the_reports_only(servers, http_settings, staff):
    from litestar.testing import AsyncTestClient

    from entrypoints.composition.containers import make_http_container
    from entrypoints.composition.endpoints import Endpoints
    from entrypoints.http.app import create_app

    viewer = await staff("viewer")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = dataclasses.replace(
        http_settings, reports_database_url=f"postgresql://nobody@127.0.0.1:{port}/gone"
    )
    endpoints = Endpoints(servers.database_url, servers.redis_url, False, False)
    async with AsyncTestClient(app=create_app(make_http_container(settings, endpoints))) as api:
        down = await api.get(f"{REPORTS}/ggr", params=period(date(1994, 7, 8)), headers=viewer)
        me = await api.get("/api/v1/auth/me", headers=viewer)
        ready = await api.get("/health/ready")
    assert down.status_code == 503, down.text
    assert down.json()["code"] == "storage_unavailable"
    assert "Traceback" not in down.text
    assert me.status_code == 200
    assert ready.status_code == 200
