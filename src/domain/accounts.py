"""Accounts of the ledger: one wallet per player per currency, one bonus account per player per
currency (bonus money, never mixed into the cash balance: docs/bonuses.md), and the house's
accounts."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from domain.errors import InsufficientFunds, InvalidTransaction
from domain.money import Currency, Money, check_int64


class AccountKind(enum.StrEnum):
    PLAYER_WALLET = "player_wallet"
    HOUSE_BANKROLL = "house_bankroll"
    BETS_IN_PLAY = "bets_in_play"
    DEPOSITS_CLEARING = "deposits_clearing"
    WITHDRAWALS_PENDING = "withdrawals_pending"
    ADJUSTMENTS = "adjustments"
    # Approved withdrawals handed to the payout gateway and not yet confirmed paid or failed.
    PAYOUT_CLEARING = "payout_clearing"
    # A player's bonus money in one currency: granted by a promotion, not cash until its
    # wagering completes (then it converts into the wallet), forfeited back otherwise.
    PLAYER_BONUS = "player_bonus"
    # The house's side of every promotion: bonus grants, conversions are paid from it, forfeits
    # return to it, rakeback and referral commission come out of it. Its balance is the
    # promotions' cost so far (negative by design, like the adjustments account).
    PROMOTIONS = "promotions"
    # The stakes of group-chat duels, from each stake until the duel settles or is refunded
    # (docs/duels.md). Never negative: it holds exactly the open duels' stakes.
    DUEL_ESCROW = "duel_escrow"
    # Money players paid in through Crypto Pay and the app holds there, per asset
    # (docs/payments-crypto.md). Negative by design like the deposits clearing account (a
    # deposit credits the player against it): its negated sum is what Crypto Pay holds for us
    # from deposits, which reconcile compares with the invoices credited.
    CRYPTO_PAY_HELD = "crypto_pay_held"

    @property
    def is_player(self) -> bool:
        """Owned by one player (a wallet, a bonus account); every other account is the
        house's, sharded."""
        return self in _PLAYERS

    @property
    def is_house(self) -> bool:
        return not self.is_player

    @property
    def may_go_negative(self) -> bool:
        """Whose balance may fall below zero.

        Players can never owe the house, and money in play, waiting for a withdrawal's
        approval or out with the payout gateway is a real liability that cannot be negative.
        The bankroll, the clearing account for money arriving from outside, the adjustments
        and the promotions accounts are the house's side of the books: they go negative by
        design (a deposit is owed to the player before the provider settles; the house's
        first win against an empty bankroll is still a win; a promotion's cost is the house's
        spending). A player's bonus account is money held for the player: never negative."""
        return self in _MAY_GO_NEGATIVE


_PLAYERS = frozenset({AccountKind.PLAYER_WALLET, AccountKind.PLAYER_BONUS})
_MAY_GO_NEGATIVE = frozenset(
    {
        AccountKind.HOUSE_BANKROLL,
        AccountKind.DEPOSITS_CLEARING,
        AccountKind.ADJUSTMENTS,
        AccountKind.PROMOTIONS,
        AccountKind.CRYPTO_PAY_HELD,
    }
)

# House accounts are split into shards so that no single row is locked by every bet in the
# casino: a bet touches the player's wallet and the shard chosen by the player's id.
DEFAULT_HOUSE_SHARDS = 16


def house_shard_for(player_id: int, shards: int) -> int:
    """The house shard that carries a player's side of the books; stable, so a replayed
    request builds exactly the same legs."""
    if shards < 1:
        raise InvalidTransaction("house accounts need at least one shard")
    return player_id % shards


@dataclass(slots=True)
class Account:
    """An account and its balance. The balance changes only through `apply`, the same rule the
    database enforces with CHECK (allow_negative OR balance >= 0)."""

    id: int
    kind: AccountKind
    currency: Currency
    balance: int = 0
    player_id: int | None = None
    shard: int | None = None

    def __post_init__(self) -> None:
        if self.kind.is_player != (self.player_id is not None):
            raise InvalidTransaction(
                "a player's wallet or bonus account needs a player; a house account has none"
            )
        check_int64(self.balance, "balance")

    @property
    def may_go_negative(self) -> bool:
        return self.kind.may_go_negative

    @property
    def money(self) -> Money:
        return Money(self.balance, self.currency)

    def apply(self, delta: int) -> int:
        new_balance = check_int64(self.balance + delta, "balance")
        if new_balance < 0 and not self.may_go_negative:
            raise InsufficientFunds(
                f"account {self.id} ({self.kind}) holds {Money(self.balance, self.currency)}, "
                f"cannot take {Money(-delta, self.currency)}",
                available=self.money if self.kind is AccountKind.PLAYER_WALLET else None,
            )
        self.balance = new_balance
        return new_balance
