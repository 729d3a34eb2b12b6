"""An in-memory fake of reconciliation's scans, over what a `tests.fakes.FakeDatabase` has
committed, so `Reconcile` runs in unit tests. It checks the ledger invariants the fakes can
break (a transaction's legs sum to zero per currency, a balance equals its legs) and hands
out every settled bet with its seed pair's server seed; the outbox's debts are whatever the
test puts in `owed`, since the fakes keep no outbox of their own. The full SQL scans are tested
on PostgreSQL (tests/integration/test_reconcile_command.py)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from application.ports import CrashedRoundBook, Discrepancy
from domain.bets import Bet, BetState
from domain.crash_rounds import RoundPhase
from domain.mines import MinesField
from tests.fakes import FakeDatabase


class FakeBooksAudit:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.owed: list[str] = []  # what the outbox would be missing
        self.pages: list[tuple[uuid.UUID | None, int]] = []  # each settled_bets call

    async def ledger_problems(self) -> list[Discrepancy]:
        state = self.db.state
        problems = []
        for _, posted in state.transactions.values():
            sums: dict[str, int] = defaultdict(int)
            for leg in posted.legs:
                sums[leg.amount.currency.code] += leg.amount.amount
            for currency, total in sorted(sums.items()):
                if total:
                    problems.append(
                        Discrepancy("unbalanced transaction", f"{posted.id}: {currency} {total}")
                    )
        moved: dict[int, int] = defaultdict(int)
        for account_id, entry in state.legs:
            moved[account_id] += entry.amount.amount
        for account in sorted(state.accounts.values(), key=lambda a: a.id):
            if account.balance != moved[account.id]:
                detail = f"account {account.id}: {account.balance} != {moved[account.id]}"
                problems.append(Discrepancy("balance differs from its legs", detail))
        return problems

    async def missing_events(self, limit: int) -> list[str]:
        return self.owed[:limit]

    async def settled_bets(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[Bet, str | None]]:
        self.pages.append((after, limit))
        state = self.db.state
        settled = sorted(
            (b for b in state.bets.values() if b.state in (BetState.WON, BetState.LOST)),
            key=lambda b: b.id,
        )
        found = []
        for bet in settled:
            if after is not None and bet.id <= after:
                continue
            seed = None
            if bet.fairness is not None:
                seed = state.seeds[bet.fairness.seed_pair_id].server_seed
            found.append((bet, seed))
        return found[:limit]

    async def mines_fields(self, game_ids: Sequence[uuid.UUID]) -> Mapping[uuid.UUID, MinesField]:
        return {i: self.db.state.mines[i] for i in game_ids if i in self.db.state.mines}

    async def crashed_rounds(self, after: int, limit: int) -> list[CrashedRoundBook]:
        state = self.db.state
        rounds = sorted(
            (r for r in state.crash_rounds.values()
             if r.phase is RoundPhase.CRASHED and r.id > after),
            key=lambda r: r.id,
        )[:limit]  # fmt: skip
        return [
            CrashedRoundBook(
                replace(r, interrupted=r.id in state.crash_interrupted),
                state.crash_chains[r.chain_id],
                tuple(
                    (seat, state.bets.get(seat.bet_id))
                    for seat in state.crash_seats.values()
                    if seat.round_id == r.id
                ),
            )
            for r in rounds
        ]
