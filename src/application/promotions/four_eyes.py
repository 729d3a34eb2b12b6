"""What a staff member has budgeted in a currency over the campaigns' four-eyes window: the
budgets of the campaigns they created plus the raises they asked for (applied or awaiting).
Campaign creation and budget raises add up on this one sum, so a large budget cannot be
split into a small campaign and small raises (docs/bonuses.md#four-eyes)."""

from __future__ import annotations

from datetime import datetime

from application.ports.unit_of_work import UnitOfWork
from domain.money import Currency


async def budgeted_since(uow: UnitOfWork, staff: str, currency: Currency, since: datetime) -> int:
    """In minor units. Read under the staff member's lock (`created_since` takes it), so two of
    their requests at once are counted one after the other."""
    created = await uow.campaigns.created_since(staff, currency, since)
    return created + await uow.budgets.raised_since(staff, currency, since)
