"""What a step on an open mines game shares (`RevealTile`, `CashOutMines`, `VoidMines`): the
game found under its bet's row lock, the step taken in the domain, and the bet settled (or,
voided before its first tile, refunded) when the step ends the game."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from application.betting.poster import BetPoster
from application.mines.view import MinesView
from application.ports import UnitOfWork
from application.responsible.guard import ALWAYS_GUARDED
from domain.bets import Bet
from domain.errors import NotFound
from domain.events import bet_ended
from domain.games.catalog import game_by_code
from domain.games.mines import Mines
from domain.mines import MinesField, MinesState, PayoutCap
from domain.standing import Operation


async def find_game(
    uow: UnitOfWork, game_id: uuid.UUID, player_id: int, *, for_update: bool = False
) -> tuple[Bet, MinesField]:
    """The player's mines game and its bet; `NotFound` for anyone else's (or none)."""
    bet = await uow.bets.find(game_id, for_update=for_update)
    field = None if bet is None or bet.player_id != player_id else await uow.mines.find(game_id)
    if bet is None or field is None:
        raise NotFound(f"there is no mines game {game_id}")
    return bet, field


class MinesStep(BetPoster):
    """A step: under the bet's row lock, so concurrent steps on one game run one after the
    other and each sees the last one's result (exactly one settles the bet). A step that
    changes nothing (a tile already revealed, a second cash-out) commits nothing and
    answers the game as it stands, whatever the player's standing (a repeat is never
    refused); a refused step writes nothing. A step that changes the game asks the player's
    standing for its `operation` (a reveal plays on, `PLAY_ON`; a cash-out collects,
    `SETTLE`, never refused; so is a void). The step sees the game's payout cap as its bet
    fixed it (`PayoutCap`). A game that ends settles its bet at the field's outcome, or, voided
    before its first tile, voids it on the bets' one road (`Bet.void`: the stake back from bets
    in play to the wallet, one balanced transaction, `BetVoided`)."""

    async def _step(
        self,
        game_id: uuid.UUID,
        player_id: int,
        operation: Operation,
        step: Callable[[MinesField, PayoutCap], MinesField],
    ) -> MinesView:
        settled: Bet | None = None
        async with self._uow() as uow:
            bet, field = await find_game(uow, game_id, player_id, for_update=True)
            after = step(field, PayoutCap.of(bet))
            if after is field:
                return MinesView.of(field, bet, await self._balance(uow, bet), replayed=True)
            if operation is Operation.PLAY_ON:
                standing = await uow.players.standing(player_id)
                await ALWAYS_GUARDED.check_play_on(uow, standing, self._clock.now())
            await uow.mines.save(after)
            if after.state.is_final:
                settled = self._end(bet, after)
                await self._post_settlement(uow, settled)
                await uow.bets.save(settled)
                uow.raise_events(bet_ended(settled))
                bet = settled
            view = MinesView.of(after, bet, await self._balance(uow, bet))
            await uow.commit()
        if settled is not None:
            self._metrics.settled(settled)
        return view

    def _end(self, bet: Bet, field: MinesField) -> Bet:
        """The bet of a game the step ended: voided with its field, else settled."""
        now, transaction = self._clock.now(), self._ids.new_id()
        if field.state is MinesState.VOIDED:
            return bet.void(VOID_REASON, at=now, transaction_id=transaction)
        game = game_by_code(bet.game)
        assert isinstance(game, Mines)
        return bet.settle(game, field.outcome, at=now, transaction_id=transaction)


# The reason a voided mines bet records (history, the events, staff screens).
VOID_REASON = "mines game ended before its first tile; stake returned (docs/fairness.md, Mines)"
