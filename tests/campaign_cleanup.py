"""Ending the campaigns a test created on the shared test database: an open deposit match or
welcome grant would otherwise grant bonuses to other tests' players (and give them the one
active bonus a currency allows)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from application.campaigns import CampaignStep, ChangeCampaign
from application.ports import Clock, UnitOfWorkFactory
from application.staff import Actor
from domain.errors import IllegalTransition


async def end_campaigns(uow: UnitOfWorkFactory, clock: Clock, codes: Iterable[str]) -> None:
    end = ChangeCampaign(uow, clock)
    for code in codes:
        with contextlib.suppress(IllegalTransition):  # the test ended it already
            await end(code, CampaignStep.END, Actor("staff:test-cleanup"))
