"""The Mini App's bonus screen (docs/bonuses.md): the player's active bonuses with their
progress, and how much each game counts; the same as the bot's 🎁 Bonus. For a player the
standing refuses promotions `shown` is false and nothing else is said (the screen hides)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get
from litestar.di import NamedDependency, Provide

from application.bonuses import BonusOverview, PlayerBonuses
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id
from entrypoints.http.miniapp_wire import Amount, amount_view


class BonusView(msgspec.Struct):
    bonus_id: uuid.UUID
    amount: Amount
    wagered: Amount  # counted so far, rounded down ("120 of 500 wagered")
    required: Amount
    max_stake: Amount | None  # stakes above it count as it
    expires_at: datetime
    claimable: bool  # wagering met and still in time


class ContributionView(msgspec.Struct):
    game: str
    pct: int  # the per cent of a stake that counts toward wagering


class BonusesView(msgspec.Struct):
    shown: bool
    bonuses: list[BonusView]
    contributions: list[ContributionView]


def bonuses_view(overview: BonusOverview | None) -> BonusesView:
    if overview is None:
        return BonusesView(shown=False, bonuses=[], contributions=[])
    return BonusesView(
        shown=True,
        bonuses=[
            BonusView(
                bonus_id=s.bonus.id,
                amount=amount_view(s.bonus.amount),
                wagered=amount_view(s.progress.wagered),
                required=amount_view(s.progress.required),
                max_stake=None if s.bonus.max_stake is None else amount_view(s.bonus.max_stake),
                expires_at=s.bonus.expires_at,
                claimable=s.claimable,
            )
            for s in overview.bonuses
        ],
        contributions=[
            ContributionView(game=code, pct=pct)
            for code, pct in sorted(overview.contributions.items(), key=lambda c: (-c[1], c[0]))
        ],
    )


class MiniAppBonusController(Controller):
    path = "/api/v1/app/bonus"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get(
        "/",
        summary="The player's active bonuses, their wagering progress and each game's share",
        description="`shown` false (and nothing else) for a player who may not receive "
        "promotions now (blocked, timed out, self-excluded): the screen stays hidden.",
    )
    @inject
    async def bonuses(
        self, player_id: NamedDependency[int], bonuses: FromDishka[PlayerBonuses]
    ) -> BonusesView:
        return bonuses_view(await bonuses(player_id))
