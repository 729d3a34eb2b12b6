"""In-memory fakes of the players' side ports (preferences, the 18+ and terms gate, referrals;
four-eyes adjustment requests; Telegram Stars invoices and charges), on the same state as
`tests.fakes`. The tables' own refusals and the races are tested on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.adjustments import AdjustmentRequest, AdjustmentState, WindowTotals
from domain.errors import IdempotencyConflict, IllegalTransition, NotFound
from domain.onboarding import PlayerPreferences
from domain.payments import (
    InvoiceLinkUnavailable,
    InvoiceWording,
    RefundRefused,
    StarsInvoice,
    StarsPayment,
)

if TYPE_CHECKING:
    from tests.fakes import _State


class FakePreferences:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def get(self, player_id: int) -> PlayerPreferences | None:
        return self.s.preferences.get(player_id)

    async def create(
        self, player_id: int, *, language: str, referral_code: str, referred_by: int | None
    ) -> PlayerPreferences:
        if player_id not in self.s.preferences:
            self.s.preferences[player_id] = PlayerPreferences(
                player_id, language, referral_code, referred_by=referred_by
            )
        return self.s.preferences[player_id]

    async def player_by_referral(self, code: str) -> int | None:
        return next(
            (p.player_id for p in self.s.preferences.values() if p.referral_code == code), None
        )

    async def accept_terms(self, player_id: int, now: datetime) -> tuple[datetime, bool]:
        preferences = self.s.preferences.get(player_id)
        if preferences is None:
            raise NotFound(f"player {player_id} has no preferences")
        if preferences.terms_accepted_at is not None:
            return preferences.terms_accepted_at, False
        self.s.preferences[player_id] = replace(preferences, terms_accepted_at=now)
        return now, True

    async def set_language(self, player_id: int, language: str) -> None:
        self.s.preferences[player_id] = replace(self.s.preferences[player_id], language=language)


class FakeAdjustments:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, request: AdjustmentRequest) -> None:
        if request.id in self.s.adjustments:
            raise IdempotencyConflict(f"adjustment request {request.id} exists already")
        self.s.adjustments[request.id] = request

    def _counted(self, since: datetime) -> list[AdjustmentRequest]:
        return [
            r
            for r in self.s.adjustments.values()
            if r.state is not AdjustmentState.REJECTED and r.requested_at >= since
        ]

    async def window_totals(
        self, staff: str, player_id: int, currency: str, since: datetime
    ) -> WindowTotals:
        # One fake unit of work runs at a time: nothing to lock.
        mine = [r for r in self._counted(since) if r.amount.currency.code == currency]
        return WindowTotals(
            staff=sum(abs(r.amount.amount) for r in mine if r.requested_by == staff),
            player=sum(abs(r.amount.amount) for r in mine if r.player_id == player_id),
        )

    async def involving(
        self, player_id: int, staff: str, since: datetime
    ) -> Sequence[AdjustmentRequest]:
        return [
            r
            for r in self.s.adjustments.values()
            if r.state is not AdjustmentState.REJECTED
            and (r.requested_at >= since or (r.decided_at is not None and r.decided_at >= since))
            and r.player_id == player_id
            and staff in (r.requested_by, r.decided_by)
        ]

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> AdjustmentRequest:
        if request_id not in self.s.adjustments:
            raise NotFound(f"no adjustment request {request_id}")
        return self.s.adjustments[request_id]

    async def save(self, request: AdjustmentRequest) -> None:
        if (await self.get(request.id)).state is not AdjustmentState.PENDING:
            raise IllegalTransition(f"adjustment {request.id} is decided already")
        self.s.adjustments[request.id] = request

    async def list(self, state: AdjustmentState | None, limit: int) -> Sequence[AdjustmentRequest]:
        found = [r for r in self.s.adjustments.values() if state is None or r.state is state]
        return sorted(found, key=lambda r: r.requested_at, reverse=True)[:limit]


class FakeStars:
    """Stars invoices and charges: one payment per charge id, as the table's key keeps it."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def add_invoice(self, invoice: StarsInvoice) -> None:
        self.s.invoices[invoice.payload] = invoice

    async def invoice(self, payload: str) -> StarsInvoice | None:
        return self.s.invoices.get(payload)

    async def add_payment(self, payment: StarsPayment) -> bool:
        if payment.charge_id in self.s.payments:
            return False
        self.s.payments[payment.charge_id] = payment
        return True

    async def payment(self, charge_id: str, *, for_update: bool = False) -> StarsPayment:
        if charge_id not in self.s.payments:
            raise NotFound(f"no Stars payment {charge_id}")
        return self.s.payments[charge_id]

    async def save_payment(self, payment: StarsPayment) -> None:
        await self.payment(payment.charge_id)
        self.s.payments[payment.charge_id] = payment

    async def list_payments(self, player_id: int | None, limit: int) -> Sequence[StarsPayment]:
        found = [
            p for p in self.s.payments.values() if player_id is None or p.player_id == player_id
        ]
        return sorted(found, key=lambda p: p.paid_at, reverse=True)[:limit]


class FakeStarsRefunds:
    """Telegram's `refundStarPayment`: refunds (and remembers the charge), or refuses when
    told to, as Telegram does for a charge it will not refund."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.refunded: list[str] = []

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        if self.refuse:
            raise RefundRefused("CHARGE_ALREADY_REFUNDED")
        self.refunded.append(charge_id)


class FakeStarsInvoiceLinks:
    """Telegram's `createInvoiceLink`: a link per invoice (remembering the payload and the
    wording it was asked with), or no link when told to be down."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.asked: list[tuple[str, int, InvoiceWording]] = []

    async def invoice_link(self, invoice: StarsInvoice, wording: InvoiceWording) -> str:
        if self.down:
            raise InvoiceLinkUnavailable("Telegram is away")
        self.asked.append((invoice.payload, invoice.amount.amount, wording))
        return f"https://t.me/${invoice.payload}"
