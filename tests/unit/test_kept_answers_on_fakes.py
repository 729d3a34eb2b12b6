"""Answers kept by a door's request id (domain.kept_answers), and the seamless use cases
keeping them on fakes: a kept answer is the first body's only, and a call whose answer cannot
be kept leaves nothing behind. The same on PostgreSQL: tests/integration/test_kept_answers.py."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from application.aggregators import ForgetOldAnswers, KeepAnswer, RecallAnswer
from application.seamless import (
    AnswerKeptElsewhere,
    DoorRequest,
    SeamlessDebitCommand,
    SeamlessRollbackCommand,
)
from domain.errors import IdempotencyConflict, IllegalTransition, InvalidRequest
from domain.kept_answers import KeptAnswer, RequestReused
from domain.money import XTR, Money
from domain.seamless import ProviderTransaction
from tests.fakes import FakeClock, FakeDatabase
from tests.unit.test_seamless_on_fakes import PROVIDER, wallet  # noqa: F401 - a fixture

NOW = datetime(2026, 12, 3, tzinfo=UTC)
HASH = hashlib.sha256(b"body").digest()


def test_a_kept_answer_answers_its_own_body_only():
    kept = KeptAnswer("hub88", "req-1", HASH, b'{"status":"RS_OK"}', NOW)
    assert kept.answer_to(HASH) == b'{"status":"RS_OK"}'
    with pytest.raises(RequestReused):
        kept.answer_to(hashlib.sha256(b"another body").digest())
    assert issubclass(RequestReused, IdempotencyConflict)


@pytest.mark.parametrize(
    ("request_id", "body_hash", "answer"),
    [("", HASH, b"a"), ("req", b"short", b"a"), ("req", HASH, b""), (" req", HASH, b"a")],
)
def test_a_kept_answer_is_refused_malformed(request_id, body_hash, answer):
    with pytest.raises(InvalidRequest):
        KeptAnswer("hub88", request_id, body_hash, answer, NOW)


def test_only_a_rolled_back_debit_carries_a_rollback_id():
    debit = ProviderTransaction.debit(
        provider=PROVIDER,
        transaction_id="d1",
        player_id=1,
        round_id="r1",
        amount=Money(5, XTR),
        at=NOW,
        ledger_transaction_id=uuid.uuid4(),
    )
    with pytest.raises(IllegalTransition):
        replace(debit, rollback_transaction_id="x1")
    tombstone = ProviderTransaction.tombstone(
        provider=PROVIDER,
        transaction_id="d2",
        player_id=1,
        round_id="r2",
        currency=XTR,
        at=NOW,
        rollback_transaction_id="x2",
    )
    assert tombstone.rollback_transaction_id == "x2"
    with pytest.raises(IdempotencyConflict):
        tombstone.require_rollback_id_for("d3")


def _door(request_id: str) -> DoorRequest:
    return DoorRequest("slots", request_id, HASH, lambda r: f"{r.balance.amount}".encode())


async def test_a_call_whose_answer_is_kept_elsewhere_leaves_nothing(wallet):  # noqa: F811
    db, player, debit, _, rollback = wallet
    db.state.kept_answers[("slots", "req-1")] = KeptAnswer("slots", "req-1", HASH, b"twin", NOW)
    before = db.state.copy()
    command = SeamlessDebitCommand(PROVIDER, player, Money(100, XTR), "d1", "r1", "g1")
    with pytest.raises(AnswerKeptElsewhere):
        await debit(command, _door("req-1"))
    assert db.state.provider_transactions == before.provider_transactions
    assert db.state.transactions == before.transactions
    # Kept with the money when the request id is free; a rollback keeps its own, and its id.
    assert (await debit(command, _door("req-2"))).balance == Money(900, XTR)
    assert db.state.kept_answers[("slots", "req-2")].answer == b"900"
    undo = SeamlessRollbackCommand(PROVIDER, player, "d1", "r1", XTR, rollback_id="x1")
    await rollback(undo, _door("req-3"))
    assert db.state.kept_answers[("slots", "req-3")].answer == b"1000"
    assert db.state.provider_transactions[(PROVIDER, "d1")].rollback_transaction_id == "x1"


async def test_keep_recall_and_forget_answers():
    db, clock = FakeDatabase(), FakeClock(NOW)
    keep, recall = KeepAnswer(db, clock), RecallAnswer(db)
    assert await recall("hub88", "req-1") is None
    assert await keep("hub88", "req-1", HASH, b"first") == b"first"
    assert await keep("hub88", "req-1", HASH, b"second") == b"first"  # a twin's comes first
    with pytest.raises(RequestReused):
        await keep("hub88", "req-1", hashlib.sha256(b"other").digest(), b"third")
    clock.advance(days=10)
    assert await keep("hub88", "req-2", HASH, b"later") == b"later"
    clock.advance(days=25)  # req-1 is 35 days old, req-2 25
    forget = ForgetOldAnswers(db, clock)
    with pytest.raises(ValueError, match="at least one day"):
        await forget(0)
    assert await forget(30, batch=1) == 1
    assert await recall("hub88", "req-1") is None
    kept = await recall("hub88", "req-2")
    assert kept is not None
    assert kept.answer == b"later"
