"""Notifications raised from the published events (issue 23): a deposit credited
(`ledger.transaction_posted` of kind `deposit`), a withdrawal approved, paid, rejected or failed
(`withdrawal.*`, and `withdrawal.payout_delayed`: approved, its provider could not pay it
yet), and a bonus granted, whose reminder is kept due 24 hours before it expires
(`bonus.granted`), and a bet won big, posted in the operator's channel with the player's
consent (`big_wins`, `bet.settled` or `bet.played`). One notice an event, named by what it tells
(`withdrawal.paid:{id}`): an event delivered again is the same notice, kept once. A topic the
player turned off is not kept; whether a kept one is still sent is decided again when it is
due (`gate`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from application.notices.big_wins import SETTLEMENTS, BigWinFeed, big_win_of, in_cooldown
from application.ports import Clock, EventEnvelope, UnitOfWorkFactory
from domain.accounts import AccountKind
from domain.big_wins import BIG_WIN
from domain.crypto_pay import CRYPTO_ASSETS
from domain.notices import NewNotice, NoticeValue
from domain.notifications import (
    BONUS_EXPIRING,
    BONUS_REMINDER_BEFORE,
    DEPOSIT_CREDITED,
    WITHDRAWAL_APPROVED,
    WITHDRAWAL_FAILED,
    WITHDRAWAL_PAID,
    WITHDRAWAL_PAYOUT_DELAYED,
    WITHDRAWAL_REJECTED,
)

log = logging.getLogger(__name__)

_WITHDRAWAL_KINDS = frozenset(
    {
        WITHDRAWAL_APPROVED,
        WITHDRAWAL_PAYOUT_DELAYED,
        WITHDRAWAL_PAID,
        WITHDRAWAL_REJECTED,
        WITHDRAWAL_FAILED,
    }
)
# A payout made by Crypto Pay's `transfer` carries this reference (adapters/crypto_pay.py):
# its notice says where the money went.
_CRYPTO_PAY_TRANSFER = "cryptopay-transfer:"


class NotifyOfEvents:
    """Keeps the notice an event asks for, due at once (a bonus's reminder: later). `feed`:
    the big-wins feed, off without one (or without its channel)."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, feed: BigWinFeed | None = None
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._feed = feed or BigWinFeed()

    async def __call__(self, envelope: EventEnvelope) -> bool:
        """True if a notice was kept (False: none asked for, turned off, or kept before)."""
        try:
            notice = self._notice_of(envelope)
        except (KeyError, TypeError, ValueError):
            log.warning("event %s %s: cannot read it", envelope.type, envelope.event_id)
            return False
        if notice is None:
            return False
        async with self._uow() as uow:
            if not (await uow.notice_choices.of(notice.player_id)).allows(notice.kind):
                return False
            rules = self._feed.rules
            if notice.kind == BIG_WIN and await in_cooldown(
                uow, notice.player_id, rules, self._clock.now()
            ):
                return False
            kept = await uow.notices.add(notice, due=True)
            await uow.commit()
        return kept

    def _notice_of(self, envelope: EventEnvelope) -> NewNotice | None:
        # Every bet's settlement passes here: no database unless the feed is on and it is big.
        if envelope.type in SETTLEMENTS:
            return big_win_of(envelope, self._feed.rules) if self._feed.on else None
        return notice_of(envelope)


def notice_of(envelope: EventEnvelope) -> NewNotice | None:
    """The notice an event asks for, or None (docs/events.md is the payloads' contract)."""
    data = envelope.data
    if envelope.type == "ledger.transaction_posted" and data.get("kind") == "deposit":
        return _deposit(data)
    if envelope.type in _WITHDRAWAL_KINDS:
        withdrawal = str(data["withdrawal_id"])
        return NewNotice(
            f"{envelope.type}:{withdrawal}",
            _player(data),
            envelope.type,
            f"withdrawal:{withdrawal}",
            # Not the staff's reason, nor the gateway's note: written for staff, not always
            # for the player (a note names the casino's balance at the provider).
            {
                "amount": int(data["amount"]),
                "currency": str(data["currency"]),
                "withdrawal_id": withdrawal,
                "rail": _rail(envelope.type, data),
            },
        )
    if envelope.type == "bonus.granted":
        bonus = str(data["bonus_id"])
        expires_at = datetime.fromisoformat(str(data["expires_at"]))
        granted_at = datetime.fromisoformat(str(data["granted_at"]))
        return NewNotice(
            f"{BONUS_EXPIRING}:{bonus}",
            _player(data),
            BONUS_EXPIRING,
            f"bonus:{bonus}",
            {
                "bonus_id": bonus,
                "amount": int(data["amount"]),
                "currency": str(data["currency"]),
                "expires_at": expires_at.isoformat(),
            },
            # A bonus shorter than the reminder's lead is reminded of at once.
            not_before=max(granted_at, expires_at - BONUS_REMINDER_BEFORE),
        )
    return None


def _rail(kind: str, data: Mapping[str, Any]) -> str | None:
    """ "cryptopay" for a payout Crypto Pay made (paid), or one in its assets (failed: the
    player's coins came in through it); None otherwise, and the texts are Stars'."""
    reference = data.get("payout_reference")
    if kind == WITHDRAWAL_PAID:
        return "cryptopay" if str(reference).startswith(_CRYPTO_PAY_TRANSFER) else None
    if kind == WITHDRAWAL_FAILED and str(data["currency"]) in CRYPTO_ASSETS:
        return "cryptopay"
    return None


def _deposit(data: Mapping[str, Any]) -> NewNotice | None:
    player = data.get("player_id")
    if not isinstance(player, int) or isinstance(player, bool):
        return None  # a house-only posting
    for leg in data["balances"]:
        if leg["account_kind"] == AccountKind.PLAYER_WALLET and int(leg["amount"]) > 0:
            payload: dict[str, NoticeValue] = {
                "amount": int(leg["amount"]),
                "currency": str(leg["currency"]),
                "balance": int(leg["balance"]),
            }
            transaction = str(data["transaction_id"])
            key = f"{DEPOSIT_CREDITED}:{transaction}"
            return NewNotice(key, player, DEPOSIT_CREDITED, f"transaction:{transaction}", payload)
    return None


def _player(data: Mapping[str, Any]) -> int:
    player = data["player_id"]
    if not isinstance(player, int) or isinstance(player, bool):
        raise TypeError("player_id is not a number")
    return player
