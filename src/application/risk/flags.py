"""Risk flags for staff: whether a player has an open one (withdrawals are held while one is
open), the list, one flag, and the review that closes it."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import Clock, RiskFlagQuery, UnitOfWorkFactory
from application.risk.review import MAX_PAGE
from application.staff import Actor
from domain.errors import InvalidRequest, NotFound
from domain.risk import RiskFlag, RiskFlagStatus
from domain.staff import AuditAction, AuditEntry


class HasOpenRiskFlags:
    """Whether a player has a risk flag waiting for staff review."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int) -> bool:
        async with self._uow() as uow:
            return await uow.risk.has_open(player_id)


class ListRiskFlags:
    """Risk flags, newest first, filtered by status, player and kind; paged by id."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, query: RiskFlagQuery) -> Sequence[RiskFlag]:
        if not 1 <= query.limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        async with self._uow() as uow:
            return await uow.risk.list(query)


def check_flag_id(flag_id: int) -> None:
    if not 1 <= flag_id < 2**63:  # no stored flag has one; the database could not look it up
        raise NotFound(f"there is no risk flag {flag_id}")


class GetRiskFlag:
    """One risk flag with its evidence, or `NotFound`."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, flag_id: int) -> RiskFlag:
        check_flag_id(flag_id)
        async with self._uow() as uow:
            return await uow.risk.get(flag_id)


class ReviewRiskFlag:
    """Resolve or dismiss an open flag with a note; once, even under concurrent clicks (the
    flag's row is locked), and audited in the same transaction."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self, flag_id: int, decision: RiskFlagStatus, note: str, actor: Actor
    ) -> RiskFlag:
        check_flag_id(flag_id)
        async with self._uow() as uow:
            flag = await uow.risk.get(flag_id, for_update=True)
            now = self._clock.now()
            reviewed = flag.review(decision, by=actor.label, at=now, note=note)
            await uow.risk.save(reviewed)
            action = (
                AuditAction.RISK_FLAG_RESOLVED
                if decision is RiskFlagStatus.RESOLVED
                else AuditAction.RISK_FLAG_DISMISSED
            )
            await uow.audit.record(
                AuditEntry(
                    action,
                    now,
                    actor.label,
                    f"player:{flag.player_id}",
                    actor.source,
                    before={"flag_id": flag.id, "status": flag.status.value},
                    after={
                        "flag_id": flag.id,
                        "kind": flag.kind.value,
                        "status": reviewed.status.value,
                        "note": reviewed.note,
                    },
                )
            )
            await uow.commit()
        return reviewed
