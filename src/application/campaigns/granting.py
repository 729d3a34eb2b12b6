"""The one road a campaign's bonus takes to a player, inside the caller's unit of work: the
campaign is open and targets the player, the player may receive promotions, the player has
not had it (a redemption row, claimed first, so a second try waits for the first), a use is
taken (race-proof), then the bonus is granted through the bonuses' own road (`grant_bonus`:
the budget spent, the bonus account credited) and the grant is audited. Promo codes, deposit
matches and no-deposit grants differ in how they find the campaign and the player, never in
these steps. A free-bet campaign takes the same road and writes its free bets where the others
grant a bonus (`application.free_bets.granting`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from application.bonuses.granting import grant_bonus
from application.free_bets.granting import grant_free_bets
from application.ports import IdGenerator, UnitOfWork
from application.promotions.paying import require_promotable
from domain.bonuses import BonusActive, BonusOffer
from domain.campaigns import Audience, Campaign, CampaignRefused, Redemption
from domain.errors import DomainError
from domain.free_bets import FreeBet
from domain.money import Money
from domain.promotions import BudgetExhausted
from domain.staff import AuditAction, AuditEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CampaignGrant:
    """What a player got from a campaign. `replayed`: they had it already (this answer is the
    first grant's; nothing was granted again)."""

    campaign: Campaign
    redemption: Redemption
    replayed: bool
    free_bets: tuple[FreeBet, ...] = ()  # a free-bet campaign's, granted by this call


@dataclass(frozen=True, slots=True)
class GrantRequest:
    campaign: Campaign
    player_id: int
    key: str  # the grant's idempotency key (docs/bonuses.md lists the forms)
    now: datetime
    actor: str  # who caused it, for the audit log: "player:42", "staff:alice", "system"
    deposit: Money | None = None  # the deposit a match is for
    deposit_key: str | None = None  # its ledger key (it is not "a deposit before")


def offer_of(campaign: Campaign, deposit: Money | None) -> BonusOffer:
    grant = campaign.grant_for(deposit)
    return BonusOffer(
        amount=grant.amount,
        wagering_multiple=campaign.terms.wagering_multiple,
        wagering_base=grant.wagering_base,
        expires_after=campaign.terms.expires_after,
        max_stake=campaign.terms.max_stake,
        campaign=campaign.code,
        budget=campaign.code,
    )


async def require_eligible(uow: UnitOfWork, request: GrantRequest) -> None:
    """Refuse (nothing written) unless the campaign gives this player a bonus now."""
    campaign = request.campaign
    campaign.require_open(request.now)
    player = await uow.players.get(request.player_id)
    deposited = False
    if campaign.target.audience is Audience.NEW_PLAYERS:
        deposited = await uow.campaigns.has_deposit(player.id, request.deposit_key)
    campaign.require_target(player.id, player.created_at, deposited)
    await require_promotable(uow, player.id, request.now)


async def grant_from_campaign(
    uow: UnitOfWork, ids: IdGenerator, request: GrantRequest, *, shards: int
) -> CampaignGrant:
    """Grant the campaign's bonus to the player, once, or refuse (`CampaignRefused`, the
    standing's refusal, the bonuses' own) with nothing written: the caller rolls back."""
    campaign = request.campaign
    await require_eligible(uow, request)
    offer = offer_of(campaign, request.deposit)
    redemption = Redemption(
        campaign.code, request.player_id, request.key, request.now, offer.amount
    )
    first = await uow.campaigns.claim(redemption)
    if first is not None:
        return CampaignGrant(campaign, first, replayed=True)
    if not await uow.campaigns.take_use(campaign.code):
        raise CampaignRefused(f"campaign {campaign.code!r} has no uses left", "run_out")
    if campaign.free_bet is not None:
        return await _grant_free_bets(uow, ids, request, redemption)
    try:
        bonus = await grant_bonus(
            uow,
            ids,
            player_id=request.player_id,
            offer=offer,
            key=request.key,
            now=request.now,
            shards=shards,
        )
    except BudgetExhausted as error:
        raise CampaignRefused(f"campaign {campaign.code!r}: {error.message}", "run_out") from error
    await uow.campaigns.set_bonus(campaign.code, request.player_id, str(bonus.id))
    granted = Redemption(
        campaign.code, request.player_id, request.key, request.now, offer.amount, str(bonus.id)
    )
    await _audit_grant(
        uow,
        request,
        amount=offer.amount.amount,
        currency=offer.currency.code,
        bonus_id=str(bonus.id),
    )
    return CampaignGrant(campaign, granted, replayed=False)


async def _audit_grant(uow: UnitOfWork, request: GrantRequest, **facts: str | int) -> None:
    """Every grant is audited (`campaign_granted`, subject the player) with what it gave."""
    campaign = request.campaign
    await uow.audit.record(
        AuditEntry(
            AuditAction.CAMPAIGN_GRANTED,
            request.now,
            request.actor,
            f"player:{request.player_id}",
            after={
                "campaign": campaign.code,
                "kind": campaign.kind.value,
                **facts,
                "key": request.key,
            },
        )
    )


async def _grant_free_bets(
    uow: UnitOfWork, ids: IdGenerator, request: GrantRequest, redemption: Redemption
) -> CampaignGrant:
    """A free-bet campaign's grant: its free bets (no money moves; the redemption's amount is
    one free bet's cap), audited as every grant is."""
    campaign = request.campaign
    if (await uow.budgets.get(campaign.code)).remaining < campaign.amount:
        # A budget that cannot pay one free bet's largest win grants no more free bets.
        raise CampaignRefused(f"campaign {campaign.code!r} has run out", "run_out")
    free_bets = await grant_free_bets(uow, ids, campaign, request.player_id, request.now)
    terms = campaign.free_bet
    assert terms is not None  # the caller's condition
    await _audit_grant(
        uow,
        request,
        free_bets=len(free_bets),
        game=terms.game,
        stake=terms.stake.amount,
        max_win=campaign.amount.amount,
        currency=campaign.currency.code,
    )
    return CampaignGrant(campaign, redemption, replayed=False, free_bets=free_bets)


async def grant_quietly(
    uow: UnitOfWork, ids: IdGenerator, request: GrantRequest, *, shards: int
) -> CampaignGrant | None:
    """The grant inside another operation's transaction (a deposit, a registration), which a
    refusal must not fail: every check is made by reading first, under the campaign's row lock
    (so no grant of the same campaign moves the uses, the budget or this player's redemption
    meanwhile), and a campaign that would refuse grants nothing (None, logged), with nothing
    written."""
    campaign = await uow.campaigns.get(request.campaign.code, for_update=True)
    request = replace(request, campaign=campaign)
    try:
        await require_eligible(uow, request)
        if await uow.campaigns.redemption(campaign.code, request.player_id) is not None:
            raise CampaignRefused(f"player {request.player_id} had it", "used")
        amount = campaign.grant_for(request.deposit).amount
        if amount.is_zero():
            raise CampaignRefused("too small a deposit to match", "not_for_you")
        if (await uow.budgets.get(campaign.code)).remaining < amount:
            raise CampaignRefused(f"campaign {campaign.code!r} has run out", "run_out")
        # The bonuses' own rule, read here under the player's lock (as `grant_bonus` takes
        # it): one active bonus per player and currency. Free bets are no bonus (yet).
        await uow.bonuses.lock_player(request.player_id)
        bonus = await uow.bonuses.active_of(request.player_id, campaign.currency)
        if bonus is not None and campaign.free_bet is None:
            raise BonusActive(f"player {request.player_id} has an active bonus")
    except DomainError as refusal:
        log.info(
            "campaign %s grants player %s nothing (%s): %s",
            campaign.code,
            request.player_id,
            request.key,
            refusal.message,
        )
        return None
    return await grant_from_campaign(uow, ids, request, shards=shards)
