"""Reads of withdrawals: the staff's queue a page at a time and one by id; a player's own
withdrawals still on their way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.ledger_queries import (
    DEFAULT_PAGE_SIZE,
    check_page_size,
    decode_time_cursor,
    encode_cursor,
)
from application.ports import UnitOfWorkFactory
from domain.withdrawals import Withdrawal, WithdrawalState


@dataclass(frozen=True, slots=True)
class WithdrawalPage:
    withdrawals: tuple[Withdrawal, ...]
    next_cursor: str | None


class ListWithdrawals:
    """The staff queue: withdrawals oldest first, optionally in one state, a page at a time."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(
        self,
        state: WithdrawalState | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> WithdrawalPage:
        limit = check_page_size(limit)
        after = decode_time_cursor(cursor, "wd") if cursor else None
        async with self._uow() as uow:
            rows = await uow.withdrawals.list(state, after=after, limit=limit + 1)
        page = tuple(rows[:limit])
        next_cursor = None
        if len(rows) > limit and page:
            next_cursor = encode_cursor("wd", page[-1].requested_at.isoformat(), page[-1].id)
        return WithdrawalPage(page, next_cursor)


class GetWithdrawal:
    """One withdrawal by id, or `NotFound`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, withdrawal_id: uuid.UUID) -> Withdrawal:
        async with self._uow() as uow:
            return await uow.withdrawals.get(withdrawal_id)


# A player has a handful on their way at most (each holds money); the view shows this many.
PENDING_SHOWN = 10


class PendingWithdrawals:
    """The player's own withdrawals still on their way (requested or approved), newest
    first, at most `PENDING_SHOWN`: what they can follow, and cancel while requested."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> tuple[Withdrawal, ...]:
        async with self._uow() as uow:
            return tuple(await uow.withdrawals.pending_of(player_id, limit=PENDING_SHOWN))
