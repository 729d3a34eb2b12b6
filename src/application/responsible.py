"""Responsible gambling: the player's own limits, time-outs, self-exclusion and reality checks,
and the guard that the bet and deposit use cases call before any money moves.

Every change is one unit of work that locks the player's responsible-gambling record, writes
the change and its audit entry (actor "player:<id>") and commits them together. There is no
use case that lifts a time-out or a self-exclusion, for staff or anyone: they only end on
time, and the database refuses to shorten one.

The repository port (`ResponsibleGamblingRepository`, with the usage read model) is declared
in `application.ports`, beside the other ports, because this module imports `UnitOfWork` from
there; it is re-exported here.

Longer than most modules: the player's changes and the guard read and write one record under
one lock, in one order, and share the usage helpers (`_usage_by_period`); kept together so
that order is visible in one place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from application.ports import (
    Clock,
    ResponsibleGamblingRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.errors import InvalidRequest, NotFound
from domain.money import Currency, Money
from domain.responsible import (
    BET_LIMIT_KINDS,
    DEPOSIT_LIMIT_KINDS,
    Exclusion,
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    PlayerLimit,
    RealityCheck,
    ResponsibleProfile,
    SelfExclusionPeriod,
    TimeoutPeriod,
    Usage,
    applicable_limits,
    check_limits,
)
from domain.staff import AuditAction, AuditEntry
from domain.standing import Operation, PlayerStanding

__all__ = [
    "ALWAYS_GUARDED",
    "AcknowledgeRealityCheck",
    "ConfirmLimitIncrease",
    "GetResponsibleStatus",
    "HasDepositLimit",
    "LimitChange",
    "LimitStatus",
    "RemoveLimit",
    "ResponsibleGamblingGuard",
    "ResponsibleGamblingRepository",
    "ResponsibleStatus",
    "SelfExclude",
    "SetLimit",
    "SetRealityCheck",
    "StartTimeout",
]


def _actor(player_id: int) -> str:
    return f"player:{player_id}"


def _limit_facts(limit: PlayerLimit | None) -> dict[str, object] | None:
    if limit is None:
        return None
    pending = limit.pending
    return {
        "kind": limit.kind.value,
        "period": limit.period.value,
        "currency": limit.currency.code,
        "amount": limit.amount.amount,
        "pending": None
        if pending is None
        else {
            "amount": pending.amount,
            "requested_at": pending.requested_at.isoformat(),
            "confirmable_at": pending.confirmable_at.isoformat(),
        },
    }


def _exclusion_facts(exclusion: Exclusion | None) -> dict[str, object] | None:
    if exclusion is None:
        return None
    return {
        "kind": exclusion.kind.value,
        "started_at": exclusion.started_at.isoformat(),
        "until": None if exclusion.until is None else exclusion.until.isoformat(),
    }


def _reality_check_facts(check: RealityCheck | None) -> dict[str, object] | None:
    if check is None:
        return None
    return {
        "interval_minutes": check.minutes,
        "session_started_at": check.session_started_at.isoformat(),
        "acknowledged_at": check.acknowledged_at.isoformat(),
    }


async def _audit(
    uow: UnitOfWork,
    action: AuditAction,
    player_id: int,
    now: datetime,
    before: dict[str, object] | None,
    after: dict[str, object] | None,
) -> None:
    subject = f"player:{player_id}"
    await uow.audit.record(AuditEntry(action, now, _actor(player_id), subject, "", before, after))


class _PlayerChange:
    """A change to one player's settings: the player must exist, and the record is locked."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @staticmethod
    async def _enroll(uow: UnitOfWork, player_id: int, now: datetime) -> ResponsibleProfile:
        await uow.players.get(player_id)
        await uow.responsible.enroll(player_id, now)
        return await uow.responsible.profile(player_id)


# -- limits ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitChange:
    """The limit after a request: `applied` when the change is in force now; otherwise it
    waits (see `limit.pending`) to be confirmed from `confirmable_at`."""

    limit: PlayerLimit
    applied: bool

    @property
    def confirmable_at(self) -> datetime | None:
        return None if self.limit.pending is None else self.limit.pending.confirmable_at


