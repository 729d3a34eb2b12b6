"""Open a mines game: a bet placed on the one road, and its field fixed from the seeds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from application.betting import BetReceipt, PlaceBet, PlaceBetCommand
from application.mines.view import MinesView
from application.ports import Clock, UnitOfWork
from domain.errors import IllegalTransition, InvalidRequest
from domain.fairness import uint32_stream
from domain.games.mines import Mines, mine_positions
from domain.mines import MinesField
from domain.money import Money


@dataclass(frozen=True, slots=True)
class OpenMinesCommand:
    player_id: int
    request_id: uuid.UUID  # the game's id and its bet's: a repeat opens nothing new
    stake: Money
    mines: int


class OpenMines:
    """Open a mines game. The stake is a bet placed through `PlaceBet` (standing, terms,
    responsible-gambling limits, velocity, game limits at the largest multiplier, bankroll,
    funds, the next nonce, idempotency on the id): it stays placed while the game is open. In
    the same transaction the mines are fixed from the bet's seeds and nonce (Stake's shuffle)
    and kept beside it. One open game per player and currency: a second is refused
    (`IllegalTransition`), and the database's unique index refuses one that raced past.
    A repeat of the request returns the game as it stands now."""

    def __init__(self, place: PlaceBet, clock: Clock) -> None:
        self._place = place
        self._clock = clock

    async def __call__(self, command: OpenMinesCommand) -> MinesView:
        game = Mines()
        params = {"mines": str(command.mines)}
        game.parse(params)  # the mine count's own error before anything else
        bet = PlaceBetCommand(
            player_id=command.player_id,
            bet_id=command.request_id,
            game=game.code,
            stake=command.stake,
            params=params,
            opens_steps=True,
        )
        return await self._place.place_with(bet, self._keep_field)

    async def _keep_field(self, uow: UnitOfWork, receipt: BetReceipt) -> MinesView:
        bet = receipt.bet
        if receipt.replayed:
            kept = await uow.mines.find(bet.id)
            if kept is None:  # pragma: no cover - the bet and its field commit together
                raise IllegalTransition(f"mines game {bet.id} has no field")
            return MinesView.of(kept, bet, receipt.balance, replayed=True)
        currency = bet.stake.currency.code
        already = await uow.mines.open_for(bet.player_id, currency)
        if already is not None:
            raise IllegalTransition(
                f"you have an open mines game in {currency} ({already.id}): "
                "cash out or finish it first"
            )
        if bet.fairness is None:  # pragma: no cover - Bet.place requires it for mines
            raise InvalidRequest("a mines bet needs its seeds")
        pair = await uow.seeds.get(bet.fairness.seed_pair_id)
        words = uint32_stream(pair.server_seed, pair.client_seed, bet.fairness.nonce)
        assert bet.selection.value is not None
        field = MinesField.open(
            bet.id,
            bet.player_id,
            currency,
            mine_positions(words, bet.selection.value),
            self._clock.now(),
        )
        if not await uow.mines.add(field):
            raise IllegalTransition(
                f"you have an open mines game in {currency}: cash out or finish it first"
            )
        return MinesView.of(field, bet, receipt.balance)
