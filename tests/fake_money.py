"""In-memory fakes of the withdrawal, usage, audit and risk-flag ports, on the same state as
`tests.fakes`, so the withdrawal use cases run in unit tests without PostgreSQL. Locks are
no-ops (one task); the state machine's one-move-at-a-time rule is kept (`save` checks the state
it leaves). The races and the tables' own refusals are tested on PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports import AuditQuery, RiskFlagQuery
from domain.bets import Bet, BetState
from domain.errors import IllegalTransition, NotFound
from domain.ledger import TransactionKind
from domain.money import Currency
from domain.responsible import (
    Exclusion,
    LimitKind,
    LimitPeriod,
    PlayerLimit,
    RealityCheck,
    ResponsibleProfile,
    Usage,
)
from domain.risk import BetCell, Funding, PaymentIdentityKind, RiskFlag, RiskFlagStatus
from domain.seamless import ProviderTransactionKind, ProviderTransactionState
from domain.staff import AuditEntry
from domain.withdrawals import PayoutResult, PayoutSent, Withdrawal, WithdrawalState
from tests.fake_duels import duel_usage

if TYPE_CHECKING:
    from tests.fakes import _State

_RETURNED = (WithdrawalState.REJECTED, WithdrawalState.FAILED, WithdrawalState.CANCELLED)
_PENDING = (WithdrawalState.REQUESTED, WithdrawalState.APPROVED)


class FakeWithdrawals:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def lock_player(self, player_id: int) -> None:
        if player_id not in self.s.players:
            raise NotFound(f"no player with id {player_id}")

    async def find_by_request(self, player_id: int, request_id: uuid.UUID) -> Withdrawal | None:
        return next(
            (
                w
                for w in self.s.withdrawals.values()
                if w.player_id == player_id and w.request_id == request_id
            ),
            None,
        )

    async def add(self, withdrawal: Withdrawal) -> None:
        self.s.withdrawals[withdrawal.id] = withdrawal

    async def get(self, withdrawal_id: uuid.UUID, *, for_update: bool = False) -> Withdrawal:
        if withdrawal_id not in self.s.withdrawals:
            raise NotFound(f"there is no withdrawal {withdrawal_id}")
        return self.s.withdrawals[withdrawal_id]

    async def save(self, withdrawal: Withdrawal, previous: WithdrawalState) -> None:
        stored = await self.get(withdrawal.id)
        if stored.state is not previous:
            raise IllegalTransition(f"withdrawal {withdrawal.id} is {stored.state} now")
        self.s.withdrawals[withdrawal.id] = withdrawal

    async def requested_since(self, player_id: int, currency: Currency, since: datetime) -> int:
        return sum(
            w.amount.amount
            for w in self.s.withdrawals.values()
            if w.player_id == player_id
            and w.amount.currency == currency
            and w.requested_at >= since
            and w.state not in _RETURNED
        )

    async def list(
        self,
        state: WithdrawalState | None,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Withdrawal]:
        found = sorted(
            (
                w
                for w in self.s.withdrawals.values()
                if (state is None or w.state is state)
                and (after is None or (w.requested_at, w.id) > after)
            ),
            key=lambda w: (w.requested_at, w.id),
        )
        return found[:limit]

    async def pending_of(self, player_id: int, *, limit: int) -> Sequence[Withdrawal]:
        found = sorted(
            (
                w
                for w in self.s.withdrawals.values()
                if w.player_id == player_id and w.state in _PENDING
            ),
            key=lambda w: (w.requested_at, w.id),
            reverse=True,
        )
        return found[:limit]


class FakeResponsibleGambling:
    """Each player's limits, exclusion and reality check, and the usage they are checked
    against, summed from the fakes' books as the adapter sums the journal, the bets and the
    seamless records. A player has a record (`lock` finds it) once enrolled."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def lock(self, player_id: int) -> bool:
        return player_id in self.s.profiles

    async def enroll(self, player_id: int, now: datetime) -> None:
        if player_id not in self.s.players:
            raise NotFound(f"no player with id {player_id}")
        self.s.profiles.setdefault(player_id, ResponsibleProfile(player_id))

    async def profile(self, player_id: int) -> ResponsibleProfile:
        return self.s.profiles.get(player_id) or ResponsibleProfile(player_id)

    async def has_deposit_limit(self, player_id: int) -> bool:
        return (await self.profile(player_id)).has_deposit_limit

    async def deposit_prompt_due(self, player_id: int) -> bool:
        answered = player_id in self.s.deposit_prompt_answers
        return not answered and not await self.has_deposit_limit(player_id)

    async def answer_deposit_prompt(self, player_id: int, now: datetime) -> None:
        assert player_id in self.s.profiles, "enroll first, as the table's row must exist"
        self.s.deposit_prompt_answers.setdefault(player_id, now)

    def _change(self, player_id: int, **changes: object) -> None:
        self.s.profiles[player_id] = replace(self.s.profiles[player_id], **changes)

    async def save_limit(self, limit: PlayerLimit) -> None:
        profile = await self.profile(limit.player_id)
        others = tuple(lim for lim in profile.limits if lim.key != limit.key)
        self._change(limit.player_id, limits=(*others, limit))

    async def delete_limit(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> None:
        key = (kind, period, currency.code)
        limits = (await self.profile(player_id)).limits
        self._change(player_id, limits=tuple(lim for lim in limits if lim.key != key))

    async def save_exclusion(self, exclusion: Exclusion) -> None:
        stored = (await self.profile(exclusion.player_id)).exclusion
        if stored is not None and not exclusion.outlasts(stored):
            raise IllegalTransition("an exclusion cannot be shortened")
        self._change(exclusion.player_id, exclusion=exclusion)

    async def save_reality_check(self, check: RealityCheck) -> None:
        self._change(check.player_id, reality_check=check)

    async def delete_reality_check(self, player_id: int) -> None:
        self._change(player_id, reality_check=None)

    async def usage(
        self,
        player_id: int,
        currency: Currency,
        since: datetime,
        kinds: frozenset[LimitKind] = frozenset(LimitKind),
    ) -> Usage:
        bets = [
            b
            for b in self.s.bets.values()
            if b.player_id == player_id
            and b.stake.currency == currency
            and b.placed_at >= since
            and b.state is not BetState.VOIDED
        ]
        seamless = [
            t
            for t in self.s.provider_transactions.values()
            if t.player_id == player_id and t.currency == currency and t.created_at >= since
        ]
        debits = sum(
            t.amount or 0
            for t in seamless
            if t.kind is ProviderTransactionKind.DEBIT
            and t.state is ProviderTransactionState.DEBITED
        )
        credits = sum(t.amount or 0 for t in seamless if t.kind is ProviderTransactionKind.CREDIT)
        duel_stakes, duel_prizes = duel_usage(self.s, player_id, currency, since)
        wagered = sum(b.stake.amount for b in bets) + debits + duel_stakes
        # An open bet counts as lost.
        payouts = sum(b.payout or 0 for b in bets) + credits + duel_prizes
        wallets = {a.id for a in self.s.accounts.values() if a.player_id == player_id}
        deposited = sum(
            leg.amount.amount
            for _, posted in self.s.transactions.values()
            if posted.kind is TransactionKind.DEPOSIT and posted.created_at >= since
            for leg in posted.legs
            if leg.account_id in wallets and leg.amount.currency == currency
        )
        return Usage(
            wagered=wagered if LimitKind.WAGER in kinds else 0,
            net_loss=wagered - payouts if LimitKind.LOSS in kinds else 0,
            deposited=deposited if LimitKind.DEPOSIT in kinds else 0,
        )

    async def last_played_at(self, player_id: int) -> datetime | None:
        moments = [b.placed_at for b in self.s.bets.values() if b.player_id == player_id]
        moments += [
            t.created_at
            for t in self.s.provider_transactions.values()
            if t.player_id == player_id and t.kind is ProviderTransactionKind.DEBIT
        ]
        return max(moments, default=None)


class FakeAuditLog:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def record(self, entry: AuditEntry) -> None:
        # Ids in order of recording, as the table's sequence gives them.
        self.s.audit.append(replace(entry, id=len(self.s.audit) + 1))

    async def search(self, query: AuditQuery) -> Sequence[AuditEntry]:
        found = [
            e
            for e in reversed(self.s.audit)
            if (query.actor is None or e.actor == query.actor)
            and (query.action is None or e.action == query.action)
            and (query.subject is None or e.subject == query.subject)
            and (query.since is None or e.at >= query.since)
            and (query.until is None or e.at < query.until)
            and (query.before_id is None or (e.id or 0) < query.before_id)
        ]
        return found[: query.limit]


class FakeRiskFlags:
    """The risk port: one open flag per player and kind, as the table's partial unique index
    keeps it; payment identities by a digest that is not a keyed one (the prefix shows it);
    and the figures the rules read, computed from the fakes' bets and journal as the port
    describes them. The SQL behind them is tested on PostgreSQL (tests/integration/
    test_risk.py)."""

    def __init__(self, state: _State) -> None:
        self.s = state

    async def add_flag(self, flag: RiskFlag) -> RiskFlag | None:
        if any(
            f.player_id == flag.player_id
            and f.kind is flag.kind
            and f.status is RiskFlagStatus.OPEN
            for f in self.s.flags.values()
        ):
            return None
        stored = replace(flag, id=self.s.take_id())
        self.s.flags[stored.id] = stored
        return stored

    async def get(self, flag_id: int, *, for_update: bool = False) -> RiskFlag:
        if flag_id not in self.s.flags:
            raise NotFound(f"no risk flag {flag_id}")
        return self.s.flags[flag_id]

    async def save(self, flag: RiskFlag) -> None:
        assert flag.id is not None
        if (await self.get(flag.id)).status is not RiskFlagStatus.OPEN:
            raise IllegalTransition(f"risk flag {flag.id} is reviewed already")
        self.s.flags[flag.id] = flag

    async def list(self, query: RiskFlagQuery) -> Sequence[RiskFlag]:
        found = [
            f
            for f in self.s.flags.values()
            if (query.status is None or f.status is query.status)
            and (query.player_id is None or f.player_id == query.player_id)
            and (query.kind is None or f.kind is query.kind)
            and (query.before_id is None or (f.id or 0) < query.before_id)
        ]
        return sorted(found, key=lambda f: f.id or 0, reverse=True)[: query.limit]

    async def add_identity(
        self, kind: PaymentIdentityKind, identity: str, player_id: int, now: datetime
    ) -> tuple[str, Sequence[int]]:
        digest = "fake-digest:" + hashlib.sha256(f"{kind.value}:{identity}".encode()).hexdigest()
        holders = self.s.identities.get((kind.value, digest), ())
        if player_id not in holders:
            # A new tuple, not the shared one changed: the unit of work's copy is shallow.
            self.s.identities[(kind.value, digest)] = tuple(sorted((*holders, player_id)))
        return digest, self.s.identities[(kind.value, digest)]

    async def bet_cells(
        self, since: datetime, until: datetime, player_id: int | None = None
    ) -> Sequence[BetCell]:
        cells: dict[tuple[object, ...], list[Bet]] = {}
        for bet in self.s.bets.values():
            if (
                bet.state in (BetState.WON, BetState.LOST)
                and bet.settled_at is not None
                and since <= bet.settled_at < until
                and (player_id is None or bet.player_id == player_id)
            ):
                params = tuple(sorted(bet.params.items()))
                key = (bet.player_id, bet.stake.currency.code, bet.game, params, bet.house_edge)
                # A mines game's cell also holds the tiles it pressed, as the adapter's does.
                field = self.s.mines.get(bet.id) if bet.game == "mines" else None
                steps = None if field is None else len(field.revealed)
                cells.setdefault((*key, bet.stake.amount, steps), []).append(bet)
        return [
            BetCell(player, currency, game, dict(params), edge, stake, len(bets), payouts, steps)
            for (player, currency, game, params, edge, stake, steps), bets in cells.items()
            for payouts in [sum(b.payout or 0 for b in bets)]
        ]

    async def funding(self, player_id: int, currency: Currency, since: datetime) -> Funding:
        wallets = {a.id for a in self.s.accounts.values() if a.player_id == player_id}
        deposits = [
            (posted.created_at, leg.amount.amount)
            for _, posted in self.s.transactions.values()
            if posted.kind is TransactionKind.DEPOSIT and posted.created_at >= since
            for leg in posted.legs
            if leg.account_id in wallets and leg.amount.currency == currency
        ]
        if not deposits:
            return Funding(currency.code, 0, 0, None, None)
        first, last = min(at for at, _ in deposits), max(at for at, _ in deposits)
        stakes = sum(
            b.stake.amount
            for b in self.s.bets.values()
            if b.player_id == player_id
            and b.stake.currency == currency
            and b.placed_at >= first
            and b.state is not BetState.VOIDED
        )
        debits = sum(
            t.amount or 0
            for t in self.s.provider_transactions.values()
            if t.player_id == player_id
            and t.currency == currency
            and t.created_at >= first
            and t.kind is ProviderTransactionKind.DEBIT
            and t.state is ProviderTransactionState.DEBITED
        )
        return Funding(currency.code, sum(a for _, a in deposits), stakes + debits, first, last)

    async def has_open(self, player_id: int) -> bool:
        return any(
            f.player_id == player_id and f.status is RiskFlagStatus.OPEN
            for f in self.s.flags.values()
        )


class FakePayoutGateway:
    """A payment provider that answers every payout with `result` and remembers what it was
    asked to send."""

    def __init__(self, result: PayoutResult) -> None:
        self.result = result
        self.sent: list[uuid.UUID] = []

    async def send(self, withdrawal: Withdrawal) -> PayoutResult:
        self.sent.append(withdrawal.id)
        return self.result

    def pays(self, withdrawal: Withdrawal) -> bool:
        """`PayoutLookup`: a run sends every withdrawal through it."""
        return True

    async def made(self, withdrawal: Withdrawal) -> str | None:
        """`PayoutLookup`: the reference of a completed payout it sent, else None."""
        if withdrawal.id in self.sent and isinstance(self.result, PayoutSent):
            return self.result.reference if self.result.completed else None
        return None
