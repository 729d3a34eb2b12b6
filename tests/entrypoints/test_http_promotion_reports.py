"""The promotion reports and the budgets' list on the admin API, on PostgreSQL: the ledger's
promotion postings (made through `domain.promotions`' entries and the ledger,
tests/promotion_postings.py) per day, week and month beside GGR and NGR, per budget, as
JSON and CSV; bad input as problem details; the budgets for operators only.

The postings and bets are dated on days of the 1990s no other test writes on (as
test_http_reports.py does), and each test's budgets have codes of their own, so the numbers
are exactly the test's while the rest of the suite writes into the same database."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from application.betting import PlaceBet, PlaceBetCommand, SettleDiceBet, SettleDiceBetCommand
from domain.money import FUN, XTR, Money
from domain.promotions import Programme
from tests.fakes import FakeClock
from tests.promotion_postings import PromotionPostings

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

REPORTS = "/api/v1/reports"
BUDGETS = "/api/v1/promotion-budgets"


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def code(name: str) -> str:
    return f"{name}-{secrets.token_hex(4)}"


@pytest.fixture
def postings(uow_factory, ids) -> PromotionPostings:
    return PromotionPostings(uow_factory, ids)


async def _dice(uow_factory, ids, house, seed_source, player_id: int, moment: datetime):
    """Two Telegram dice bets settled at `moment`: 10 on even wins 19, 20 on odd loses (GGR
    30 - 19 = 11)."""
    clock = FakeClock(moment)
    place = PlaceBet(uow_factory, clock, ids, house, seed_source)
    settle = SettleDiceBet(uow_factory, clock, ids, house)
    for stake, side in ((10, "even"), (20, "odd")):
        placed = await place(
            PlaceBetCommand(player_id, uuid.uuid4(), "tg_dice", Money(stake, XTR), {"bet": side})
        )
        await settle(
            SettleDiceBetCommand(
                placed.bet.id,
                chat_id=secrets.randbelow(2**40),
                message_id=secrets.randbelow(2**40),
                value=4,
            )
        )


@pytest.fixture
def promote(postings, new_player, fund_bankroll, credit, uow_factory, ids, house, seed_source):
    """The numbers of docs/bonuses.md, "Reports", on a Monday the test chooses (each test
    its own week) and the Tuesday after: on Monday a bonus of 500 and one of 200 are granted
    from a welcome budget; on Tuesday the 500 converts, the 200 is forfeited, 40 of rakeback
    and 25 of referral commission are paid, 1,000 FUN of daily play money too, and two dice
    bets make a GGR of 11. Answers the budgets' codes."""
    from application.postings import CreditDepositCommand

    async def make(monday: date) -> dict[str, str]:
        tuesday = monday + timedelta(days=1)
        await fund_bankroll()
        player = await new_player((XTR, FUN))
        await credit(CreditDepositCommand(player.id, Money(1000, XTR), code("dep")))
        names = {
            "welcome": code("welcome"),
            "rakeback": code("rakeback"),
            "referral": code("referral"),
            "daily": code("daily"),
        }
        for name in ("welcome", "rakeback", "referral"):
            await postings.budget(names[name], Money(10_000, XTR))
        await postings.budget(names["daily"], Money(10**6, FUN))
        kept, _ = await postings.grant(player.id, Money(500, XTR), names["welcome"], at(monday))
        # A second player's: one active bonus per player and currency.
        other = await new_player((XTR,))
        lost, _ = await postings.grant(other.id, Money(200, XTR), names["welcome"], at(monday, 13))
        await postings.convert(player.id, kept, Money(500, XTR), at(tuesday))
        await postings.forfeit(other.id, lost, Money(200, XTR), at(tuesday))
        await postings.pay(
            player.id, Money(40, XTR), Programme.RAKEBACK, names["rakeback"], at(tuesday)
        )
        await postings.pay(
            player.id, Money(25, XTR), Programme.REFERRAL, names["referral"], at(tuesday)
        )
        await postings.pay(
            player.id, Money(1000, FUN), Programme.DAILY, names["daily"], at(tuesday)
        )
        await _dice(uow_factory, ids, house, seed_source, player.id, at(tuesday))
        return names

    return make


