"""Risk flags and the outcomes report on the admin API: listing, filters, paging, review with a
note by the right roles, problem details for bad input."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from application.betting import PlaceBet, PlaceBetCommand, SettleDiceBet, SettleDiceBetCommand
from application.postings import CreditDeposit, CreditDepositCommand
from application.risk import RecordPaymentIdentity, RiskReview
from domain.money import XTR, Money
from domain.risk import PaymentIdentityKind, RiskPolicy

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FLAGS = "/api/v1/risk/flags"


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def shared_identity(new_player, uow_factory, clock):
    """Two new players who paid from one identity: both flagged. Returns their flags."""

    async def make():
        record = RecordPaymentIdentity(uow_factory, clock, RiskReview(RiskPolicy()))
        first, second = await new_player(), await new_player()
        identity = f"payer-{secrets.token_hex(6)}"
        await record(first.id, PaymentIdentityKind.PROVIDER_PAYER, identity)
        return await record(second.id, PaymentIdentityKind.PROVIDER_PAYER, identity)

    return make


async def test_staff_list_and_read_flags_with_their_evidence(api, staff, shared_identity):
    viewer = await staff("viewer")
    flags = await shared_identity()
    player = flags[0].player_id

    listed = await api.get(FLAGS + "/", params={"player_id": player}, headers=viewer)
    assert listed.status_code == 200, listed.text
    [row] = listed.json()["flags"]
    assert row["kind"] == "shared_payment_identity"
    assert row["status"] == "open"
    assert len(row["evidence"]["players"]) == 2
    assert listed.json()["next_before_id"] is None

    one = await api.get(f"{FLAGS}/{row['id']}", headers=viewer)
    assert one.status_code == 200
    assert one.json() == row


async def test_flags_page_newest_first_and_filter(api, staff, shared_identity):
    viewer = await staff("viewer")
    await shared_identity()
    await shared_identity()
    first = await api.get(
        FLAGS + "/",
        params={"status": "open", "kind": "shared_payment_identity", "limit": 2},
        headers=viewer,
    )
    body = first.json()
    assert [f["id"] for f in body["flags"]] == sorted(
        (f["id"] for f in body["flags"]), reverse=True
    )
    assert body["next_before_id"] == body["flags"][-1]["id"]
    second = await api.get(
        FLAGS + "/",
        params={"status": "open", "limit": 2, "before_id": body["next_before_id"]},
        headers=viewer,
    )
    assert all(f["id"] < body["next_before_id"] for f in second.json()["flags"])
    bad = await api.get(FLAGS + "/", params={"kind": "sorcery"}, headers=viewer)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_support_resolves_a_flag_once_with_a_note_and_it_is_audited(
    api, staff, shared_identity, engine
):
    support, viewer = await staff("support"), await staff("viewer")
    flag, other = await shared_identity()
    url = f"{FLAGS}/{flag.id}"

    denied = await api.post(url + "/resolve", json={"note": "checked"}, headers=viewer)
    assert denied.status_code == 403
    no_note = await api.post(url + "/resolve", json={"note": "  "}, headers=support)
    assert no_note.status_code == 400
    assert no_note.json()["code"] == "invalid_request"
    unknown_field = await api.post(url + "/resolve", json={"note": "x", "x": 1}, headers=support)
    assert unknown_field.status_code == 400

    resolved = await api.post(url + "/resolve", json={"note": "same household"}, headers=support)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["note"] == "same household"
    assert resolved.json()["reviewed_by"].startswith("staff:support-")
    again = await api.post(url + "/dismiss", json={"note": "changed my mind"}, headers=support)
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"

    finance = await staff("finance")
    dismissed = await api.post(
        f"{FLAGS}/{other.id}/dismiss", json={"note": "false alarm"}, headers=finance
    )
    assert dismissed.json()["status"] == "dismissed"

    async with engine.connect() as conn:
        actions = [
            r.action
            for r in await conn.execute(
                text(
                    "SELECT action FROM audit_log WHERE subject IN (:a, :b)"
                    " AND action LIKE 'risk_flag_%' ORDER BY id"
                ),
                {"a": f"player:{flag.player_id}", "b": f"player:{other.player_id}"},
            )
        ]
    assert actions == [
        "risk_flag_raised",
        "risk_flag_raised",
        "risk_flag_resolved",
        "risk_flag_dismissed",
    ]


async def test_flags_need_a_staff_login_and_unknown_ones_are_404(api, staff):
    assert (await api.get(FLAGS + "/")).status_code == 401
    viewer = await staff("viewer")
    missing = await api.get(f"{FLAGS}/999999999", headers=viewer)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    huge = await api.get(f"{FLAGS}/{2**63}", headers=viewer)
    assert huge.status_code in (400, 404)


async def test_the_outcomes_report_shows_a_biased_dice_stream(
    api, staff, uow_factory, ids, house, seed_source, fund_bankroll, new_player, unique_key
):
    day = datetime(1985, 8, 20, 12, tzinfo=UTC)
    clock = FixedClock(day)
    place = PlaceBet(uow_factory, clock, ids, house, seed_source)
    settle = SettleDiceBet(uow_factory, clock, ids, house)
    await fund_bankroll()
    player = await new_player()
    await CreditDeposit(uow_factory, clock, ids, house)(
        CreditDepositCommand(player.id, Money(10_000, XTR), unique_key("dep"))
    )
    for value in [2] * 40 + [1, 3, 4, 5, 6] * 2:
        placed = await place(
            PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", Money(10, XTR), {"bet": "odd"})
        )
        await settle(
            SettleDiceBetCommand(
                placed.bet.id, secrets.randbelow(2**40), secrets.randbelow(2**40), value
            )
        )
    viewer = await staff("viewer")
    period = {"from": "1985-08-20", "to": "1985-08-21"}

    response = await api.get("/api/v1/reports/outcomes", params=period, headers=viewer)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["alpha"] == 0.001
    rows = {r["game"]: r for r in body["rows"]}
    assert set(rows) >= {"dice", "coin", "roulette", "limbo", "tg_dice", "tg_slot"}
    dice = rows["tg_dice"]
    assert dice["bets"] == 50
    assert dice["alert"] is True
    assert dice["dof"] == 5
    assert dice["p_value"] < 0.001
    assert {b["bin"]: b["observed"] for b in dice["bins"]}["🎲 2"] == 40
    assert rows["roulette"] == {
        "game": "roulette",
        "bets": 0,
        "bins": [],
        "chi2": None,
        "dof": None,
        "p_value": None,
        "alert": False,
    }

    csv = await api.get(
        "/api/v1/reports/outcomes",
        params=period | {"game": "tg_dice", "format": "csv"},
        headers=viewer,
    )
    assert csv.status_code == 200
    lines = csv.text.strip().splitlines()
    assert lines[0] == "game,bin,observed,expected,chi2,dof,p_value,alert"
    assert len(lines) == 1 + 6
