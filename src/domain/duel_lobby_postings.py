"""A duel lobby's postings (the pattern of `domain.duels_postings`), and their keys.

    stake      bet    | lobby:{id}:seat:{n}:stake | lobby:{id}   wallet → duel escrow
    leave      refund | lobby:{id}:seat:{n}:leave | lobby:{id}   duel escrow → wallet
    settlement win    | lobby:{id}:settle         | lobby:{id}   escrow → winner, house bankroll,
                                                                  group owner's wallet
    refund     refund | lobby:{id}:refund         | lobby:{id}   escrow → each seated wallet

A seat is taken once (a player who left does not come back), so its number keys its stake and
its return: a retried join or leave finds the first posting and moves nothing twice. Every
posting of a lobby uses the opener's shard of the escrow and the bankroll."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from domain.duel_lobbies import Lobby, LobbySeat, LobbyState
from domain.duels_postings import owner_share_metadata, refund_legs, settlement_legs
from domain.errors import IllegalTransition
from domain.ledger import MetadataValue, Transaction, TransactionKind, transfer_legs


def lobby_reference(lobby_id: uuid.UUID) -> str:
    return f"lobby:{lobby_id}"


def lobby_stake_key(lobby_id: uuid.UUID, seat: int) -> str:
    return f"lobby:{lobby_id}:seat:{seat}:stake"


def lobby_leave_key(lobby_id: uuid.UUID, seat: int) -> str:
    return f"lobby:{lobby_id}:seat:{seat}:leave"


def lobby_settlement_key(lobby_id: uuid.UUID) -> str:
    return f"lobby:{lobby_id}:settle"


def lobby_refund_key(lobby_id: uuid.UUID) -> str:
    return f"lobby:{lobby_id}:refund"


def _metadata(lobby: Lobby) -> dict[str, MetadataValue]:
    return {"lobby_id": str(lobby.id), "game": lobby.game, "chat_id": lobby.chat_id}


def lobby_stake(
    lobby: Lobby,
    seat: LobbySeat,
    transaction_id: uuid.UUID,
    *,
    wallet: int,
    escrow: int,
    at: datetime,
) -> Transaction:
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.BET,
        idempotency_key=lobby_stake_key(lobby.id, seat.number),
        legs=transfer_legs(wallet, escrow, lobby.stake),
        created_at=at,
        reference=lobby_reference(lobby.id),
        metadata={**_metadata(lobby), "player_id": seat.player_id, "seat": seat.number},
    )


def lobby_leave(
    lobby: Lobby,
    seat: LobbySeat,
    transaction_id: uuid.UUID,
    *,
    wallet: int,
    escrow: int,
    at: datetime,
) -> Transaction:
    if seat.seated:
        raise IllegalTransition(f"seat {seat.number} of lobby {lobby.id} is still taken")
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.REFUND,
        idempotency_key=lobby_leave_key(lobby.id, seat.number),
        legs=transfer_legs(escrow, wallet, lobby.stake),
        created_at=at,
        reference=lobby_reference(lobby.id),
        metadata={**_metadata(lobby), "player_id": seat.player_id, "seat": seat.number},
    )


def lobby_settlement(
    lobby: Lobby,
    transaction_id: uuid.UUID,
    *,
    escrow: int,
    winner_wallet: int,
    bankroll: int,
    at: datetime,
    owner_wallet: int | None = None,
    owner_id: int | None = None,
) -> Transaction:
    """The pot (every seated stake) out of escrow, as a duel's settlement
    (`domain.duels_postings.duel_settlement`): the prize to the winner, the cut to the house,
    split with the group's owner when `owner_wallet` is given (`settlement_legs`, the lobby's
    fixed `owner_share_bps`), with the same metadata (`owner_share`, `owner_id`)."""
    if lobby.state is not LobbyState.SETTLED or lobby.winner_id is None:
        raise IllegalTransition(f"lobby {lobby.id} is {lobby.state}, not settled")
    legs, owner_part = settlement_legs(
        lobby.pot,
        lobby.cut_bps,
        escrow=escrow,
        winner_wallet=winner_wallet,
        bankroll=bankroll,
        owner_wallet=owner_wallet,
        owner_share_bps=lobby.owner_share_bps,
    )
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.WIN,
        idempotency_key=lobby_settlement_key(lobby.id),
        legs=legs,
        created_at=at,
        reference=lobby_reference(lobby.id),
        metadata={
            **_metadata(lobby),
            "winner_id": lobby.winner_id,
            "cut": lobby.cut.amount,
            **owner_share_metadata(owner_part, owner_id),
        },
    )


def lobby_refund(
    lobby: Lobby,
    transaction_id: uuid.UUID,
    *,
    escrow: int,
    wallets: Mapping[int, int],
    at: datetime,
) -> Transaction:
    """Every seated stake back to its wallet (`wallets`: seat number → wallet account)."""
    if lobby.state not in (LobbyState.REFUNDED, LobbyState.EXPIRED):
        raise IllegalTransition(f"lobby {lobby.id} is {lobby.state}, not refunded")
    return Transaction(
        id=transaction_id,
        kind=TransactionKind.REFUND,
        idempotency_key=lobby_refund_key(lobby.id),
        legs=refund_legs(escrow, lobby.stake, [wallets[s.number] for s in lobby.seated]),
        created_at=at,
        reference=lobby_reference(lobby.id),
        metadata={**_metadata(lobby), "state": lobby.state.value},
    )
