"""A duel's postings, each built one way (the pattern of `domain.postings`), and their keys.

    stake      bet    | duel:{duel}:stake:{seat} | duel:{duel}   wallet → duel escrow
    settlement win    | duel:{duel}:settle       | duel:{duel}   escrow → winner, house bankroll,
                                                                 group owner's wallet
    refund     refund | duel:{duel}:refund       | duel:{duel}   escrow → each stake's wallet

One key per step: a retried accept, a repeated roll or a second expiry job finds the first
posting (a replay) and moves nothing. The duel's state and its posting are written in one
unit of work, so the escrow always holds the stakes of the open duels (reconcile checks)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from domain.duels import Duel, DuelState, Seat, house_cut, split_cut
from domain.errors import IllegalTransition
from domain.ledger import Leg, MetadataValue, Transaction, TransactionKind, transfer_legs
from domain.money import Money


def duel_reference(duel_id: uuid.UUID) -> str:
    return f"duel:{duel_id}"


def duel_stake_key(duel_id: uuid.UUID, seat: Seat) -> str:
    return f"duel:{duel_id}:stake:{seat.value}"


def duel_settlement_key(duel_id: uuid.UUID) -> str:
    return f"duel:{duel_id}:settle"


def duel_refund_key(duel_id: uuid.UUID) -> str:
    return f"duel:{duel_id}:refund"


def _metadata(duel: Duel) -> dict[str, MetadataValue]:
    return {"duel_id": str(duel.id), "game": duel.game, "chat_id": duel.chat_id}


def duel_stake(
    duel: Duel, seat: Seat, transaction_id: uuid.UUID, *, wallet: int, escrow: int, at: datetime
) -> Transaction:
    """One player's stake into the duel escrow (the challenger's at the challenge, the
    challenged player's at the accept)."""
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.BET,
        idempotency_key=duel_stake_key(duel.id, seat),
        legs=transfer_legs(wallet, escrow, duel.stake),
        created_at=at,
        reference=duel_reference(duel.id),
        metadata={**_metadata(duel), "player_id": duel.player_at(seat)},
    )


def settlement_legs(
    pot: Money,
    cut_bps: int,
    *,
    escrow: int,
    winner_wallet: int,
    bankroll: int,
    owner_wallet: int | None = None,
    owner_share_bps: int = 0,
) -> tuple[tuple[Leg, ...], Money]:
    """How a decided pot leaves the escrow, for a duel and a lobby alike (the one place the
    settlement's cut is taken): the prize (the pot less `house_cut`) to the winner, the cut
    to the house bankroll. With `owner_wallet` (the group's owner may receive their share) the
    cut is split (`split_cut`): the house's part to the bankroll, the owner's to their wallet.
    An owner who won gets one leg, prize and share together (an account appears once in a
    transaction). Returns the legs and the owner's part (zero when none is paid)."""
    cut = house_cut(pot, cut_bps)
    owner_part = (
        split_cut(cut, owner_share_bps).owner
        if owner_wallet is not None
        else Money(0, cut.currency)
    )
    credits: dict[int, Money] = {winner_wallet: pot - cut}
    if owner_wallet is not None and not owner_part.is_zero():
        credits[owner_wallet] = credits.get(owner_wallet, Money(0, cut.currency)) + owner_part
    legs = [Leg(escrow, -pot), *(Leg(account, amount) for account, amount in credits.items())]
    house_part = cut - owner_part
    if not house_part.is_zero():
        legs.append(Leg(bankroll, house_part))
    return tuple(legs), owner_part


def refund_legs(escrow: int, stake: Money, wallets: Sequence[int]) -> tuple[Leg, ...]:
    """Each of these wallets' stake back out of the escrow, a duel's and a lobby's alike: one
    leg takes them all out of the escrow, one a wallet puts each back."""
    total = Money(stake.amount * len(wallets), stake.currency)
    return (Leg(escrow, -total), *(Leg(wallet, stake) for wallet in wallets))


def owner_share_metadata(owner_part: Money, owner_id: int | None) -> dict[str, MetadataValue]:
    """What a settlement (a duel's or a lobby's) says of the owner's part when it paid one:
    reconcile checks the split from these and the legs (adapters/postgres/reconcile_duels.py),
    `/groupstats` sums `owner_share`. Nothing when no part was paid."""
    if owner_part.is_zero():
        return {}
    return {"owner_share": owner_part.amount, "owner_id": owner_id}


def duel_settlement(
    duel: Duel,
    transaction_id: uuid.UUID,
    *,
    escrow: int,
    winner_wallet: int,
    bankroll: int,
    at: datetime,
    owner_wallet: int | None = None,
    owner_id: int | None = None,
) -> Transaction:
    """The pot out of escrow: the prize to the winner, the cut to the house, one transaction.
    With `owner_wallet` (the group's owner may receive their share), the cut is split
    (`Duel.cut_split`): the house's part to the bankroll, the owner's to their wallet, in the
    same transaction; without it the house keeps the whole cut. An owner who won the duel
    gets one leg, prize and share together (an account appears once in a transaction)."""
    if duel.state is not DuelState.SETTLED or duel.winner_id is None:
        raise IllegalTransition(f"duel {duel.id} is {duel.state}, not settled")
    legs, owner_part = settlement_legs(
        duel.pot,
        duel.cut_bps,
        escrow=escrow,
        winner_wallet=winner_wallet,
        bankroll=bankroll,
        owner_wallet=owner_wallet,
        owner_share_bps=duel.owner_share_bps,
    )
    metadata: dict[str, MetadataValue] = {
        **_metadata(duel),
        "winner_id": duel.winner_id,
        "cut": duel.cut.amount,
        **owner_share_metadata(owner_part, owner_id),
    }
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.WIN,
        idempotency_key=duel_settlement_key(duel.id),
        legs=legs,
        created_at=at,
        reference=duel_reference(duel.id),
        metadata=metadata,
    )


def duel_refund(
    duel: Duel,
    held: DuelState,
    transaction_id: uuid.UUID,
    *,
    escrow: int,
    wallets: Mapping[Seat, int],
    at: datetime,
) -> Transaction:
    """Every stake the escrow held for the duel (`held`: its state before it ended) back to
    its wallet: the challenger's alone before an accept, both after."""
    if duel.state not in (DuelState.REFUNDED, DuelState.DECLINED, DuelState.EXPIRED):
        raise IllegalTransition(f"duel {duel.id} is {duel.state}, not refunded")
    if held.escrowed_stakes == 0:
        raise IllegalTransition(f"a {held} duel holds no stake")
    seats = (Seat.CHALLENGER, Seat.CHALLENGED)[: held.escrowed_stakes]
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.REFUND,
        idempotency_key=duel_refund_key(duel.id),
        legs=refund_legs(escrow, duel.stake, [wallets[seat] for seat in seats]),
        created_at=at,
        reference=duel_reference(duel.id),
        metadata={**_metadata(duel), "state": duel.state.value},
    )
