"""The stakes a player can pick for a game now (`domain.stakes.StakeRange`): what the bot's stake
picker offers and checks a tapped or typed stake against. Reading it decides nothing: the bet's
placement checks the stake again, with everything else, when the bet is placed."""

from __future__ import annotations

from application.ports import UnitOfWorkFactory
from domain.money import XTR, Currency, Money
from domain.stakes import StakeRange


class GetStakeRange:
    """The game's stake limits in `currency` and the player's balance in it. `GameUnavailable`
    when the game is switched off or not offered in the currency; `NotFound` for an unknown
    player."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int, game: str, currency: Currency = XTR) -> StakeRange:
        async with self._uow() as uow:
            await uow.players.get(player_id)
            limits = (await uow.games.get(game)).limits_for(currency.code)
            wallet = await uow.accounts.wallet(player_id, currency)
        balance = wallet.balance if wallet is not None else 0
        return StakeRange(limits, Money(balance, currency))
