"""Four eyes over HTTP (issue 18): a finance user who credited a player is refused that
player's withdrawal with a clear 403, and a large withdrawal answers half-approved until a
second finance user approves it."""

from __future__ import annotations

import uuid

import pytest

from application.postings import AdjustBalanceCommand
from application.registration import RegisterPlayerCommand
from application.withdrawals import RequestWithdrawal
from domain.money import XTR, Money

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def withdrawal(register, new_telegram_id, adjust, unique_key, http_container):
    """A player funded by the tests (not by staff) and their withdrawal of `amount` XTR."""

    async def make(amount: int) -> tuple[int, str]:
        registration = await register(
            RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=True)
        )
        player_id = registration.player.id
        await adjust(
            AdjustBalanceCommand(player_id, Money(50_000, XTR), "funds", "tests", unique_key())
        )
        async with http_container() as scope:
            request = await scope.get(RequestWithdrawal)
            destination = f"UQ-{uuid.uuid4().hex[:16]}"
            asked = await request(player_id, Money(amount, XTR), destination, uuid.uuid4())
        return player_id, str(asked.id)

    return make


async def test_whoever_credited_the_player_is_refused_their_withdrawal(api, staff, withdrawal):
    alice, bob = await staff("finance"), await staff("finance")
    player_id, withdrawal_id = await withdrawal(1_000)
    credit = await api.post(
        "/api/v1/adjustments/",
        json={
            "player_id": player_id,
            "amount": 10,
            "currency": "XTR",
            "reason": "goodwill",
            "request_id": str(uuid.uuid4()),
        },
        headers=alice,
    )
    assert credit.status_code == 201, credit.text
    refused = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=alice)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    assert "another finance user must approve" in refused.json()["detail"]
    # The flag it raised holds the withdrawal for review, for everyone.
    held = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=bob)
    assert (held.status_code, held.json()["code"]) == (409, "withdrawal_refused"), held.text
    flags = await api.get(
        "/api/v1/risk/flags", params={"player_id": player_id, "status": "open"}, headers=bob
    )
    assert [f["kind"] for f in flags.json()["flags"]] == ["staff_chain"], flags.text


async def test_a_large_withdrawal_needs_two_finance_users(api, staff, withdrawal):
    alice, bob = await staff("finance"), await staff("finance")
    _, withdrawal_id = await withdrawal(20_000)  # above the default 10,000 Stars
    half = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=alice)
    assert half.status_code == 200, half.text
    assert half.json()["state"] == "requested"
    assert half.json()["first_approved_by"].startswith("staff:finance-")
    again = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=alice)
    assert again.json() == half.json()
    done = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=bob)
    assert (done.status_code, done.json()["state"]) == (200, "approved"), done.text
    assert done.json()["first_approved_by"] == half.json()["first_approved_by"]
