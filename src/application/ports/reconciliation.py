"""Reconciliation: full read-only scans of the books."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.bets import Bet
from domain.crash_rounds import CrashChain, CrashRound, CrashSeat
from domain.mines import MinesField


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One broken invariant of the books: which check, and the offending row or bet."""

    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.detail}"


@dataclass(frozen=True, slots=True)
class CrashedRoundBook:
    """A crashed round, its chain, and its seats with their bets (None: a seat whose bet is
    not there)."""

    round: CrashRound
    chain: CrashChain
    bets: tuple[tuple[CrashSeat, Bet | None], ...]


class BooksAudit(Protocol):
    """Read-only full scans of the books, for reconciliation (never on the request path)."""

    async def ledger_problems(self) -> list[Discrepancy]:
        """Every broken ledger invariant (zero sums per currency and transaction, balances
        equal to their legs, running balances, no forbidden negative, bets, withdrawals and
        seamless rounds paid as they record, the promotion books: budgets spent as granted,
        bonuses converted or forfeited within their grants, the promotions account equal
        to its grants and forfeits), read in one consistent snapshot."""
        ...

    async def missing_events(self, limit: int) -> list[str]:
        """What the outbox owes: changes without their event, sequence gaps (up to `limit`)."""
        ...

    async def settled_bets(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[Bet, str | None]]:
        """Won and lost bets in id order after `after`, each with its seed pair's server seed
        (None for a bet settled by a Telegram dice, or when the seed does not open with the
        configured key)."""
        ...

    async def mines_fields(self, game_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, MinesField]:
        """The mines fields of these bets (those that exist)."""

    async def crashed_rounds(self, after: int, limit: int) -> Sequence[CrashedRoundBook]:
        """Crashed crash rounds in id order after `after`, with their chains and bets."""
        ...
