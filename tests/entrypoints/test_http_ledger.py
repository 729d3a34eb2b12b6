"""The ledger on the admin API: filtered, paged transactions, one transaction with its legs,
and audited CSV exports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from application.postings import CreditDepositCommand, DebitWalletCommand
from domain.money import XTR, Money
from entrypoints.http.ledger import CSV_COLUMNS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

LEDGER = "/api/v1/ledger/transactions"


async def _exports(engine, actor_prefix: str) -> list:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                text(
                    "SELECT actor, source, subject, after FROM audit_log"
                    " WHERE action = 'export' AND actor LIKE :actor ORDER BY id"
                ),
                {"actor": f"{actor_prefix}%"},
            )
        )


@pytest.fixture
def busy_player(funded_player, credit, debit, unique_key):
    """A player with three deposits (100, 20, 30) and one debit (5), in that order."""

    async def make():
        player = await funded_player(100)
        for amount in (20, 30):
            await credit(CreditDepositCommand(player.id, Money(amount, XTR), unique_key("dep")))
        await debit(DebitWalletCommand(player.id, Money(5, XTR), unique_key("deb"), "shop"))
        return player

    return make


def _problem_field(response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()["errors"][0]["field"]


async def test_transactions_of_a_player_newest_first_with_their_legs(api, staff, busy_player):
    player = await busy_player()
    viewer = await staff("viewer")
    response = await api.get(LEDGER + "/", params={"player_id": player.id}, headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    transactions = body["transactions"]
    assert [t["kind"] for t in transactions] == ["debit", "deposit", "deposit", "deposit"]
    wallet_amounts = [
        leg["amount"] for t in transactions for leg in t["legs"] if leg["player_id"] == player.id
    ]
    assert wallet_amounts == [-5, 30, 20, 100]
    debit = transactions[0]
    assert debit["reference"] == "shop"
    assert sum(leg["amount"] for leg in debit["legs"]) == 0
    wallet_leg = next(leg for leg in debit["legs"] if leg["player_id"] == player.id)
    assert wallet_leg["account_kind"] == "player_wallet"
    assert wallet_leg["currency"] == "XTR"
    assert wallet_leg["balance_after"] == 145


async def test_filters_by_kind_currency_and_time(api, staff, busy_player):
    player = await busy_player()
    viewer = await staff("viewer")
    deposits = await api.get(
        LEDGER + "/", params={"player_id": player.id, "kind": "deposit"}, headers=viewer
    )
    assert [t["kind"] for t in deposits.json()["transactions"]] == ["deposit"] * 3

    in_xtr = await api.get(
        LEDGER + "/", params={"player_id": player.id, "currency": "xtr"}, headers=viewer
    )
    assert len(in_xtr.json()["transactions"]) == 4
    in_ton = await api.get(
        LEDGER + "/", params={"player_id": player.id, "currency": "TON"}, headers=viewer
    )
    assert in_ton.json()["transactions"] == []

    everything = in_xtr.json()["transactions"]
    newest = datetime.fromisoformat(everything[0]["created_at"])
    oldest = datetime.fromisoformat(everything[-1]["created_at"])
    # [from, to): the newest one is outside a range that ends at its own time.
    window = await api.get(
        LEDGER + "/",
        params={"player_id": player.id, "from": oldest.isoformat(), "to": newest.isoformat()},
        headers=viewer,
    )
    assert [t["id"] for t in window.json()["transactions"]] == [t["id"] for t in everything[1:]]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = await api.get(
        LEDGER + "/", params={"player_id": player.id, "from": future}, headers=viewer
    )
    assert later.json()["transactions"] == []


async def test_pages_across_two_pages_without_gaps_or_repeats(api, staff, busy_player):
    player = await busy_player()
    viewer = await staff("viewer")
    params = {"player_id": player.id, "limit": 3}
    first = (await api.get(LEDGER + "/", params=params, headers=viewer)).json()
    assert len(first["transactions"]) == 3
    assert first["next_cursor"]
    second = (
        await api.get(
            LEDGER + "/", params={**params, "cursor": first["next_cursor"]}, headers=viewer
        )
    ).json()
    assert len(second["transactions"]) == 1
    assert second["next_cursor"] is None
    whole = (await api.get(LEDGER + "/", params={"player_id": player.id}, headers=viewer)).json()
    paged = [t["id"] for t in first["transactions"] + second["transactions"]]
    assert paged == [t["id"] for t in whole["transactions"]]


async def test_one_transaction_with_its_legs(api, staff, funded_player, credit, unique_key):
    player = await funded_player(1)
    posted = await credit(
        CreditDepositCommand(
            player.id, Money(70, XTR), unique_key("dep"), "stars:abc", {"source": "test"}
        )
    )
    transaction_id = posted.transaction.id
    response = await api.get(f"{LEDGER}/{transaction_id}", headers=await staff("finance"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == str(transaction_id)
    assert body["kind"] == "deposit"
    assert body["metadata"] == {"source": "test"}
    legs = {leg["account_kind"]: leg for leg in body["legs"]}
    assert set(legs) == {"player_wallet", "deposits_clearing"}
    assert legs["player_wallet"]["player_id"] == player.id
    assert legs["player_wallet"]["amount"] == 70
    assert legs["player_wallet"]["balance_after"] == 71
    assert legs["deposits_clearing"]["player_id"] is None
    assert legs["deposits_clearing"]["amount"] == -70
    assert all(leg["currency"] == "XTR" and leg["account_id"] > 0 for leg in body["legs"])


async def test_an_unknown_transaction_is_404(api, staff):
    response = await api.get(f"{LEDGER}/{uuid.uuid4()}", headers=await staff("viewer"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    malformed = await api.get(f"{LEDGER}/not-a-uuid", headers=await staff("viewer"))
    assert malformed.status_code in (400, 404)
    assert malformed.headers["content-type"].startswith("application/problem+json")


async def test_csv_export_has_a_header_a_row_per_leg_and_is_audited(
    api, staff, busy_player, engine
):
    player = await busy_player()
    name = "exporter"
    headers = await staff("viewer", username=f"{name}-{player.id}")
    response = await api.get(
        LEDGER + "/", params={"player_id": player.id, "format": "csv"}, headers=headers
    )
    assert response.status_code == 200, response.text
    # One charset (Litestar adds it to a text/* type; issue 20 found it twice).
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(records) == 8  # four transactions of two legs each
    wallet = [r for r in records if r["player_id"] == str(player.id)]
    assert [int(r["amount"]) for r in wallet] == [-5, 30, 20, 100]
    assert {r["kind"] for r in records} == {"deposit", "debit"}
    assert "x-next-cursor" not in response.headers

    exports = await _exports(engine, f"staff:{name}-{player.id}")
    assert len(exports) == 1
    entry = exports[0]
    assert entry.subject == "ledger:transactions"
    assert entry.source
    assert entry.after["format"] == "csv"
    assert entry.after["filters"]["player_id"] == player.id
    assert entry.after["transactions"] == 4
    assert entry.after["legs"] == 8


async def test_csv_export_pages_with_the_cursor_header(api, staff, busy_player, engine):
    player = await busy_player()
    headers = await staff("finance", username=f"pager-{player.id}")
    params = {"player_id": player.id, "format": "csv", "limit": 3}
    first = await api.get(LEDGER + "/", params=params, headers=headers)
    assert first.status_code == 200, first.text
    cursor = first.headers["x-next-cursor"]
    second = await api.get(LEDGER + "/", params={**params, "cursor": cursor}, headers=headers)
    first_rows = list(csv.reader(io.StringIO(first.text)))
    second_rows = list(csv.reader(io.StringIO(second.text)))
    assert first_rows[0] == second_rows[0] == list(CSV_COLUMNS)
    assert len(first_rows) - 1 == 6
    assert len(second_rows) - 1 == 2
    assert "x-next-cursor" not in second.headers
    assert len(await _exports(engine, f"staff:pager-{player.id}")) == 2


async def test_validation_errors_name_the_field(api, staff):
    viewer = await staff("viewer")
    now = datetime.now(UTC)
    for params, field in (
        ({"kind": "gift"}, "kind"),
        ({"currency": "ZZZ"}, "currency"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"format": "xlsx"}, "format"),
        ({"player_id": 0}, "player_id"),
        ({"cursor": "bm9wZQ"}, "cursor"),
        ({"from": now.isoformat(), "to": (now - timedelta(hours=1)).isoformat()}, "to"),
        ({"format": "csv", "limit": 10_001}, "limit"),
        ({"from": "0001-01-01T00:30:00+05:00"}, "from"),  # before year 1 in UTC
    ):
        response = await api.get(LEDGER + "/", params=params, headers=viewer)
        assert _problem_field(response) == field, params
    bad_time = await api.get(LEDGER + "/", params={"from": "yesterday"}, headers=viewer)
    assert bad_time.status_code == 400
    assert "from" in bad_time.text


async def test_reading_needs_a_staff_token(api):
    for response in (
        await api.get(LEDGER + "/"),
        await api.get(LEDGER + "/", params={"format": "csv"}),
        await api.get(f"{LEDGER}/{uuid.uuid4()}"),
    ):
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
