"""The answers kept by a door's request id (domain.kept_answers) on the real PostgreSQL: kept
in the unit of work that moves the money, so that when an answer cannot be kept the money
does not move either; a rollback's own id stored on the debit it undid; and the retention."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from application.aggregators import ForgetOldAnswers, KeepAnswer, RecallAnswer
from application.seamless import (
    AnswerKeptElsewhere,
    DoorRequest,
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from domain.errors import IdempotencyConflict
from domain.kept_answers import RequestReused
from domain.money import XTR, Money
from tests.fakes import FakeClock

pytestmark = pytest.mark.usefixtures("books")

DOOR = "hub-kept"
HASH = hashlib.sha256(b"a body").digest()
OTHER_HASH = hashlib.sha256(b"another body").digest()


def _door(request_id: str) -> DoorRequest:
    return DoorRequest(DOOR, request_id, HASH, lambda r: f"balance {r.balance.amount}".encode())


async def _balance(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT balance FROM accounts WHERE player_id = :p"
                    " AND kind = 'player_wallet' AND currency = 'XTR'"
                ),
                {"p": player_id},
            )
        ).scalar_one()


async def _kept(engine, request_id: str) -> bytes | None:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT answer FROM aggregator_answers WHERE door = :d AND request_id = :r"),
                {"d": DOOR, "r": request_id},
            )
        ).scalar_one_or_none()


async def test_each_call_keeps_its_answer_with_its_money(
    funded_player, uow_factory, clock, ids, house, engine, unique_key
):
    player = await funded_player(1000)
    debit = SeamlessDebit(uow_factory, clock, ids, house)
    credit = SeamlessCredit(uow_factory, clock, ids, house)
    roll_back = SeamlessRollback(uow_factory, clock, ids, house)
    bet, round_id, bet2, round2 = (unique_key(k) for k in ("b", "r", "b2", "r2"))
    requests = [unique_key("req") for _ in range(4)]
    await debit(
        SeamlessDebitCommand(DOOR, player.id, Money(100, XTR), bet, round_id), _door(requests[0])
    )
    await credit(
        SeamlessCreditCommand(DOOR, player.id, Money(30, XTR), unique_key("w"), round_id),
        _door(requests[1]),
    )
    await debit(
        SeamlessDebitCommand(DOOR, player.id, Money(50, XTR), bet2, round2), _door(requests[2])
    )
    await roll_back(SeamlessRollbackCommand(DOOR, player.id, bet2, round2, XTR), _door(requests[3]))
    assert [await _kept(engine, r) for r in requests] == [
        b"balance 900",
        b"balance 930",
        b"balance 880",
        b"balance 930",
    ]


async def test_an_answer_that_cannot_be_kept_moves_no_money(
    funded_player, uow_factory, clock, ids, house, engine, unique_key
):
    """A twin kept its answer under this request id first: the debit's unit of work rolls
    back with the answer it could not keep, stake and record alike."""
    player = await funded_player(1000)
    request_id = unique_key("req")
    await KeepAnswer(uow_factory, clock)(DOOR, request_id, HASH, b"the twin's answer")
    debit = SeamlessDebit(uow_factory, clock, ids, house)
    bet = unique_key("b")
    command = SeamlessDebitCommand(DOOR, player.id, Money(100, XTR), bet, unique_key("r"))
    with pytest.raises(AnswerKeptElsewhere):
        await debit(command, _door(request_id))
    assert await _balance(engine, player.id) == 1000
    async with engine.connect() as conn:
        records = await conn.scalar(
            text("SELECT count(*) FROM provider_transactions WHERE transaction_id = :t"),
            {"t": bet},
        )
    assert records == 0
    assert await _kept(engine, request_id) == b"the twin's answer"


async def test_keeping_returns_the_first_answer_and_refuses_another_body(
    uow_factory, clock, unique_key
):
    keep = KeepAnswer(uow_factory, clock)
    request_id = unique_key("req")
    assert await keep(DOOR, request_id, HASH, b"first") == b"first"
    assert await keep(DOOR, request_id, HASH, b"second") == b"first"
    with pytest.raises(RequestReused):
        await keep(DOOR, request_id, OTHER_HASH, b"third")
    kept = await RecallAnswer(uow_factory)(DOOR, request_id)
    assert kept is not None
    assert kept.answer == b"first"


async def test_a_rollback_id_names_one_debits_rollback(
    funded_player, uow_factory, clock, ids, house, engine, unique_key
):
    player = await funded_player(1000)
    debit = SeamlessDebit(uow_factory, clock, ids, house)
    roll_back = SeamlessRollback(uow_factory, clock, ids, house)
    bet, round_id, other, other_round = (unique_key(k) for k in ("b", "r", "o", "or"))
    first, second, ghost = unique_key("x"), unique_key("x"), unique_key("ghost")
    await debit(SeamlessDebitCommand(DOOR, player.id, Money(100, XTR), bet, round_id))
    await debit(SeamlessDebitCommand(DOOR, player.id, Money(40, XTR), other, other_round))
    undone = await roll_back(SeamlessRollbackCommand(DOOR, player.id, bet, round_id, XTR, first))
    assert undone.balance == Money(960, XTR)
    # Another rollback of the same bet, under an id of its own: the undo is done, nothing moves.
    again = await roll_back(SeamlessRollbackCommand(DOOR, player.id, bet, round_id, XTR, second))
    assert again.replayed
    assert again.balance == Money(960, XTR)
    # The first rollback's id given to another bet's rollback: refused, that bet stands.
    with pytest.raises(IdempotencyConflict):
        await roll_back(SeamlessRollbackCommand(DOOR, player.id, other, other_round, XTR, first))
    # A rollback of a bet never seen keeps its id on the tombstone.
    await roll_back(
        SeamlessRollbackCommand(DOOR, player.id, ghost, unique_key("gr"), XTR, ghost + "-x")
    )
    async with engine.connect() as conn:
        rows = dict(
            (
                await conn.execute(
                    text(
                        "SELECT transaction_id, rollback_transaction_id FROM provider_transactions"
                        " WHERE provider = :p AND transaction_id IN (:a, :b, :c)"
                    ),
                    {"p": DOOR, "a": bet, "b": other, "c": ghost},
                )
            ).all()
        )
    assert rows == {bet: first, other: None, ghost: ghost + "-x"}
    assert await _balance(engine, player.id) == 960


async def test_the_database_refuses_a_rollback_id_twice(
    engine, funded_player, uow_factory, clock, ids, house, unique_key
):
    """The unique index behind the use case's check, for two rollbacks racing with one id."""
    player = await funded_player(1000)
    debit = SeamlessDebit(uow_factory, clock, ids, house)
    roll_back = SeamlessRollback(uow_factory, clock, ids, house)
    bet, round_id = unique_key("b"), unique_key("r")
    await debit(SeamlessDebitCommand(DOOR, player.id, Money(10, XTR), bet, round_id))
    await roll_back(SeamlessRollbackCommand(DOOR, player.id, bet, round_id, XTR, f"{bet}-x"))
    ghost = unique_key("ghost")
    async with engine.connect() as conn:
        await conn.execute(
            text(
                "INSERT INTO seamless_rounds (provider, round_id, player_id, currency, opened_at)"
                " VALUES (:p, :r, :pl, 'XTR', now())"
            ),
            {"p": DOOR, "r": f"{ghost}-r", "pl": player.id},
        )
        with pytest.raises(Exception, match="uq_provider_transactions_rollback_id"):
            await conn.execute(
                text(
                    "INSERT INTO provider_transactions (provider, transaction_id, kind, state,"
                    " player_id, round_id, currency, created_at, rolled_back_at,"
                    " rollback_transaction_id) VALUES (:p, :t, 'debit', 'cancelled', :pl, :r,"
                    " 'XTR', now(), now(), :x)"
                ),
                {"p": DOOR, "t": ghost, "pl": player.id, "r": f"{ghost}-r", "x": f"{bet}-x"},
            )
        await conn.rollback()


async def test_old_answers_are_forgotten(uow_factory, engine, unique_key):
    """Kept 40 days ago (a clock far in the past) and now: a 30 days' retention forgets the
    first only, in batches of one."""
    clock = FakeClock(datetime.now(UTC) - timedelta(days=40))
    keep = KeepAnswer(uow_factory, clock)
    old, recent = unique_key("old"), unique_key("recent")
    await keep(DOOR, old, HASH, b"old")
    clock.advance(days=40)
    await keep(DOOR, recent, HASH, b"recent")
    forgotten = await ForgetOldAnswers(uow_factory, clock)(30, batch=1)
    assert forgotten >= 1
    assert await _kept(engine, old) is None
    assert await _kept(engine, recent) == b"recent"
