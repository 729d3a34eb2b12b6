"""The Mini App's bonus buttons (docs/bonuses.md, "The player's view"): claim a bonus whose
wagering is met, and give one up, through the bot's own use cases (`ConvertBonus`,
`ForfeitBonus`). Both are idempotent by the bonus in the path, which ends once: a repeated
press answers the bonus as the first press ended it. Refusals are problem details:
`wagering_incomplete` (nothing moves), `illegal_transition` (a converted bonus cannot be given
up, a given-up one cannot be claimed), 404 (no such bonus of this player), and the
standing's own refusal of a claim for a player it refuses promotions. Giving up is never
refused by the standing: it gives money back (as the bot's button)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from application.bonuses import ConvertBonus, ForfeitBonus
from domain.bonuses import Bonus
from entrypoints.http.miniapp import (
    PLAYER_SECURITY,
    player_session,
    provide_player_id,
    settling_player_of,
)
from entrypoints.http.miniapp_wire import Amount, amount_view


class EndedBonusView(msgspec.Struct):
    bonus_id: uuid.UUID
    amount: Amount
    state: str  # converted (cash now), forfeited (given up), expired (its time ran out)
    ended_at: datetime | None


def ended_view(bonus: Bonus) -> EndedBonusView:
    return EndedBonusView(
        bonus_id=bonus.id,
        amount=amount_view(bonus.amount),
        state=bonus.state.value,
        ended_at=bonus.ended_at,
    )


class MiniAppBonusActionsController(Controller):
    path = "/api/v1/app/bonus"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    # A give-up reaches even a blocked player's session (money handed back: SETTLE, as the
    # bot's button); the claim is a promotion and refuses a blocked player at the door.
    dependencies = {"player_id": Provide(settling_player_of)}  # noqa: RUF012

    @post(
        "/{bonus_id:uuid}/claim",
        guards=[player_session],
        dependencies={"player_id": Provide(provide_player_id)},
        status_code=200,
        summary="Claim a bonus whose wagering is met: the whole bonus becomes cash",
        description="Idempotent by the bonus: a repeat answers the converted bonus. A bonus "
        "whose time ran out is expired instead (`state` expired). Refusals: 422 "
        "`wagering_incomplete`, 409 `illegal_transition` (given up), 404, and the "
        "standing's own for a player it refuses promotions.",
    )
    @inject
    async def claim(
        self,
        bonus_id: FromPath[uuid.UUID],
        player_id: NamedDependency[int],
        convert: FromDishka[ConvertBonus],
    ) -> EndedBonusView:
        return ended_view(await convert(bonus_id, player_id=player_id))

    @post(
        "/{bonus_id:uuid}/give-up",
        status_code=200,
        summary="Give a bonus up: it goes back to the house, whatever its progress",
        description="The screen asks the player to confirm first. Idempotent by the bonus: a "
        "repeat answers the given-up bonus. Refusals: 409 `illegal_transition` (already "
        "converted), 404. Never refused by the standing (money given back).",
    )
    @inject
    async def give_up(
        self,
        bonus_id: FromPath[uuid.UUID],
        player_id: NamedDependency[int],
        forfeit: FromDishka[ForfeitBonus],
    ) -> EndedBonusView:
        return ended_view(await forfeit(player_id, bonus_id))
