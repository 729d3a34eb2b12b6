"""Risk controls: the rules that raise flags for staff review, the review itself, the scan of
recent play, and the monitoring of each game's outcomes.

`RiskReview` holds the rules that run inside another use case's unit of work (a settlement,
a withdrawal request, a deposit), so that a flag and its audit entry commit or roll back
together with the money movement that raised it. Every new flag is also an audit entry; a
large win or wager is a significant event of its own, logged even while a flag for it is
already open. A player with an open flag has withdrawals held for review (see
`has_open_flags`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime

from application.ports import RiskFlagQuery, UnitOfWork
from domain.bets import Bet, BetState
from domain.events import RiskFlagRaised
from domain.money import Money
from domain.risk import (
    PaymentIdentityKind,
    RiskFlag,
    RiskFlagKind,
    RiskFlagStatus,
    RiskPolicy,
    improbable,
    large_bet_evidence,
    normalize_identity,
    rapid_withdrawal,
    score_results,
    shared_identity_evidence,
)
from domain.staff import AuditAction, AuditEntry

log = logging.getLogger(__name__)


SYSTEM = "system"
MAX_PAGE = 200
MAX_MONITOR_DAYS = 366

_LARGE_BET_ACTION = {
    RiskFlagKind.LARGE_WIN: AuditAction.LARGE_WIN,
    RiskFlagKind.LARGE_WAGER: AuditAction.LARGE_WAGER,
}


class RiskReview:
    """The risk rules, run in the caller's unit of work (the caller commits)."""

    def __init__(self, policy: RiskPolicy) -> None:
        self.policy = policy

    async def on_bet_settled(self, uow: UnitOfWork, bet: Bet) -> list[RiskFlag]:
        """After a bet is won or lost: a win or a stake at or above its currency's threshold
        is a significant event (audited every time) and raises a flag (once while open).
        Voided and open bets are ignored. Returns the flags raised."""
        if bet.state not in (BetState.WON, BetState.LOST) or bet.payout is None:
            return []
        findings = large_bet_evidence(
            bet_id=bet.id,
            game=bet.game,
            currency=bet.stake.currency.code,
            stake=bet.stake.amount,
            payout=bet.payout,
            policy=self.policy,
        )
        at = bet.settled_at or bet.placed_at
        raised = []
        for kind, evidence in findings.items():
            flag = await self._raise(uow, RiskFlag(bet.player_id, kind, evidence, at))
            if flag is not None:
                raised.append(flag)
            await uow.audit.record(
                AuditEntry(
                    _LARGE_BET_ACTION[kind],
                    at,
                    SYSTEM,
                    f"player:{bet.player_id}",
                    after={**evidence, "flag_id": flag.id if flag else None},
                )
            )
        return raised

    async def on_withdrawal_requested(
        self,
        uow: UnitOfWork,
        player_id: int,
        amount: Money,
        destination: str | None,
        now: datetime,
    ) -> list[RiskFlag]:
        """When a player asks to withdraw `amount`: the rapid deposit → withdrawal rule, the
        improbable-results rule over the scan window, and (with a destination) the shared
        payment identity rule. Returns the flags raised by this call; whether the request
        must wait for review is `has_open_flags` (an older open flag counts too)."""
        raised = []
        since = now - self.policy.rapid_window
        funding = await uow.risk.funding(player_id, amount.currency, since)
        evidence = rapid_withdrawal(funding, amount.amount, now, self.policy)
        if evidence is not None:
            flag = await self._raise(
                uow, RiskFlag(player_id, RiskFlagKind.RAPID_WITHDRAWAL, evidence, now)
            )
            if flag is not None:
                raised.append(flag)
        raised += await self.check_results(uow, now, player_id)
        if destination is not None and destination.strip():
            raised += await self.record_payment_identity(
                uow, player_id, PaymentIdentityKind.WITHDRAWAL_DESTINATION, destination, now
            )
        return raised

    async def open_holds(
        self, uow: UnitOfWork, player_id: int, amount: Money, destination: str, now: datetime
    ) -> Sequence[str]:
        """`application.ports.WithdrawalHolds`: run the withdrawal rules above, then name
        every open flag of the player ("rapid_withdrawal (flag 12)"); each holds the request
        for review until staff close it."""
        await self.on_withdrawal_requested(uow, player_id, amount, destination, now)
        flags = await uow.risk.list(
            RiskFlagQuery(status=RiskFlagStatus.OPEN, player_id=player_id, limit=MAX_PAGE)
        )
        return [f"{flag.kind.value} (flag {flag.id})" for flag in flags]

    async def record_payment_identity(
        self,
        uow: UnitOfWork,
        player_id: int,
        kind: PaymentIdentityKind,
        identity: str,
        now: datetime,
    ) -> list[RiskFlag]:
        """Remember (as a keyed digest) that the player paid from or to `identity`; when
        another player has used it too, flag every player sharing it. Returns the flags
        raised."""
        normalized = normalize_identity(identity)
        digest, players = await uow.risk.add_identity(kind, normalized, player_id, now)
        if len(players) < 2:
            return []
        evidence = shared_identity_evidence(kind, digest, players, player_id)
        raised = []
        for holder in players:
            flag = await self._raise(
                uow, RiskFlag(holder, RiskFlagKind.SHARED_PAYMENT_IDENTITY, evidence, now)
            )
            if flag is not None:
                raised.append(flag)
        return raised

    async def check_results(
        self, uow: UnitOfWork, now: datetime, player_id: int | None = None
    ) -> list[RiskFlag]:
        """The improbable-results rule over the bets settled in the scan window before
        `now`, for one player or for everyone. Returns the flags raised."""
        since = now - self.policy.scan_window
        cells = await uow.risk.bet_cells(since, now, player_id)
        raised = []
        for score in score_results(cells):
            if not improbable(score, self.policy):
                continue
            evidence = score.evidence(self.policy, since, now)
            flag = await self._raise(
                uow,
                RiskFlag(score.player_id, RiskFlagKind.IMPROBABLE_RESULTS, evidence, now),
            )
            if flag is not None:
                raised.append(flag)
        return raised

    async def on_staff_chain(
        self, uow: UnitOfWork, player_id: int, evidence: Mapping[str, object], now: datetime
    ) -> RiskFlag | None:
        """A staff chain (`RiskFlagKind.STAFF_CHAIN`): adjustments adding up past the four-eyes
        threshold, or a staff member approving or paying the withdrawal of a player whose
        balance they adjusted. Returns the flag, or None while one is open already."""
        return await self._raise(uow, RiskFlag(player_id, RiskFlagKind.STAFF_CHAIN, evidence, now))

    async def has_open_flags(self, uow: UnitOfWork, player_id: int) -> bool:
        """Whether the player has a flag waiting for review (their withdrawals wait too)."""
        return await uow.risk.has_open(player_id)

    async def on_payment_mismatch(
        self, uow: UnitOfWork, player_id: int, evidence: dict[str, object], now: datetime
    ) -> RiskFlag | None:
        """A payment that is not the invoice issued: a Stars charge (refunded, not credited) or a
        Crypto Pay invoice paid otherwise than asked (held for staff, not credited)."""
        return await self._raise(
            uow, RiskFlag(player_id, RiskFlagKind.PAYMENT_MISMATCH, evidence, now)
        )

    async def on_referral_abuse(
        self, uow: UnitOfWork, referrer_id: int, evidence: Mapping[str, object], now: datetime
    ) -> RiskFlag | None:
        """A referred player shares a payment identity with their referrer (raised on the
        referrer, who earns nothing for that player: application.referrals)."""
        return await self._raise(
            uow, RiskFlag(referrer_id, RiskFlagKind.REFERRAL_ABUSE, evidence, now)
        )

    async def on_duel_collusion(
        self, uow: UnitOfWork, player_id: int, evidence: Mapping[str, object], now: datetime
    ) -> RiskFlag | None:
        """Duels that look like chip dumping (domain.duels_collusion), on the player who
        received."""
        return await self._raise(
            uow, RiskFlag(player_id, RiskFlagKind.DUEL_COLLUSION, evidence, now)
        )

    async def _raise(self, uow: UnitOfWork, flag: RiskFlag) -> RiskFlag | None:
        added = await uow.risk.add_flag(flag)
        if added is None:
            return None
        uow.raise_events(RiskFlagRaised(added))  # the staff feed shows it
        log.warning("risk flag %s raised: %s for player %s", added.id, added.kind, added.player_id)
        await uow.audit.record(
            AuditEntry(
                AuditAction.RISK_FLAG_RAISED,
                added.raised_at,
                SYSTEM,
                f"player:{added.player_id}",
                after={"flag_id": added.id, "kind": added.kind.value, **added.evidence},
            )
        )
        return added


# Hand-built use cases (tests, tools) get the rules with the domain's default thresholds; the
# application's container passes the review configured by the settings.
DEFAULT_RISK_REVIEW = RiskReview(RiskPolicy())
