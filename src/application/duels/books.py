"""What every step of a duel shares: finding its players, the standing and limits of a stake
(a duel's stake is a bet: the responsible-gambling guard's bet check, in player-id order so
two duels between the same players cannot deadlock on their locks), the escrow's shard, and
posting with its event, and the wallet the group owner's share of a settlement goes to (a
duel's and a lobby's alike)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from application.duels.errors import DuelistUnknown, OpponentUnavailable
from application.house import HouseBook
from application.ledger_use_case import LedgerUseCase
from application.ports import Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.promotions.paying import require_promotable
from application.responsible.guard import ALWAYS_GUARDED
from domain.accounts import AccountKind
from domain.duels import Duel, DuelRules, Seat
from domain.duels_postings import duel_stake
from domain.errors import DomainError, NotFound
from domain.events import transactions_posted
from domain.ledger import PostedTransaction, Transaction
from domain.money import Money
from domain.standing import Operation, TermsNotAccepted


class DuelBooks(LedgerUseCase):
    async def _player_of(self, uow: UnitOfWork, telegram_user_id: int) -> int:
        player = await uow.players.find_by_telegram_id(telegram_user_id)
        if player is None:
            raise DuelistUnknown(
                "start the bot in a private chat first",
                telegram_user_id=telegram_user_id,
                username=None,
            )
        return player.id

    async def _check_players(
        self,
        uow: UnitOfWork,
        players: Sequence[int],
        *,
        actor: int,
        staking: int | None,
        stake: Money,
        now: datetime,
    ) -> None:
        """Every player's standing (a duel's two, a lobby's seats), lowest id first (their
        responsible-gambling locks are taken in that order, so two duels between the same
        players cannot deadlock).
        `staking`, whose stake goes into escrow now, gets the guard's whole bet check (limits
        and reality check included: a duel's stake is a bet and counts in the limits); the
        others, whose stake is already held or not yet asked for, the standing with their
        exclusion (`staking` None: nobody stakes now, a lobby's start). The actor's own
        refusal is theirs to read; another player's is `DuelistUnknown` when they never
        confirmed 18+ and the terms (they are sent to the private chat, like a newcomer),
        else `OpponentUnavailable`, which says nothing of why."""
        for player_id in sorted(players):
            standing = await uow.players.standing(player_id)
            try:
                if player_id == staking:
                    await ALWAYS_GUARDED.check_bet(uow, standing, stake, now)
                else:
                    repo = uow.responsible
                    if await repo.lock(player_id):
                        exclusion = (await repo.profile(player_id)).exclusion
                        standing = standing.with_exclusion(exclusion)
                    standing.require(Operation.BET, now)
            except DomainError as refusal:
                if player_id == actor:
                    raise
                if isinstance(refusal, TermsNotAccepted):
                    # Not a secret: they have an account but never confirmed 18+ and the
                    # terms, so they are sent to the private chat like a newcomer.
                    raise DuelistUnknown(
                        "the other player has not confirmed 18+ and the terms",
                        telegram_user_id=None,
                        username=None,
                    ) from refusal
                raise OpponentUnavailable("the other player cannot duel now") from refusal

    async def _locked(self, uow: UnitOfWork, duel_id: uuid.UUID) -> Duel:
        duel = await uow.duels.lock(duel_id)
        if duel is None:
            raise NotFound(f"no duel {duel_id}")
        return duel

    async def _escrow(self, uow: UnitOfWork, duel: Duel) -> int:
        # Every posting of a duel uses the challenger's shard: the escrow a stake went into is
        # the one its settlement or refund takes it from.
        return await self._house.account_for(
            uow.accounts, AccountKind.DUEL_ESCROW, duel.stake.currency, duel.challenger_id
        )

    async def _bankroll(self, uow: UnitOfWork, duel: Duel) -> int:
        return await self._house.account_for(
            uow.accounts, AccountKind.HOUSE_BANKROLL, duel.stake.currency, duel.challenger_id
        )

    async def _post(self, uow: UnitOfWork, transaction: Transaction) -> PostedTransaction:
        posted = await uow.ledger.post(transaction)
        uow.raise_events(*transactions_posted(posted))
        return posted

    async def _owner_wallet(
        self, uow: UnitOfWork, chat_id: int, owner_part: Money, now: datetime
    ) -> tuple[int, int] | None:
        """(wallet, player id) of the group's owner when their part of a settlement's cut
        (`owner_part`, the duel's or lobby's `cut_split.owner`) is due, else None (the house
        keeps the whole cut). Due when the group has a known owner who is a player who may
        receive a promotion now (the standing check every commission makes, registered, 18+
        and the terms confirmed, not blocked, not on a break or self-excluded). Checked before
        any ledger lock is taken: the owner's responsible-gambling lock comes after the duel's
        or lobby's row lock, and no step holding an owner's lock waits for that row."""
        if owner_part.is_zero():
            return None
        group = await uow.duel_groups.find(chat_id)
        if group is None or group.owner_telegram_id is None:
            return None
        owner = await uow.players.find_by_telegram_id(group.owner_telegram_id)
        if owner is None:
            return None
        try:
            await require_promotable(uow, owner.id, now)
        except DomainError:
            return None
        wallet = await uow.accounts.open_wallet(owner.id, owner_part.currency)
        return wallet.id, owner.id

    async def _stake(self, uow: UnitOfWork, duel: Duel, seat: Seat, now: datetime) -> None:
        """The seat's stake from its player's wallet into the duel's escrow."""
        wallet = await uow.accounts.open_wallet(duel.player_at(seat), duel.stake.currency)
        escrow = await self._escrow(uow, duel)
        stake = duel_stake(duel, seat, self._ids.new_id(), wallet=wallet.id, escrow=escrow, at=now)
        await self._post(uow, stake)


class RuledDuelBooks(DuelBooks):
    """The steps that need the house's terms (the windows): the challenge and the accept."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        rules: DuelRules,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._rules = rules
