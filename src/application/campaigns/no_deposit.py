"""No-deposit grants: to a new player when they become able to receive one (their first
confirmation of 18+ and the terms, which the bot asks at the first /start), and by staff to a
list of players."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.campaigns.granting import CampaignGrant, GrantRequest, grant_quietly
from application.house import HouseBook
from application.ledger_use_case import LedgerUseCase
from application.onboarding import AcceptTerms
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.staff import Actor
from domain.campaigns import Audience, Campaign, CampaignKind, normalise_code
from domain.errors import InvalidField, InvalidRequest
from domain.players import Player

MAX_PLAYERS_AT_ONCE = 500


def list_key(campaign: Campaign, player_id: int) -> str:
    """The key of a grant not typed by the player (a welcome, a staff list)."""
    if campaign.kind is CampaignKind.FREE_BET:
        return f"free-bets:{campaign.code}:{player_id}"
    return f"no-deposit:{campaign.code}:{player_id}"


async def welcome_grants(
    uow: UnitOfWork, ids: IdGenerator, *, player_id: int, now: datetime, shards: int
) -> list[CampaignGrant]:
    """Inside the caller's transaction (never failing it): the bonus of every open no-deposit
    campaign for new players that gives this player one (one per currency at most: the
    bonuses' own rule refuses a second active bonus, and the campaign is then skipped)."""
    grants: list[CampaignGrant] = []
    campaigns = [
        *await uow.campaigns.open_of_kind(CampaignKind.NO_DEPOSIT, None, now),
        # A free-bet campaign for new players welcomes them the same way.
        *await uow.campaigns.open_of_kind(CampaignKind.FREE_BET, None, now),
    ]
    for campaign in campaigns:
        if campaign.target.audience is not Audience.NEW_PLAYERS:
            continue
        request = GrantRequest(campaign, player_id, list_key(campaign, player_id), now, "system")
        grant = await grant_quietly(uow, ids, request, shards=shards)
        if grant is not None:
            grants.append(grant)
    return grants


class WelcomeOnAcceptance(AcceptTerms):
    """`AcceptTerms` (the bot's first /start, the Mini App, a service) that also grants the
    welcome campaigns (`welcome_grants`) in the same transaction, the first time only: the
    first moment a new player may receive a promotion (an unconfirmed player may not)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, house: HouseBook
    ) -> None:
        super().__init__(uow, clock)
        self._ids = ids
        self._house = house

    async def _first_accepted(self, uow: UnitOfWork, player: Player) -> None:
        await welcome_grants(
            uow, self._ids, player_id=player.id, now=self._clock.now(), shards=self._house.shards
        )


@dataclass(frozen=True, slots=True)
class ListGrant:
    granted: tuple[CampaignGrant, ...]  # the new grants
    skipped: tuple[int, ...]  # players given nothing: had it, not eligible (logged with why)


class GrantCampaignToPlayers(LedgerUseCase):
    """Staff grant a no-deposit campaign's bonus to players they name, each in a transaction
    of their own, each checked as any grant is (open, target, standing, once, budget): a
    player it would refuse is skipped, not an error. Audited per grant, by the staff
    member."""

    async def __call__(self, code: str, players: Sequence[int], actor: Actor) -> ListGrant:
        if not players:
            raise InvalidField("players", "name at least one player")
        if len(players) > MAX_PLAYERS_AT_ONCE:
            raise InvalidField("players", f"at most {MAX_PLAYERS_AT_ONCE} players at once")
        granted: list[CampaignGrant] = []
        skipped: list[int] = []
        for player_id in dict.fromkeys(players):
            async with self._uow() as uow:
                campaign = await uow.campaigns.get(normalise_code(code))
                if campaign.kind not in (CampaignKind.NO_DEPOSIT, CampaignKind.FREE_BET):
                    raise InvalidRequest(
                        "only a no-deposit or free-bet campaign is granted by staff"
                    )
                now = self._clock.now()
                request = GrantRequest(
                    campaign, player_id, list_key(campaign, player_id), now, actor.label
                )
                grant = await grant_quietly(uow, self._ids, request, shards=self._house.shards)
                await uow.commit()
            if grant is None:
                skipped.append(player_id)
            else:
                granted.append(grant)
        return ListGrant(tuple(granted), tuple(skipped))
