"""The one road a duel's money leaves the escrow by: a settled duel pays the winner the pot
less the cut and the house the cut (one transaction); a declined, expired or refunded one
returns every stake it held (one transaction). Called by the step that ended the duel, in
its unit of work, under the duel's lock: the duel's end and its posting commit together, and
the posting's key (`duel:<id>:settle` or `:refund`) makes a second one a replay.

The group owner's share of the cut goes in the same transaction to the wallet of the group's
owner when they may receive it now (`DuelBooks._owner_wallet`, which a lobby's settlement
shares); otherwise the house keeps the whole cut (docs/duels.md, "The group owner's share")."""

from __future__ import annotations

from datetime import datetime

from application.duels.books import DuelBooks
from application.ports import UnitOfWork
from domain.duels import Duel, DuelState, Seat
from domain.duels_postings import duel_refund, duel_settlement
from domain.ledger import PostedTransaction


class DuelSettlement(DuelBooks):
    async def close(
        self, uow: UnitOfWork, duel: Duel, held: DuelState, now: datetime
    ) -> PostedTransaction:
        """`duel` has just ended (final); `held` is its state before, which says how many
        stakes the escrow holds for it. Saves the duel, then posts."""
        await uow.duels.save(duel)
        escrow = await self._escrow(uow, duel)
        currency = duel.stake.currency
        if duel.state is DuelState.SETTLED and duel.winner_id is not None:
            owner = await self._owner_wallet(uow, duel.chat_id, duel.cut_split.owner, now)
            winner = await uow.accounts.open_wallet(duel.winner_id, currency)
            return await self._post(
                uow,
                duel_settlement(
                    duel,
                    self._ids.new_id(),
                    escrow=escrow,
                    winner_wallet=winner.id,
                    bankroll=await self._bankroll(uow, duel),
                    at=now,
                    owner_wallet=None if owner is None else owner[0],
                    owner_id=None if owner is None else owner[1],
                ),
            )
        wallets = {
            seat: (await uow.accounts.open_wallet(duel.player_at(seat), currency)).id
            for seat in (Seat.CHALLENGER, Seat.CHALLENGED)
        }
        return await self._post(
            uow,
            duel_refund(duel, held, self._ids.new_id(), escrow=escrow, wallets=wallets, at=now),
        )
