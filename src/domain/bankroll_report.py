"""The bankroll report's arithmetic (issue 24): per currency, the house's money and what it
owes players, from the ledger's balances summed per account kind (every shard of a house
account; every player's wallet). Exact integers in minor units; the provider's side (money
held at Crypto Pay, by the books and by `getBalance`) is added by the use case.

- `bankroll`: the house bankroll, summed over its shards: the house's own capital that backs
  every win (it goes negative when players have won more than it held).
- `player_balances`: the players' wallets: cash they may withdraw at any time, the first
  liability.
- `bets_in_play`: stakes of bets placed and not settled yet (and duel stakes in escrow): owed
  back or paid out when they settle.
- `withdrawals_in_flight`: withdrawals requested (pending review) and approved (out with the
  payout gateway): the players' money until they are paid or returned.
- `liability` = player balances + bets in play + withdrawals in flight: what the house owes
  players now. Bonus money (`bonus_balances`) is shown apart: it is not cash until its
  wagering is met."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.accounts import AccountKind


@dataclass(frozen=True, slots=True)
class AccountTotal:
    """The sum of the balances of every account of one kind in one currency (minor units)."""

    currency: str
    kind: str
    balance: int


@dataclass(frozen=True, slots=True)
class HouseMoney:
    """One currency's line of the bankroll report, in minor units."""

    currency: str
    bankroll: int = 0
    player_balances: int = 0
    bonus_balances: int = 0
    bets_in_play: int = 0
    withdrawals_in_flight: int = 0

    @property
    def liability(self) -> int:
        return self.player_balances + self.bets_in_play + self.withdrawals_in_flight


# Which account kinds each column sums.
_COLUMNS: dict[AccountKind, str] = {
    AccountKind.HOUSE_BANKROLL: "bankroll",
    AccountKind.PLAYER_WALLET: "player_balances",
    AccountKind.PLAYER_BONUS: "bonus_balances",
    AccountKind.BETS_IN_PLAY: "bets_in_play",
    AccountKind.DUEL_ESCROW: "bets_in_play",
    AccountKind.WITHDRAWALS_PENDING: "withdrawals_in_flight",
    AccountKind.PAYOUT_CLEARING: "withdrawals_in_flight",
}


def house_money(totals: Iterable[AccountTotal], currencies: Iterable[str] = ()) -> list[HouseMoney]:
    """One line per currency found in `totals` or named in `currencies` (zeros included),
    ordered by currency code. Kinds the report does not show (clearing, adjustments,
    promotions, money held at a provider) are left out here."""
    sums: dict[str, dict[str, int]] = {code: {} for code in currencies}
    for total in totals:
        column = sums.setdefault(total.currency, {})
        try:
            name = _COLUMNS.get(AccountKind(total.kind))
        except ValueError:
            name = None  # a kind this code does not know (a newer migration): not shown
        if name is not None:
            column[name] = column.get(name, 0) + total.balance
    return [HouseMoney(code, **sums[code]) for code in sorted(sums)]
