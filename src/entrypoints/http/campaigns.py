"""Operators: campaigns (deposit matches, no-deposit grants, promo codes, free bets) and their
budgets; a large budget waits for a second staff member's approval (docs/bonuses.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter

from application.campaigns import (
    CampaignReport,
    CampaignStep,
    ChangeCampaign,
    CreateCampaign,
    GrantCampaignToPlayers,
    ListCampaigns,
    ListGrant,
    ShowCampaign,
)
from application.staff import Actor
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignKind,
    CampaignState,
    Redemption,
    Target,
    WageringBase,
    validate_campaign_code,
)
from domain.errors import InvalidField
from domain.money import Currency, CurrencyRegistry, Money
from domain.quoting import excerpt
from domain.staff import Role
from entrypoints.http.auth import ANY_STAFF, SECURITY, provide_actor, requires
from entrypoints.http.campaign_free_bets import (
    FreeBetBody,
    FreeBetCountsView,
    FreeBetTermsView,
    counts_view,
    decode_free_bet,
    terms_view,
)
from entrypoints.http.decisions import Decision

OPERATOR = requires(Role.OPERATOR)
_AWARE = msgspec.Meta(tz=True, description="An instant with its offset, e.g. 2026-12-24T00:00Z")


class CampaignBody(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[
        str,
        msgspec.Meta(
            description="3-40 letters, digits, '_' or '-' (stored lower-case): the promo code "
            "players type, and the code of the campaign's promotion budget"
        ),
    ]
    kind: CampaignKind
    currency: Annotated[str, msgspec.Meta(description="A currency code, e.g. XTR")]
    amount: Annotated[
        int,
        msgspec.Meta(
            description="Minor units: the bonus of a promo code or no-deposit grant; the "
            "largest bonus of a deposit match"
        ),
    ]
    budget: Annotated[
        int, msgspec.Meta(description="Minor units: the most the campaign may ever grant")
    ]
    starts_at: Annotated[datetime, _AWARE]
    ends_at: Annotated[datetime, _AWARE]
    wagering_multiple: Annotated[
        int, msgspec.Meta(description="How many times the wagering base must be staked (0-200)")
    ]
    expires_after_hours: Annotated[
        int, msgspec.Meta(description="A bonus expires this many hours after its grant")
    ]
    audience: Audience = Audience.ALL
    players: Annotated[
        list[int], msgspec.Meta(description="The players of a `list` audience (player ids)")
    ] = msgspec.field(default_factory=list)
    match_percent: Annotated[
        int | None, msgspec.Meta(description="A deposit match's share of the deposit, 1-1000")
    ] = None
    wagering_base: WageringBase = WageringBase.BONUS
    max_stake: Annotated[
        int | None,
        msgspec.Meta(description="Minor units: the largest stake while the bonus is active"),
    ] = None
    max_uses: Annotated[
        int | None, msgspec.Meta(description="How many players may have it (none: the budget)")
    ] = None
    # A free_bet campaign's free bets (its `amount` is one free bet's largest win).
    free_bet: FreeBetBody | None = None


class GrantBody(msgspec.Struct, forbid_unknown_fields=True):
    players: Annotated[list[int], msgspec.Meta(description="Player ids, at most 500")]


class RedemptionView(msgspec.Struct):
    player_id: int
    amount: int
    currency: str
    redeemed_at: datetime
    key: str
    bonus_id: str | None


class CampaignView(msgspec.Struct):
    code: str
    kind: str
    state: str
    currency: str
    amount: int
    match_percent: int | None
    starts_at: datetime
    ends_at: datetime
    audience: str
    players: list[int]
    wagering_multiple: int
    wagering_base: str
    expires_after_hours: float
    max_stake: int | None
    max_uses: int | None
    uses: int
    created_by: str
    created_at: datetime
    approved_by: str | None
    budget_total: int
    budget_spent: int
    budget_left: int
    redemptions: list[RedemptionView] | None = None  # on a campaign's own page
    free_bet: FreeBetTermsView | None = None  # a free_bet campaign's terms
    free_bets: FreeBetCountsView | None = None  # and, on its own page, what they did


class CampaignList(msgspec.Struct):
    campaigns: list[CampaignView]


class GrantView(msgspec.Struct):
    granted: list[RedemptionView]  # the new grants
    # Players given nothing: had it already, not eligible, protected, or the budget ran out.
    skipped: list[int]


def _redemption(redemption: Redemption) -> RedemptionView:
    return RedemptionView(
        player_id=redemption.player_id,
        amount=redemption.amount.amount,
        currency=redemption.amount.currency.code,
        redeemed_at=redemption.at,
        key=redemption.key,
        bonus_id=redemption.bonus_id,
    )


def _view(report: CampaignReport, with_redemptions: bool = False) -> CampaignView:
    c, budget = report.campaign, report.budget
    return CampaignView(
        code=c.code,
        kind=c.kind.value,
        state=c.state.value,
        currency=c.currency.code,
        amount=c.amount.amount,
        match_percent=c.match_percent,
        starts_at=c.starts_at,
        ends_at=c.ends_at,
        audience=c.target.audience.value,
        players=sorted(c.target.players),
        wagering_multiple=c.terms.wagering_multiple,
        wagering_base=c.terms.wagering_base.value,
        expires_after_hours=c.terms.expires_after / timedelta(hours=1),
        max_stake=c.terms.max_stake.amount if c.terms.max_stake else None,
        max_uses=c.max_uses,
        uses=c.uses,
        created_by=c.created_by,
        created_at=c.created_at,
        approved_by=c.approved_by,
        budget_total=budget.total.amount,
        budget_spent=budget.spent.amount,
        budget_left=budget.remaining.amount,
        redemptions=[_redemption(r) for r in report.redemptions] if with_redemptions else None,
        free_bet=terms_view(c.free_bet),
        free_bets=counts_view(report.free_bets),
    )


def _money(field: str, amount: int, currency: Currency) -> Money:
    try:
        return Money(amount, currency).require_positive()
    except Exception as error:
        raise InvalidField(field, f"{field}: {error}") from error


def decode_campaign(data: CampaignBody, currencies: CurrencyRegistry, actor: Actor) -> Campaign:
    """The campaign the body describes (the domain checks the rest; created_by and the time
    are the use case's)."""
    try:
        currency = currencies.get(data.currency.upper())
    except Exception as error:
        raise InvalidField("currency", f"unknown currency {excerpt(data.currency)}") from error
    if not 1 <= data.expires_after_hours <= 365 * 24:
        raise InvalidField("expires_after_hours", "a bonus expires after 1 to 8760 hours")
    return Campaign(
        code=validate_campaign_code(data.code),
        kind=data.kind,
        budget=_money("budget", data.budget, currency),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        target=Target(data.audience, frozenset(data.players)),
        terms=BonusTerms(
            wagering_multiple=data.wagering_multiple,
            expires_after=timedelta(hours=data.expires_after_hours),
            max_stake=(
                _money("max_stake", data.max_stake, currency)
                if data.max_stake is not None
                else None
            ),
            wagering_base=data.wagering_base,
        ),
        created_by=actor.label,
        created_at=data.starts_at,
        amount=_money("amount", data.amount, currency),
        match_percent=data.match_percent,
        max_uses=data.max_uses,
        free_bet=decode_free_bet(data.free_bet, currency),
    )


def _step(step: CampaignStep, summary: str) -> HTTPRouteHandler:
    return Decision(
        f"/{{code:str}}/{step.value}",
        OPERATOR,
        summary,
        ChangeCampaign,
        lambda change, code, _, actor: change(code, step, actor),
        _view,
    ).handler()


class CampaignsController(Controller):
    path = "/api/v1/campaigns"
    tags = ["campaigns"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = SECURITY
    dependencies = {"actor": Provide(provide_actor)}  # noqa: RUF012

    @post(
        "/",
        guards=[OPERATOR],
        status_code=201,
        summary="Create a campaign and its budget; above the four-eyes limit it waits for "
        "another staff member's approval",
    )
    @inject
    async def create(
        self,
        data: JSONBody[CampaignBody],
        actor: NamedDependency[Actor],
        create: FromDishka[CreateCampaign],
        show: FromDishka[ShowCampaign],
        currencies: FromDishka[CurrencyRegistry],
    ) -> CampaignView:
        created = await create(decode_campaign(data, currencies, actor), actor)
        return _view(await show(created.campaign.code, 0), with_redemptions=True)

    @get("/", guards=[ANY_STAFF], summary="Campaigns, newest first, with their budgets")
    @inject
    async def list_campaigns(
        self,
        listing: FromDishka[ListCampaigns],
        wanted: Annotated[CampaignState | None, QueryParameter(name="state")] = None,
    ) -> CampaignList:
        return CampaignList([_view(r) for r in await listing(wanted)])

    @get(
        "/{code:str}",
        guards=[ANY_STAFF],
        summary="A campaign with its budget (spent, left) and its latest redemptions",
    )
    @inject
    async def show_campaign(
        self,
        code: FromPath[str],
        show: FromDishka[ShowCampaign],
        limit: Annotated[int, QueryParameter(ge=0, le=1000)] = 100,
    ) -> CampaignView:
        return _view(await show(code, limit), with_redemptions=True)

    @post(
        "/{code:str}/grants",
        guards=[OPERATOR],
        status_code=200,
        summary="Grant a no-deposit campaign's bonus, or a free-bet campaign's free bets, to"
        " players (each checked, once each)",
    )
    @inject
    async def grant(
        self,
        code: FromPath[str],
        data: JSONBody[GrantBody],
        actor: NamedDependency[Actor],
        grant: FromDishka[GrantCampaignToPlayers],
    ) -> GrantView:
        result: ListGrant = await grant(code, data.players, actor)
        return GrantView(
            granted=[_redemption(g.redemption) for g in result.granted],
            skipped=list(result.skipped),
        )

    approve = _step(CampaignStep.APPROVE, "Approve a campaign awaiting four-eyes (not your own)")
    pause = _step(CampaignStep.PAUSE, "Pause an active campaign: it grants nothing until resumed")
    resume = _step(CampaignStep.RESUME, "Resume a paused campaign")
    end = _step(CampaignStep.END, "End a campaign for good")
