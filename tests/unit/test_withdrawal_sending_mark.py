"""The "sending" mark on a withdrawal (docs/payments-crypto.md, "The sending mark"): only an
approved withdrawal carries it, a lease running is a send in flight, a lease ended an outcome
not resolved, and paying or failing it clears it. The races run on PostgreSQL
(tests/integration/test_crypto_payouts.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain.money import USDT, Money
from domain.withdrawals import IllegalWithdrawalTransition, Withdrawal

NOW = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def _requested() -> Withdrawal:
    return Withdrawal(
        id=uuid.uuid4(),
        player_id=1,
        request_id=uuid.uuid4(),
        amount=Money(12_500_000, USDT),
        destination="@CryptoBot",
        requested_at=NOW,
        request_transaction_id=uuid.uuid4(),
    )


def test_only_an_approved_withdrawal_is_marked_as_being_sent() -> None:
    with pytest.raises(IllegalWithdrawalTransition):
        _requested().sending(NOW + LEASE)
    approved = _requested().approve("staff:fin", NOW, uuid.uuid4())
    marked = approved.sending(NOW + LEASE)
    assert marked.being_sent(NOW)
    assert not marked.being_sent(NOW + LEASE)  # the lease over: a run taken for dead
    assert marked.payout_sending_until == NOW + LEASE


def test_a_lost_answer_leaves_the_mark_unresolved_and_a_sure_answer_clears_it() -> None:
    marked = _requested().approve("staff:fin", NOW, uuid.uuid4()).sending(NOW + LEASE)
    later = NOW + timedelta(seconds=21)
    unresolved = marked.sending_unresolved()
    # Still set, its lease running to its end: no run takes over and staff wait until then,
    # so that whatever the run sent has reached the provider before anyone asks it again.
    assert unresolved.payout_sending_until == NOW + LEASE
    assert unresolved.being_sent(later)
    assert not unresolved.being_sent(NOW + LEASE)  # then the next run resolves it
    assert marked.sending_resolved().payout_sending_until is None


def test_paying_or_failing_clears_the_mark() -> None:
    marked = _requested().approve("staff:fin", NOW, uuid.uuid4()).sending(NOW + LEASE)
    paid = marked.mark_paid("system", NOW, "cryptopay-transfer:1", uuid.uuid4())
    failed = marked.mark_failed("system", NOW, "payout declined: no", uuid.uuid4())
    assert paid.payout_sending_until is None
    assert failed.payout_sending_until is None
