"""A withdrawal the player cancelled, as finance staff see it over HTTP: in the queue under
`state=cancelled`, with when and by whom, its money back in the wallet, and no decision left
to take on it."""

from __future__ import annotations

import uuid

import pytest

from application.withdrawals import CancelWithdrawal
from tests.entrypoints.test_http_withdrawals import _wallet, funded, requested  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def test_a_cancelled_withdrawal_in_the_staff_views(api, staff, requested, http_container):  # noqa: F811
    finance = await staff("finance")
    player_id, withdrawal_id = await requested(1_000)
    async with http_container() as scope:
        cancel = await scope.get(CancelWithdrawal)
        await cancel(player_id, uuid.UUID(withdrawal_id))

    shown = (await api.get(f"/api/v1/withdrawals/{withdrawal_id}", headers=finance)).json()
    assert (shown["state"], shown["decided_by"]) == ("cancelled", f"player:{player_id}")
    assert shown["cancelled_at"] is not None
    assert shown["approved_at"] is None
    assert shown["rejected_at"] is None
    queue = await api.get("/api/v1/withdrawals/?state=cancelled&limit=100", headers=finance)
    assert queue.status_code == 200
    assert withdrawal_id in {w["id"] for w in queue.json()["withdrawals"]}
    waiting = await api.get("/api/v1/withdrawals/?state=requested&limit=100", headers=finance)
    assert withdrawal_id not in {w["id"] for w in waiting.json()["withdrawals"]}
    assert await _wallet(api, finance, player_id) == 5_000
    approve = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    assert approve.status_code == 409
    assert "is cancelled; it cannot become approved" in approve.json()["detail"]
