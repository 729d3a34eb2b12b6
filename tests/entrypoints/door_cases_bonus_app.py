"""The door x rule matrix's requests at the Mini App's bonus buttons (docs/bonuses.md, "The
player's view"): the claim (a promotion: cash from a bonus) and the give-up (money given
back, never refused), each on a bonus granted in good standing with a live session."""

from __future__ import annotations

import uuid

from tests.entrypoints.door_cases import mini_app_session
from tests.entrypoints.door_cases_bonus import granted_bonus
from tests.entrypoints.door_world import Answer, Cell, http_answer


async def mini_app_bonus_ready(cell: Cell) -> uuid.UUID:
    """A live Mini App session and a claimable bonus, both in good standing."""
    await mini_app_session(cell)
    return await granted_bonus(cell)


async def mini_app_bonus_claim(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/app/bonus/{cell.prepared}/claim", headers=cell.subject.session
    )
    return http_answer(response, 200, ("state", "converted"))


async def mini_app_bonus_give_up(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/app/bonus/{cell.prepared}/give-up", headers=cell.subject.session
    )
    return http_answer(response, 200, ("state", "forfeited"))
