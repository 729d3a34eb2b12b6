"""In-memory fakes of the staff's read models (the journal, bets, the player directory), read
from what a `tests.fakes.FakeDatabase` has committed, so the admin listings' use cases run in
unit tests. They keep each port's order and paging contract (newest first, strictly after or
before the cursor's position, at most `limit` rows); the SQL, its indexes and the sealed
usernames' blind index are tested on PostgreSQL through the admin API
(tests/entrypoints/test_http_ledger.py, test_http_bets.py, test_http_players.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from application.ports import (
    BetFilter,
    BetSummary,
    LedgerFilter,
    LegView,
    PlayerFilter,
    PlayerNote,
    PlayerSummary,
    TransactionView,
    WalletBalance,
)
from domain.ledger import PostedTransaction
from tests.fakes import FakeDatabase


class FakeLedgerReads:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def _view(self, posted: PostedTransaction) -> TransactionView:
        state = self.db.state
        leg_ids = {
            (account_id, entry.transaction_id): entry.leg_id for account_id, entry in state.legs
        }
        legs = []
        for leg in posted.legs:
            account = state.accounts[leg.account_id]
            legs.append(
                LegView(
                    leg_ids[(leg.account_id, posted.id)],
                    account.id,
                    account.kind,
                    account.player_id,
                    leg.amount.currency.code,
                    leg.amount.amount,
                    leg.balance_after,
                )
            )
        return TransactionView(
            posted.id,
            posted.kind,
            posted.idempotency_key,
            posted.reference,
            posted.metadata,
            posted.created_at,
            tuple(sorted(legs, key=lambda leg: leg.leg_id)),
        )

    def _matches(self, view: TransactionView, where: LedgerFilter) -> bool:
        return (
            (where.player_id is None or any(leg.player_id == where.player_id for leg in view.legs))
            and (where.kind is None or view.kind is where.kind)
            and (where.currency is None or any(leg.currency == where.currency for leg in view.legs))
            and (where.since is None or view.created_at >= where.since)
            and (where.until is None or view.created_at < where.until)
        )

    async def transactions(
        self,
        where: LedgerFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[TransactionView]:
        views = [self._view(posted) for _, posted in self.db.state.transactions.values()]
        found = [v for v in views if self._matches(v, where)]
        found.sort(key=lambda v: (v.created_at, v.id), reverse=True)
        if after is not None:
            found = [v for v in found if (v.created_at, v.id) < after]
        return found[:limit]

    async def transaction(self, transaction_id: uuid.UUID) -> TransactionView | None:
        for _, posted in self.db.state.transactions.values():
            if posted.id == transaction_id:
                return self._view(posted)
        return None


class FakeBetReads:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    async def search(
        self,
        where: BetFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[BetSummary]:
        found = [
            BetSummary(
                b.id,
                b.player_id,
                b.game,
                b.params,
                b.stake.currency.code,
                b.stake.amount,
                b.state,
                b.outcome,
                b.multiplier,
                b.payout,
                b.placed_at,
                b.settled_at,
            )
            for b in self.db.state.bets.values()
            if (where.player_id is None or b.player_id == where.player_id)
            and (where.game is None or b.game == where.game)
            and (where.state is None or b.state is where.state)
            and (where.since is None or b.placed_at >= where.since)
            and (where.until is None or b.placed_at < where.until)
        ]
        found.sort(key=lambda b: (b.placed_at, b.id), reverse=True)
        if after is not None:
            found = [b for b in found if (b.placed_at, b.id) < after]
        return found[:limit]


class FakePlayerDirectory:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def _summary(self, player_id: int) -> PlayerSummary:
        state = self.db.state
        p = state.players[player_id]
        reason = state.status_reasons.get(player_id)
        return PlayerSummary(
            p.id, p.telegram_user_id, p.username, p.language_code, p.status, reason, p.created_at
        )

    async def search(
        self, where: PlayerFilter, *, before_id: int | None, limit: int
    ) -> Sequence[PlayerSummary]:
        username = None if where.username is None else where.username.casefold()
        found = [
            self._summary(p.id)
            for p in self.db.state.players.values()
            if (where.telegram_user_id is None or p.telegram_user_id == where.telegram_user_id)
            and (username is None or (p.username or "").casefold() == username)
            and (where.status is None or p.status is where.status)
            and (before_id is None or p.id < before_id)
        ]
        return sorted(found, key=lambda s: s.id, reverse=True)[:limit]

    async def player(self, player_id: int) -> PlayerSummary | None:
        return self._summary(player_id) if player_id in self.db.state.players else None

    async def balances(self, player_id: int) -> Sequence[WalletBalance]:
        wallets = [a for a in self.db.state.accounts.values() if a.player_id == player_id]
        return [
            WalletBalance(a.id, a.currency.code, a.balance)
            for a in sorted(wallets, key=lambda a: a.currency.code)
        ]

    async def notes(
        self, player_id: int, *, before_id: int | None, limit: int
    ) -> Sequence[PlayerNote]:
        found = [
            PlayerNote(note_id, owner, author, body, at)
            for note_id, owner, author, body, at in self.db.state.notes
            if owner == player_id and (before_id is None or note_id < before_id)
        ]
        return sorted(found, key=lambda n: n.id, reverse=True)[:limit]
