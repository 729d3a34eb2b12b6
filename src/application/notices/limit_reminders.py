"""A limit's cooling-off is over (issue 23): a raise or removal the player asked for waits 24
hours and then for their confirmation (`ConfirmLimitIncrease`). The request keeps a notice due
when it may be confirmed, in the request's own transaction (limits raise no domain event:
their changes are audited, not published); when due, it is sent only if that same request
still waits (a lower limit since drops it, a new request restarts the wait with a notice of
its own, a confirmation ends it)."""

from __future__ import annotations

from application.ports.unit_of_work import UnitOfWork
from domain.notices import NewNotice, Notice
from domain.notifications import LIMIT_CONFIRMABLE
from domain.responsible import PlayerLimit


async def remind_when_confirmable(uow: UnitOfWork, limit: PlayerLimit) -> None:
    pending = limit.pending
    if pending is None:
        return
    if not (await uow.notice_choices.of(limit.player_id)).allows(LIMIT_CONFIRMABLE):
        return
    kind, period, currency = limit.key
    requested = pending.requested_at.isoformat()
    notice = NewNotice(
        f"{LIMIT_CONFIRMABLE}:{limit.player_id}:{kind}:{period}:{currency}:{requested}",
        limit.player_id,
        LIMIT_CONFIRMABLE,
        f"limit:{limit.player_id}:{kind}:{period}:{currency}",
        {
            "kind": str(kind),
            "period": str(period),
            "currency": currency,
            "amount": pending.amount,  # None: a removal
            "requested_at": requested,
        },
        not_before=pending.confirmable_at,
    )
    await uow.notices.add(notice, due=True)


async def still_pending(uow: UnitOfWork, notice: Notice) -> bool:
    """Whether the request the notice tells of still waits for its confirmation."""
    data = notice.data
    key = (data.get("kind"), data.get("period"), data.get("currency"))
    profile = await uow.responsible.profile(notice.player_id)
    limit = next((lim for lim in profile.limits if lim.key == key), None)
    pending = None if limit is None else limit.pending
    return pending is not None and pending.requested_at.isoformat() == data.get("requested_at")
