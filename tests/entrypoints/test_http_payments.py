"""Stars payments in the admin API: finance lists them and refunds through Telegram."""

from __future__ import annotations

import secrets

import pytest

from application.onboarding import AcceptTerms, StartPlayer
from application.payments import CreateStarsInvoice, CreditStarsPayment
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW
from domain.money import XTR

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


class _NoRefunds:
    """Every charge here matches its invoice, so nothing is refunded on crediting it."""

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        raise AssertionError(f"refunded {charge_id} of {telegram_user_id}")


@pytest.fixture
def stars_payment(uow_factory, clock, ids, house, new_telegram_id):
    async def make(amount: int = 70) -> tuple[int, str]:
        telegram_id = new_telegram_id()
        onboarded = await StartPlayer(uow_factory, clock)(telegram_id, username=None, language="en")
        await AcceptTerms(uow_factory, clock)(onboarded.player.id)
        await AnswerDepositPrompt(uow_factory, clock)(onboarded.player.id)  # "No limit for now"
        charge = f"ch-{secrets.token_hex(8)}"
        invoice = await CreateStarsInvoice(uow_factory, clock, ids, ResponsibleGamblingGuard())(
            onboarded.player.id, amount
        )
        await CreditStarsPayment(uow_factory, clock, ids, house, _NoRefunds(), DEFAULT_RISK_REVIEW)(
            charge, invoice.payload, telegram_id, amount, "XTR"
        )
        return onboarded.player.id, charge

    return make


async def test_staff_list_and_read_stars_payments(api, staff, stars_payment):
    viewer = await staff("viewer")
    player_id, charge = await stars_payment(70)
    listed = await api.get(f"/api/v1/payments/stars/?player_id={player_id}", headers=viewer)
    assert listed.status_code == 200, listed.text
    (payment,) = listed.json()["payments"]
    assert (payment["charge_id"], payment["amount"], payment["currency"]) == (charge, 70, "XTR")
    assert payment["status"] == "paid"
    one = await api.get(f"/api/v1/payments/stars/{charge}", headers=viewer)
    assert one.json()["deposit_transaction_id"] == payment["deposit_transaction_id"]
    missing = await api.get("/api/v1/payments/stars/ch-none", headers=viewer)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_refunds_are_for_finance_and_undone_when_telegram_refuses(
    api, staff, stars_payment, balances
):
    player_id, charge = await stars_payment(70)
    support = await staff("support")
    refused = await api.post(
        f"/api/v1/payments/stars/{charge}/refund", json={"reason": "asked"}, headers=support
    )
    assert refused.status_code == 403

    finance = await staff("finance")
    no_reason = await api.post(
        f"/api/v1/payments/stars/{charge}/refund", json={"reason": ""}, headers=finance
    )
    assert no_reason.status_code == 400
    # This app runs without a bot token, so Telegram cannot be asked: the reversal is undone.
    response = await api.post(
        f"/api/v1/payments/stars/{charge}/refund", json={"reason": "asked"}, headers=finance
    )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "refund_refused"
    assert "not configured" in response.json()["detail"]
    assert [b.amount for b in await balances(player_id) if b.currency == XTR] == [70]
    after = await api.get(f"/api/v1/payments/stars/{charge}", headers=finance)
    assert (after.json()["status"], after.json()["refund_attempts"]) == ("paid", 1)
