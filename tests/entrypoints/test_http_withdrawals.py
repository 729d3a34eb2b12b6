"""The withdrawal queue and KYC over HTTP: roles, problem details, and the money behind each
decision."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import grpc
import pytest
from sqlalchemy import text

from application.postings import AdjustBalanceCommand
from application.registration import RegisterPlayerCommand
from application.withdrawals import RequestWithdrawal
from domain.money import XTR, Money
from domain.withdrawals import WithdrawalRefused
from entrypoints.grpc.errors import error_metadata, status_code_for
from entrypoints.http.problems import domain_error_handler
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


@pytest.fixture
def funded(register, new_telegram_id, adjust, unique_key):
    """A player holding `amount` XTR from a staff credit (no deposit, so nothing to wager)."""

    async def make(amount: int = 5_000) -> int:
        registration = await register(
            RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=True)
        )
        player_id = registration.player.id
        await adjust(
            AdjustBalanceCommand(player_id, Money(amount, XTR), "funds", "tests", unique_key())
        )
        return player_id

    return make


@pytest.fixture
def requested(http_container, funded):
    """A fresh withdrawal of `amount` XTR, asked for as the bot asks for it."""

    async def make(amount: int = 1_000) -> tuple[int, str]:
        player_id = await funded()
        async with http_container() as scope:
            request = await scope.get(RequestWithdrawal)
            # A destination of its own: one shared by several players is a risk flag (and
            # a flagged player's withdrawal is not approved until the flag is reviewed).
            destination = f"UQ-{uuid.uuid4().hex[:16]}"
            withdrawal = await request(player_id, Money(amount, XTR), destination, uuid.uuid4())
        return player_id, str(withdrawal.id)

    return make


async def _wallet(api, headers, player_id: int) -> int:
    response = await api.get(f"/api/v1/players/{player_id}", headers=headers)
    return next(b["amount"] for b in response.json()["balances"] if b["currency"] == "XTR")


async def test_finance_approves_and_marks_paid(api, staff, requested, engine):
    finance = await staff("finance")
    player_id, withdrawal_id = await requested(1_000)
    queue = await api.get("/api/v1/withdrawals/", params={"state": "requested"}, headers=finance)
    assert queue.status_code == 200, queue.text
    assert withdrawal_id in {w["id"] for w in queue.json()["withdrawals"]}

    one = await api.get(f"/api/v1/withdrawals/{withdrawal_id}", headers=finance)
    assert one.json()["state"] == "requested"
    assert (one.json()["amount"], one.json()["currency"]) == (1_000, "XTR")

    approved = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"  # the manual gateway: staff pay by hand
    again = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    assert again.json() == approved.json()

    paid = await api.post(
        f"/api/v1/withdrawals/{withdrawal_id}/paid",
        json={"reference": "bank-2026-001"},
        headers=finance,
    )
    assert paid.status_code == 200, paid.text
    assert (paid.json()["state"], paid.json()["payout_reference"]) == ("paid", "bank-2026-001")
    conflict = await api.post(
        f"/api/v1/withdrawals/{withdrawal_id}/paid", json={"reference": "other"}, headers=finance
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_conflict"
    assert await _wallet(api, finance, player_id) == 4_000
    async with engine.connect() as conn:
        actions = (
            await conn.execute(
                text(
                    "SELECT action FROM audit_log WHERE subject = :s AND action LIKE 'withdrawal%'"
                    " ORDER BY id"
                ),
                {"s": f"player:{player_id}"},
            )
        ).scalars()
        assert list(actions) == ["withdrawal_requested", "withdrawal_approved", "withdrawal_paid"]


async def test_reject_and_failed_return_the_money(api, staff, requested):
    finance = await staff("finance")
    player_id, rejected_id = await requested(1_000)
    missing = await api.post(f"/api/v1/withdrawals/{rejected_id}/reject", headers=finance, json={})
    assert missing.status_code == 400
    empty = await api.post(
        f"/api/v1/withdrawals/{rejected_id}/reject", headers=finance, json={"reason": " "}
    )
    assert empty.status_code == 400
    assert empty.json()["code"] == "invalid_request"
    rejected = await api.post(
        f"/api/v1/withdrawals/{rejected_id}/reject", headers=finance, json={"reason": "fraud"}
    )
    assert (rejected.status_code, rejected.json()["state"]) == (200, "rejected")
    assert await _wallet(api, finance, player_id) == 5_000
    illegal = await api.post(f"/api/v1/withdrawals/{rejected_id}/approve", headers=finance)
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "illegal_transition"
    assert "is rejected; it cannot become approved" in illegal.json()["detail"]

    player_id, failed_id = await requested(700)
    await api.post(f"/api/v1/withdrawals/{failed_id}/approve", headers=finance)
    failed = await api.post(
        f"/api/v1/withdrawals/{failed_id}/failed",
        headers=finance,
        json={"reason": "the bank returned it"},
    )
    assert (failed.status_code, failed.json()["state"]) == (200, "failed")
    assert await _wallet(api, finance, player_id) == 5_000


async def test_roles_and_authentication(api, staff, requested):
    viewer, support = await staff("viewer"), await staff("support")
    _, withdrawal_id = await requested()
    assert (await api.get("/api/v1/withdrawals/")).status_code == 401
    assert (await api.get("/api/v1/withdrawals/", headers=viewer)).status_code == 200
    assert (
        await api.get(f"/api/v1/withdrawals/{withdrawal_id}", headers=viewer)
    ).status_code == 200
    for headers in (viewer, support):
        response = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    unknown = await api.get(f"/api/v1/withdrawals/{uuid.uuid4()}", headers=viewer)
    assert unknown.status_code == 404
    bad_state = await api.get("/api/v1/withdrawals/", params={"state": "lost"}, headers=viewer)
    assert bad_state.status_code == 400
    bad_cursor = await api.get("/api/v1/withdrawals/", params={"cursor": "x"}, headers=viewer)
    assert bad_cursor.status_code == 400


async def test_the_queue_pages(api, staff, requested):
    viewer = await staff("viewer")
    for _ in range(3):
        await requested(100)
    first = await api.get("/api/v1/withdrawals/", params={"limit": 2}, headers=viewer)
    assert len(first.json()["withdrawals"]) == 2
    cursor = first.json()["next_cursor"]
    assert cursor
    second = await api.get(
        "/api/v1/withdrawals/", params={"limit": 2, "cursor": cursor}, headers=viewer
    )
    assert second.status_code == 200
    ids = [w["id"] for w in first.json()["withdrawals"] + second.json()["withdrawals"]]
    assert len(set(ids)) == len(ids)


async def test_support_sets_kyc_and_it_is_audited(api, staff, funded, engine):
    support, viewer = await staff("support"), await staff("viewer")
    player_id = await funded()
    response = await api.put(
        f"/api/v1/players/{player_id}/kyc", json={"status": "verified"}, headers=support
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "player_id": player_id,
        "kyc_status": "verified",
        "previous": "unverified",
    }
    forbidden = await api.put(
        f"/api/v1/players/{player_id}/kyc", json={"status": "pending"}, headers=viewer
    )
    assert forbidden.status_code == 403
    bad = await api.put(
        f"/api/v1/players/{player_id}/kyc", json={"status": "maybe"}, headers=support
    )
    assert bad.status_code == 400
    unknown = await api.put(
        "/api/v1/players/999999999/kyc", json={"status": "pending"}, headers=support
    )
    assert unknown.status_code == 404
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT before, after FROM audit_log WHERE action = 'kyc_status_set'"
                    " AND subject = :s"
                ),
                {"s": f"player:{player_id}"},
            )
        ).one()
    assert (row.before, row.after) == ({"kyc_status": "unverified"}, {"kyc_status": "verified"})


def test_a_withdrawal_refusal_names_its_rule_on_every_entrypoint():
    error = WithdrawalRefused(
        "daily_limit", "limited", limit=Money(2_000, XTR), remaining=Money(5, XTR)
    )
    response = domain_error_handler(None, error)  # type: ignore[arg-type]
    body = response.content if isinstance(response.content, dict) else json.loads(response.body)
    assert response.status_code == 409
    assert body["code"] == "withdrawal_refused"
    assert body["rule"] == "daily_limit"
    assert body["limit"] == {"amount": 2_000, "currency": "XTR"}
    assert body["remaining"] == {"amount": 5, "currency": "XTR"}
    assert status_code_for(error) is grpc.StatusCode.FAILED_PRECONDITION
    assert error_metadata(error) == {"rule": "daily_limit"}


async def test_a_blocked_players_withdrawal_waits_for_the_block_to_be_lifted(
    api, staff, requested, engine
):
    finance, support = await staff("finance"), await staff("support")
    player_id, withdrawal_id = await requested(1_000)
    other_id, approved_id = await requested(1_000)
    approving = await api.post(f"/api/v1/withdrawals/{approved_id}/approve", headers=finance)
    assert approving.status_code == 200, approving.text
    for who in (player_id, other_id):
        blocked = await api.post(
            f"/api/v1/players/{who}/block", json={"reason": "fraud review"}, headers=support
        )
        assert blocked.status_code == 200, blocked.text

    before = await row_counts(engine)
    frozen = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    not_paid = await api.post(
        f"/api/v1/withdrawals/{approved_id}/paid", json={"reference": "bank-1"}, headers=finance
    )
    for refused in (frozen, not_paid):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert (refused.json()["code"], refused.json()["rule"]) == ("withdrawal_frozen", "blocked")
    assert await row_counts(engine) == before

    for who in (player_id, other_id):
        lifted = await api.post(
            f"/api/v1/players/{who}/unblock", json={"reason": "cleared"}, headers=support
        )
        assert lifted.status_code == 200, lifted.text
    approved = await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    assert (approved.status_code, approved.json()["state"]) == (200, "approved")
    paid = await api.post(
        f"/api/v1/withdrawals/{approved_id}/paid", json={"reference": "bank-1"}, headers=finance
    )
    assert (paid.status_code, paid.json()["state"]) == (200, "paid")


async def test_a_blocked_players_withdrawal_can_be_rejected(api, staff, requested):
    finance, support = await staff("finance"), await staff("support")
    player_id, withdrawal_id = await requested(1_000)
    await api.post(f"/api/v1/players/{player_id}/block", json={"reason": "r"}, headers=support)
    rejected = await api.post(
        f"/api/v1/withdrawals/{withdrawal_id}/reject",
        json={"reason": "account blocked"},
        headers=finance,
    )
    assert (rejected.status_code, rejected.json()["state"]) == (200, "rejected")
    assert await _wallet(api, finance, player_id) == 5_000


async def _set_sending_mark(engine, withdrawal_id: str, until_sql: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE withdrawals SET payout_sending_until = {until_sql} WHERE id = :i"),
            {"i": withdrawal_id},
        )


async def test_a_withdrawal_a_payout_run_is_sending_cannot_be_settled_by_hand(
    api, staff, requested, engine
):
    # The "sending" mark a payout run commits before it calls the provider (here set by hand
    # on a withdrawal staff pay themselves): both settling doors answer 409, nothing written.
    finance = await staff("finance")
    player_id, withdrawal_id = await requested(600)
    await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    await _set_sending_mark(engine, withdrawal_id, "now() + interval '5 minutes'")
    failed = await api.post(
        f"/api/v1/withdrawals/{withdrawal_id}/failed",
        headers=finance,
        json={"reason": "the player asked for it back"},
    )
    assert failed.status_code == 409, failed.text
    assert failed.json()["code"] == "illegal_transition"
    assert "a payout run is sending withdrawal" in failed.json()["detail"]
    assert "the first payout run after " in failed.json()["detail"]
    paid = await api.post(
        f"/api/v1/withdrawals/{withdrawal_id}/paid", json={"reference": "x-1"}, headers=finance
    )
    assert paid.status_code == 409, paid.text
    one = await api.get(f"/api/v1/withdrawals/{withdrawal_id}", headers=finance)
    assert one.json()["state"] == "approved"
    assert one.json()["payout_sending_until"] is not None  # staff see why
    assert await _wallet(api, finance, player_id) == 4_400
    # Its lease over (the run died) and staff pay this currency by hand (no run resolves it):
    # it can be failed, the money back in the wallet and the mark gone with it.
    await _set_sending_mark(engine, withdrawal_id, "now() - interval '1 second'")
    failed = await api.post(
        f"/api/v1/withdrawals/{withdrawal_id}/failed",
        headers=finance,
        json={"reason": "the player asked for it back"},
    )
    assert (failed.status_code, failed.json()["state"]) == (200, "failed"), failed.text
    assert await _wallet(api, finance, player_id) == 5_000
    async with engine.connect() as conn:
        mark = await conn.scalar(
            text("SELECT payout_sending_until FROM withdrawals WHERE id = :i"),
            {"i": withdrawal_id},
        )
    assert mark is None
    # The database refuses a mark on a withdrawal that is no longer approved.
    with pytest.raises(Exception, match="ck_withdrawals_sending_only_approved"):
        await _set_sending_mark(engine, withdrawal_id, "now()")


async def test_the_queue_shows_when_the_player_was_told_the_payout_is_delayed(
    api, staff, requested, engine
):
    finance = await staff("finance")
    _, withdrawal_id = await requested(600)
    await api.post(f"/api/v1/withdrawals/{withdrawal_id}/approve", headers=finance)
    shown = await api.get(f"/api/v1/withdrawals/{withdrawal_id}", headers=finance)
    assert shown.json()["payout_delayed_at"] is None
    async with engine.begin() as conn:  # as a payout run sets it when nothing could be sent
        await conn.execute(
            text(
                "UPDATE withdrawals SET payout_delayed_at = now(),"
                " payout_note = 'not enough USDT at Crypto Pay' WHERE id = :i"
            ),
            {"i": withdrawal_id},
        )
    shown = await api.get(f"/api/v1/withdrawals/{withdrawal_id}", headers=finance)
    assert shown.status_code == 200, shown.text
    assert datetime.fromisoformat(shown.json()["payout_delayed_at"]).tzinfo is not None
    assert shown.json()["payout_note"] == "not enough USDT at Crypto Pay"