class SetLimit(_PlayerChange):
    """Set a deposit, loss or wager limit over 24 hours, 7 days or 30 days in one currency. A
    new or lower limit applies at once (and cancels a pending raise); a higher one waits for
    a 24-hour cooling-off and the player's confirmation (`ConfirmLimitIncrease`)."""

    async def __call__(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, amount: Money
    ) -> LimitChange:
        amount.require_positive()
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.limit(kind, period, amount.currency)
            if current is None:
                changed = PlayerLimit.new(player_id, kind, period, amount, now)
            else:
                changed = current.change_to(amount, now)
            applied = changed.pending is None
            action = AuditAction.LIMIT_SET if applied else AuditAction.LIMIT_INCREASE_REQUESTED
            await uow.responsible.save_limit(changed)
            await _audit(uow, action, player_id, now, _limit_facts(current), _limit_facts(changed))
            await uow.commit()
        return LimitChange(changed, applied)


class RemoveLimit(_PlayerChange):
    """Ask to remove a limit. Like a raise, it waits for the cooling-off and a confirmation;
    the limit applies in full until then."""

    async def __call__(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> LimitChange:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.limit(kind, period, currency)
            if current is None:
                raise NotFound(f"you have no {period.label} {kind.label} limit in {currency.code}")
            changed = current.request_removal(now)
            await uow.responsible.save_limit(changed)
            await _audit(
                uow,
                AuditAction.LIMIT_REMOVAL_REQUESTED,
                player_id,
                now,
                _limit_facts(current),
                _limit_facts(changed),
            )
            await uow.commit()
        return LimitChange(changed, applied=False)


class ConfirmLimitIncrease(_PlayerChange):
    """Confirm a pending raise or removal once its 24-hour cooling-off has passed. Before
    that it is refused (`ResponsibleGamblingRefusal`, rule "cooling_off", `until` = when it
    can be confirmed) and the old limit keeps applying. Returns the limit in force after it,
    or None when the limit is gone."""

    async def __call__(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> PlayerLimit | None:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.limit(kind, period, currency)
            if current is None:
                raise NotFound(f"you have no {period.label} {kind.label} limit in {currency.code}")
            confirmed = current.confirm(now)
            if confirmed is None:
                await uow.responsible.delete_limit(player_id, kind, period, currency)
                action = AuditAction.LIMIT_REMOVED
            else:
                await uow.responsible.save_limit(confirmed)
                action = AuditAction.LIMIT_INCREASE_CONFIRMED
            await _audit(
                uow, action, player_id, now, _limit_facts(current), _limit_facts(confirmed)
            )
            await uow.commit()
        return confirmed


# -- time-out and self-exclusion -------------------------------------------------------------


class _Exclude(_PlayerChange):
    async def _exclude(self, requested: Exclusion, action: AuditAction) -> Exclusion:
        now = requested.started_at
        player_id = requested.player_id
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.exclusion
            result = requested if current is None else current.extended_by(requested, now)
            await uow.responsible.save_exclusion(result)
            after = _exclusion_facts(result)
            assert after is not None
            after["requested"] = _exclusion_facts(requested)
            await _audit(uow, action, player_id, now, _exclusion_facts(current), after)
            await uow.commit()
        return result


class StartTimeout(_Exclude):
    """A break from gambling for 24 hours, 7 days, 30 days or 6 weeks, from now: no bets and no
    deposits. It cannot be ended early; asking again can only make the break longer. Returns
    the exclusion in force (a longer one already running is kept)."""

    async def __call__(self, player_id: int, period: TimeoutPeriod) -> Exclusion:
        requested = Exclusion.timeout(player_id, period, self._clock.now())
        return await self._exclude(requested, AuditAction.TIMEOUT_STARTED)


class SelfExclude(_Exclude):
    """Self-exclusion for 6 months, 1 year, 5 years or permanently, from now: no bets and no
    deposits. It cannot be lifted early, by the player or by staff."""

    async def __call__(self, player_id: int, period: SelfExclusionPeriod) -> Exclusion:
        requested = Exclusion.self_exclusion(player_id, period, self._clock.now())
        return await self._exclude(requested, AuditAction.SELF_EXCLUDED)


# -- reality check ---------------------------------------------------------------------------


class SetRealityCheck(_PlayerChange):
    """Choose the reality-check interval (15-240 minutes), or None to switch it off. A new
    check counts from now; a changed one keeps its session and last acknowledgement."""

    async def __call__(self, player_id: int, minutes: int | None) -> RealityCheck | None:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.reality_check
            changed: RealityCheck | None
            if minutes is None:
                if current is None:
                    return None  # nothing to switch off; nothing written
                changed = None
                await uow.responsible.delete_reality_check(player_id)
            else:
                if current is None:
                    changed = RealityCheck.start(player_id, minutes, now)
                else:
                    changed = current.with_interval(minutes)
                await uow.responsible.save_reality_check(changed)
            await _audit(
                uow,
                AuditAction.REALITY_CHECK_SET,
                player_id,
                now,
                _reality_check_facts(current),
                _reality_check_facts(changed),
            )
            await uow.commit()
        return changed


class AcknowledgeRealityCheck(_PlayerChange):
    """The player saw the reality check: bets go through again, and the next check is one
    interval from now. Acknowledging a check that is not due changes nothing (a double tap)
    and writes nothing."""

    async def __call__(self, player_id: int) -> RealityCheck:
        now = self._clock.now()
        async with self._uow() as uow:
            profile = await self._enroll(uow, player_id, now)
            current = profile.reality_check
            if current is None:
                raise InvalidRequest("you have no reality check set")
            acknowledged = current.acknowledge(now)
            if acknowledged == current:
                return current
            await uow.responsible.save_reality_check(acknowledged)
            await _audit(
                uow,
                AuditAction.REALITY_CHECK_ACKNOWLEDGED,
                player_id,
                now,
                _reality_check_facts(current),
                _reality_check_facts(acknowledged),
            )
            await uow.commit()
        return acknowledged


# -- reading ---------------------------------------------------------------------------------


async def _usage_by_period(
    repo: ResponsibleGamblingRepository,
    player_id: int,
    currency: Currency,
    limits: Iterable[PlayerLimit],
    now: datetime,
) -> dict[LimitPeriod, Usage]:
    """The usage of each period that one of `limits` needs, counting only their kinds."""
    kinds_by_period: dict[LimitPeriod, set[LimitKind]] = {}
    for limit in limits:
        kinds_by_period.setdefault(limit.period, set()).add(limit.kind)
    return {
        period: await repo.usage(player_id, currency, now - period.duration, frozenset(kinds))
        for period, kinds in kinds_by_period.items()
    }


@dataclass(frozen=True, slots=True)
class LimitStatus:
    """A limit as the player sees it: what is used of it in its window and what is left
    (`remaining` may exceed the limit for a loss limit while the player is ahead)."""

    limit: PlayerLimit
    used: Money
    remaining: Money
    now: datetime

    @property
    def pending_amount(self) -> Money | None:
        return self.limit.pending_amount

    @property
    def pending_removal(self) -> bool:
        return self.limit.pending is not None and self.limit.pending.is_removal

    @property
    def confirmable_at(self) -> datetime | None:
        return None if self.limit.pending is None else self.limit.pending.confirmable_at

    @property
    def confirmable(self) -> bool:
        return self.limit.pending is not None and self.limit.pending.confirmable(self.now)


@dataclass(frozen=True, slots=True)
class ResponsibleStatus:
    player_id: int
    now: datetime
    limits: tuple[LimitStatus, ...]
    exclusion: Exclusion | None  # only while it is in force
    reality_check: RealityCheck | None

    @property
    def has_deposit_limit(self) -> bool:
        return any(s.limit.kind is LimitKind.DEPOSIT for s in self.limits)

    @property
    def reality_check_due(self) -> bool:
        return self.reality_check is not None and self.reality_check.is_due(self.now)

    @property
    def excluded(self) -> bool:
        return self.exclusion is not None

    @property
    def self_excluded(self) -> bool:
        return self.exclusion is not None and self.exclusion.kind is ExclusionKind.SELF_EXCLUSION


_KIND_ORDER = {LimitKind.DEPOSIT: 0, LimitKind.LOSS: 1, LimitKind.WAGER: 2}
_PERIOD_ORDER = {LimitPeriod.DAY: 0, LimitPeriod.WEEK: 1, LimitPeriod.MONTH: 2}


class GetResponsibleStatus:
    """Everything the player set, with what is used and left of each limit, pending changes
    and when they can be confirmed, the exclusion in force and the reality check."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int) -> ResponsibleStatus:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.players.get(player_id)
            profile = await uow.responsible.profile(player_id)
            statuses: list[LimitStatus] = []
            currencies = {lim.currency.code: lim.currency for lim in profile.limits}
            for currency in currencies.values():
                mine = applicable_limits(profile.limits, LimitKind, currency)
                usage = await _usage_by_period(uow.responsible, player_id, currency, mine, now)
                for limit in mine:
                    used = limit.used(usage)
                    statuses.append(
                        LimitStatus(
                            limit,
                            Money(used, currency),
                            Money(limit.room(usage), currency),
                            now,
                        )
                    )
        statuses.sort(
            key=lambda s: (
                s.limit.currency.code,
                _KIND_ORDER[s.limit.kind],
                _PERIOD_ORDER[s.limit.period],
            )
        )
        return ResponsibleStatus(
            player_id, now, tuple(statuses), profile.active_exclusion(now), profile.reality_check
        )


class HasDepositLimit:
    """Whether the player has set any deposit limit (for the "set a limit before your first
    deposit" prompt). One small query."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> bool:
        async with self._uow() as uow:
            return await uow.responsible.has_deposit_limit(player_id)


# -- the guard -------------------------------------------------------------------------------


class ResponsibleGamblingGuard:
    """Called by the bet and deposit use cases inside their own unit of work, with the player's
    standing (`PlayerRepository.standing`, or the placement's read of it) and the time they
    will record, BEFORE they write the bet or the deposit (the usage it reads must not include
    it yet) and before they lock anything else (the player's responsible-gambling lock comes
    first, always in the same order). Raises the standing's refusal (`StandingRefusal`: blocked,
    terms not accepted) or a `ResponsibleGamblingRefusal` naming the rule (an exclusion, a
    limit, a due reality check); returns when the operation may go ahead. The standing is
    decided by `PlayerStanding.require`, with the player's exclusion when there is a record.

    Concurrency: a player who has set anything has a responsible-gambling record, and the
    guard locks it (SELECT ... FOR UPDATE) before reading limits and usage. The lock is held
    until the caller's unit of work ends, so two bets (or deposits) of that player that race
    each other are checked one after the other: the second reads its usage in a new statement
    after the first has committed (READ COMMITTED), sees the first's stake, and cannot pass
    the same room in a limit. Every change of a limit, exclusion or reality check takes the
    same lock, so no bet is checked against a half-made change. A player with no record costs
    exactly one query (the lock attempt finds no row) and is never serialised; a bet placement
    takes that lock in its first read (`PlacementReads`) and passes `locked`, so it costs none."""

    async def check_bet(
        self,
        uow: UnitOfWork,
        standing: PlayerStanding,
        stake: Money,
        now: datetime,
        *,
        locked: bool | None = None,
    ) -> None:
        """`locked`: whether the caller already took the player's lock, finding a record
        (None: the guard takes it). With `locked=False` nothing is read: the standing alone
        decides (a batch of bets decides its players without a record that way)."""
        stake.require_positive()
        repo = uow.responsible
        player_id = standing.player_id
        if locked is None:
            locked = await repo.lock(player_id)
        if not locked:
            standing.require(Operation.BET, now)
            return
        profile = await repo.profile(player_id)
        standing.with_exclusion(profile.exclusion).require(Operation.BET, now)
        limits = applicable_limits(profile.limits, BET_LIMIT_KINDS, stake.currency)
        if limits:
            usage = await _usage_by_period(repo, player_id, stake.currency, limits, now)
            check_limits(limits, BET_LIMIT_KINDS, stake, usage)
        check = profile.reality_check
        if check is not None:
            seen = check.before_bet(now, await repo.last_played_at(player_id))
            if seen != check:  # a new session: written with the bet, or not at all
                await repo.save_reality_check(seen)
            if seen.is_due(now):
                session = await repo.usage(
                    player_id,
                    stake.currency,
                    seen.session_started_at,
                    frozenset({LimitKind.LOSS}),
                )
                raise seen.refusal(now, Money(-session.net_loss, stake.currency))

    async def check_deposit(
        self, uow: UnitOfWork, standing: PlayerStanding, amount: Money, now: datetime
    ) -> None:
        amount.require_positive()
        repo = uow.responsible
        player_id = standing.player_id
        if not await repo.lock(player_id):
            standing.require(Operation.DEPOSIT, now)
            return
        profile = await repo.profile(player_id)
        standing.with_exclusion(profile.exclusion).require(Operation.DEPOSIT, now)
        limits = applicable_limits(profile.limits, DEPOSIT_LIMIT_KINDS, amount.currency)
        if limits:
            usage = await _usage_by_period(repo, player_id, amount.currency, limits, now)
            check_limits(limits, DEPOSIT_LIMIT_KINDS, amount, usage)


# The guard holds no state: the bet and deposit use cases default to this one, so none of them
# can be built without responsible-gambling checks.
ALWAYS_GUARDED = ResponsibleGamblingGuard()
