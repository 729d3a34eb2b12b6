"""The Mini App's promo code: the player types a code, one use case decides
(`RedeemPromoCode`, docs/bonuses.md); a refusal is problem details whose `rule` says why
(`not_started`, `expired`, `paused`, `not_for_you`, `run_out`; `unknown_promo_code` for a
code that does not exist), and a player whose standing refuses promotions gets the
standing's own refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.campaigns import RedeemPromoCode
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id
from entrypoints.http.miniapp_wire import Amount, amount_view


class PromoBody(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="As typed")]


class PromoView(msgspec.Struct):
    code: str
    bonus: Amount
    wagering_multiple: int
    expires_after_hours: float
    redeemed_at: datetime
    replayed: bool  # the player had redeemed it before: this is that first grant
    # A free-bet campaign's code: how many free bets it gave (`bonus` is then the most one
    # free bet's winnings can be; GET /api/v1/app/bonus/free-bets lists them).
    free_bets: int = 0


class MiniAppPromoController(Controller):
    path = "/api/v1/app/promo"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @post(
        "/",
        status_code=200,
        summary="Redeem a promo code: its bonus, once per player",
        description="Idempotent per code and player: a repeat answers with the first grant "
        "and `replayed: true`.",
    )
    @inject
    async def redeem(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[PromoBody],
        redeem: FromDishka[RedeemPromoCode],
    ) -> PromoView:
        grant = await redeem(player_id, data.code)
        return PromoView(
            code=grant.campaign.code,
            bonus=amount_view(grant.redemption.amount),
            wagering_multiple=grant.campaign.terms.wagering_multiple,
            expires_after_hours=grant.campaign.terms.expires_after / timedelta(hours=1),
            redeemed_at=grant.redemption.at,
            replayed=grant.replayed,
            free_bets=0 if grant.campaign.free_bet is None else grant.campaign.free_bet.count,
        )
