"""The answers the aggregators' door keeps by `request_uuid` (docs/aggregators.md, "Repeated
requests"): recalled before a money call, kept after one that wrote nothing (a replay or a
refusal: the calls that move money keep theirs themselves, in their own unit of work, see
`application.seamless.DoorRequest`), and forgotten after the retention."""

from __future__ import annotations

from datetime import timedelta

from application.ports import Clock, UnitOfWorkFactory
from domain.kept_answers import KeptAnswer, RequestReused

# Rows deleted a transaction: each holds its locks this briefly.
FORGET_BATCH = 1000


class RecallAnswer:
    """The answer kept for this request id of this aggregator, or None."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, aggregator: str, request_id: str) -> KeptAnswer | None:
        async with self._uow() as uow:
            return await uow.kept_answers.find(aggregator, request_id)


class KeepAnswer:
    """Keep `answer` for this request id unless one is kept already, and return the one that
    is kept: a concurrent twin's, if it came first (the caller must send that one), or
    `RequestReused` when the kept one answered another body."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, aggregator: str, request_id: str, body_hash: bytes, answer: bytes
    ) -> bytes:
        mine = KeptAnswer(aggregator, request_id, body_hash, answer, self._clock.now())
        async with self._uow() as uow:
            added = await uow.kept_answers.add(mine)
            await uow.commit()
        if added:
            return answer
        async with self._uow() as uow:
            kept = await uow.kept_answers.find(aggregator, request_id)
        if kept is None:  # pragma: no cover - kept answers are only deleted after days
            raise RequestReused(f"request {request_id} of {aggregator} was just forgotten")
        return kept.answer_to(body_hash)


class ForgetOldAnswers:
    """Delete the answers kept longer than `days`, in short transactions; how many. A repeat
    of a forgotten request is answered anew, and moves no money twice all the same: the
    wallet is idempotent on the transaction ids, which are never forgotten."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, days: int, *, batch: int = FORGET_BATCH) -> int:
        if days < 1:
            raise ValueError("keep answers at least one day")
        before = self._clock.now() - timedelta(days=days)
        total = 0
        while True:
            async with self._uow() as uow:
                deleted = await uow.kept_answers.delete_before(before, limit=batch)
                await uow.commit()
            total += deleted
            if deleted < batch:
                return total
