"""A player plays a free bet (the bot's button, the Mini App): the one road every door calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from application.bonuses.granting import grant_bonus
from application.house import HouseBook
from application.ledger_use_case import LedgerUseCase
from application.ports import Clock, IdGenerator, SeedSource, UnitOfWork, UnitOfWorkFactory
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.seeds import take_nonce
from domain.bets import FairnessProof
from domain.bonuses import Bonus, BonusActive, BonusOffer
from domain.campaigns import Campaign, CampaignRefused
from domain.errors import GameUnavailable, IdempotencyConflict, NotFound
from domain.free_bets import FreeBet, FreeBetState, free_bet_key
from domain.money import Money


@dataclass(frozen=True, slots=True)
class FreeBetResult:
    """A played free bet (its `play` holds the outcome, proof and winnings) and the bonus its
    winnings became (None for no winnings). `replayed`: it was played before; this is that
    play, nothing happened again."""

    free_bet: FreeBet
    bonus: Bonus | None
    replayed: bool


def winnings_offer(campaign: Campaign, winnings: Money) -> BonusOffer:
    """The bonus a free bet's winnings become: the campaign's terms, wagered on the winnings,
    spent from the campaign's budget."""
    return BonusOffer(
        amount=winnings,
        wagering_multiple=campaign.terms.wagering_multiple,
        wagering_base=winnings,
        expires_after=campaign.terms.expires_after,
        max_stake=campaign.terms.max_stake,
        campaign=campaign.code,
        budget=campaign.code,
    )


class PlayFreeBet(LedgerUseCase):
    """Play one of the player's free bets, in one unit of work:

    1. the guard's bet check with the free bet's stake (standing, exclusion, wager and loss
       limits, reality check: a player who could not bet the stake cannot play it), then the
       promotion check (a player refused promotions plays no free bet);
    2. the free bet's row lock (a second play of it waits here, then answers the first);
       still granted and in time (else `free_bet_unavailable`, rule `expired`);
    3. the game is switched on; no other active bonus in the currency (`bonus_active`: the
       winnings become a bonus, one at a time); the campaign's budget can pay the largest win
       (its row locked: `campaign_refused`, rule `run_out`), so a win is never refused after
       the outcome is known;
    4. the next nonce of the player's seed pair (`application.seeds.take_nonce`, as a bet
       takes it), the outcome by the game's own engine;
    5. winnings (payout less stake, at most `max_win`) granted as a bonus through
       `grant_bonus`; the free bet saved as played with its proof.

    Idempotent: a free bet played before answers with that play (`replayed`), whatever the
    player's standing is now."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        seeds: SeedSource,
        guard: ResponsibleGamblingGuard = ALWAYS_GUARDED,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._seeds = seeds
        self._guard = guard

    async def __call__(self, player_id: int, free_bet_id: uuid.UUID) -> FreeBetResult:
        async with self._uow() as uow:
            free_bet = await self._mine(uow, player_id, free_bet_id, lock=False)
            if free_bet.state is FreeBetState.PLAYED:
                return await _replay(uow, free_bet)
            now = self._clock.now()
            # The player's responsible-gambling lock comes first, as for a bet.
            standing = await uow.players.standing(player_id)
            await self._guard.check_bet(uow, standing, free_bet.stake, now)
            await self._guard.check_promotion(uow, standing, now)
            free_bet = await self._mine(uow, player_id, free_bet_id, lock=True)
            if free_bet.state is FreeBetState.PLAYED:  # a twin play committed meanwhile
                return await _replay(uow, free_bet)
            free_bet.require_playable(now)
            config = await uow.games.get(free_bet.game)
            if not config.enabled:
                raise GameUnavailable(f"{free_bet.game} is switched off")
            await uow.bonuses.lock_player(player_id)
            active = await uow.bonuses.active_of(player_id, free_bet.currency)
            if active is not None:
                raise BonusActive(
                    f"an active bonus of {active.amount}: the free bet's winnings would be a"
                    " second one; play it once that bonus has ended"
                )
            if await uow.free_bets.budget_left(free_bet.campaign) < free_bet.max_win:
                raise CampaignRefused(f"campaign {free_bet.campaign!r} has run out", "run_out")
            taken = await take_nonce(uow, self._seeds, player_id, now)
            if taken is None:  # pragma: no cover - the pair rotated twice during this play
                raise IdempotencyConflict("the seed pair changed meanwhile; play again")
            pair, nonce = taken
            play = free_bet.decide(
                server_seed=pair.server_seed,
                proof=FairnessProof(pair.id, nonce, pair.server_seed_hash, pair.client_seed),
                house_edge=config.house_edge,
                now=now,
            )
            bonus = None
            if play.won:
                campaign = await uow.campaigns.get(free_bet.campaign)
                bonus = await grant_bonus(
                    uow,
                    self._ids,
                    player_id=player_id,
                    offer=winnings_offer(campaign, play.winnings),
                    key=free_bet_key(free_bet.id),
                    now=now,
                    shards=self._house.shards,
                )
                play = replace(play, bonus_id=bonus.id)
            played = free_bet.played(play)
            await uow.free_bets.save(played)
            await uow.commit()
        return FreeBetResult(played, bonus, replayed=False)

    @staticmethod
    async def _mine(
        uow: UnitOfWork, player_id: int, free_bet_id: uuid.UUID, *, lock: bool
    ) -> FreeBet:
        free_bet = await uow.free_bets.get(free_bet_id, for_update=lock)
        if free_bet.player_id != player_id:
            raise NotFound(f"there is no free bet {free_bet_id}")
        return free_bet


async def _replay(uow: UnitOfWork, free_bet: FreeBet) -> FreeBetResult:
    play = free_bet.play
    bonus = None
    if play is not None and play.bonus_id is not None:
        bonus = await uow.bonuses.get(play.bonus_id)
    return FreeBetResult(free_bet, bonus, replayed=True)