async def get(api, headers, path: str, **params):
    response = await api.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_promotions_per_day_and_week_beside_ggr_and_ngr(api, staff, promote):
    await promote(date(1993, 6, 14))
    viewer = await staff("viewer")
    days = (
        await get(
            api, viewer, f"{REPORTS}/promotions", **{"from": "1993-06-14", "to": "1993-06-16"}
        )
    ).json()
    assert days["period"] == "day"
    # Every day in every currency of money, zeros included; play money (FUN) is left out.
    currencies = {r["currency"] for r in days["rows"]}
    assert "FUN" not in currencies
    assert "XTR" in currencies
    xtr = {r["period_start"]: r for r in days["rows"] if r["currency"] == "XTR"}
    assert {k: v["granted"] for k, v in xtr.items()} == {"1993-06-14": 700, "1993-06-15": 0}
    tuesday = xtr["1993-06-15"]
    assert {k: tuesday[k] for k in ("ggr", "converted", "forfeited", "paid_rakeback")} == {
        "ggr": 11,
        "converted": 500,
        "forfeited": 200,
        "paid_rakeback": 40,
    }
    assert (tuesday["paid_referral"], tuesday["paid"], tuesday["bonus_cost"]) == (25, 65, 565)
    assert tuesday["ngr"] == 11 - 565

    week = (
        await get(
            api,
            viewer,
            f"{REPORTS}/promotions",
            **{"from": "1993-06-14", "to": "1993-06-21", "currency": "xtr", "period": "week"},
        )
    ).json()
    [row] = week["rows"]
    assert (row["period_start"], row["period_end"], week["currency"]) == (
        "1993-06-14",
        "1993-06-21",
        "XTR",
    )
    assert (row["granted"], row["converted"], row["forfeited"], row["ngr"]) == (700, 500, 200, -554)


async def test_play_money_is_shown_apart_when_asked_for(api, staff, promote):
    await promote(date(1993, 6, 21))
    fun = (
        await get(
            api,
            await staff("viewer"),
            f"{REPORTS}/promotions",
            **{"from": "1993-06-22", "to": "1993-06-23", "currency": "FUN"},
        )
    ).json()
    [row] = fun["rows"]
    assert (row["currency"], row["paid_daily"], row["ggr"], row["ngr"]) == ("FUN", 1000, 0, -1000)


async def test_each_budget_per_month_as_json_and_csv(api, staff, promote):
    promoted = await promote(date(1993, 8, 2))
    viewer = await staff("viewer")
    params = {"from": "1993-08-01", "to": "1993-09-01", "period": "month"}
    body = (await get(api, viewer, f"{REPORTS}/budgets", **params)).json()
    mine = {r["budget"]: r for r in body["rows"] if r["budget"] in promoted.values()}
    # The conversion and the forfeit name only their bonus: the budget is their grant's.
    welcome = mine[promoted["welcome"]]
    assert (welcome["granted"], welcome["converted"], welcome["forfeited"], welcome["cost"]) == (
        700,
        500,
        200,
        500,
    )
    assert (mine[promoted["rakeback"]]["paid"], mine[promoted["referral"]]["cost"]) == (40, 25)
    assert promoted["daily"] not in mine  # play money
    assert {r["period_start"] for r in mine.values()} == {"1993-08-01"}

    response = await get(api, viewer, f"{REPORTS}/budgets", **params, format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.text)))
    row = next(r for r in lines if r["budget"] == promoted["welcome"])
    assert (row["period_start"], row["granted"], row["cost"]) == ("1993-08-01", "700", "500")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"currency": "ZZZ"}, "currency"),
        ({"from": "1993-06-15", "to": "1993-06-14"}, "to"),
        ({"format": "xml"}, "format"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(api, staff, params, field):
    viewer = await staff("viewer")
    for name in ("promotions", "budgets"):
        response = await api.get(f"{REPORTS}/{name}", params=params, headers=viewer)
        assert response.status_code == 400, (name, response.text)
        body = response.json()
        assert body["type"] == "urn:croupier:problem:invalid_request"
        assert body["errors"][0]["field"] == field, (name, body)


async def test_operators_list_the_budgets_with_spent_and_left(api, staff, promote):
    promoted = await promote(date(1993, 9, 6))
    operator = await staff("operator")
    body = (await get(api, operator, BUDGETS)).json()
    mine = {b["code"]: b for b in body["budgets"] if b["code"] in promoted.values()}
    assert mine[promoted["welcome"]] == {
        "code": promoted["welcome"],
        "currency": "XTR",
        "total": 10_000,
        "spent": 700,
        "left": 9_300,
    }
    fun = (await get(api, operator, BUDGETS, currency="fun")).json()["budgets"]
    assert {b["currency"] for b in fun} == {"FUN"}
    assert promoted["daily"] in {b["code"] for b in fun}

    refused = await api.get(BUDGETS, headers=await staff("viewer"))
    assert refused.status_code == 403
    bad = await api.get(BUDGETS, params={"currency": "ZZZ"}, headers=operator)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "currency"
    assert (await api.get(BUDGETS)).status_code == 401
