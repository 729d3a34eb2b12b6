"""The outcomes report counts plinko drops in PostgreSQL by the path of their first 8 rows
(the outcome modulo 256, whatever the bet's rows) and tests their slots, binomial C(8, s)/256."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from application.betting import PlaceBet, PlaceBetCommand
from application.postings import CreditDeposit, CreditDepositCommand
from domain.money import XTR, Money
from tests.entrypoints.test_http_risk import FixedClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

DROPS = 120


async def test_plinko_drops_of_every_row_count_are_counted_by_their_first_slots(
    api, staff, uow_factory, ids, house, seed_source, fund_bankroll, new_player, unique_key
):
    clock = FixedClock(datetime(1986, 3, 14, 12, tzinfo=UTC))
    place = PlaceBet(uow_factory, clock, ids, house, seed_source)
    await fund_bankroll()
    player = await new_player()
    await CreditDeposit(uow_factory, clock, ids, house)(
        CreditDepositCommand(player.id, Money(100_000, XTR), unique_key("dep"))
    )
    outcomes = []
    for i in range(DROPS):
        params = {"rows": str(8 + i % 9), "risk": ("low", "medium", "high")[i % 3]}
        placed = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), "plinko", Money(10, XTR), params)
        )
        outcomes.append(placed.bet.outcome)
    first_slots = Counter((path % 256).bit_count() for path in outcomes)
    viewer = await staff("viewer")

    response = await api.get(
        "/api/v1/reports/outcomes",
        params={"from": "1986-03-14", "to": "1986-03-15", "game": "plinko"},
        headers=viewer,
    )

    assert response.status_code == 200, response.text
    [row] = response.json()["rows"]
    assert row["game"] == "plinko"
    assert row["bets"] == DROPS
    assert row["dof"] is not None
    assert row["dof"] >= 1
    observed = sum(b["observed"] for b in row["bins"])
    assert observed == DROPS
    # Bins are merged until each expects 5: the first is slots 0 … k, and it holds exactly
    # the drops whose first 8 rows landed there.
    first = row["bins"][0]
    assert first["bin"].startswith("slot 0 of the first 8 rows")
    last_slot = int(first["bin"].rsplit("slot ", 1)[1].split()[0])
    assert first["observed"] == sum(first_slots[s] for s in range(last_slot + 1))
