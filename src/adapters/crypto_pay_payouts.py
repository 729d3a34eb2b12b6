"""Payouts through Crypto Pay's `transfer` (docs/payments-crypto.md, "Payouts"): the
`PayoutGateway` for withdrawals in the rail's assets; every other currency goes on to the
gateway it wraps (staff paying by hand).

One withdrawal, one `spend_id` (`domain.crypto_pay.payout_spend_id`): Crypto Pay makes one
transfer per spend id, so however often a withdrawal is sent (a retry after a lost answer, the
next payout run, a restart after a crash between the transfer and its record) it is paid once.
Each send first asks `getTransfers` whether that spend id was paid already (a crash after the
transfer: recorded now, whatever the balance says since), then checks the app's balance
(`getBalance`: too little, nothing is sent), then transfers, asking again with the same spend
id when the answer is lost (`retries` times). A refusal is definite: nothing was sent, the
withdrawal goes back to staff with the provider's reason (`PayoutNotSent`). An answer still
lost raises: the outcome is unknown, the withdrawal stays approved and the next run asks."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Protocol

from application.ports import (
    CryptoPayGateway,
    CryptoPayRefused,
    CryptoPayUnavailable,
    PayoutGateway,
)
from domain.crypto_pay import ProviderTransfer, decimal_text, parse_amount, payout_spend_id
from domain.errors import DomainError
from domain.money import Money
from domain.withdrawals import PayoutNotSent, PayoutResult, PayoutSent, Withdrawal

log = logging.getLogger(__name__)


class PayoutRecipients(Protocol):
    """Who receives a player's transfer: their Telegram user id."""

    async def telegram_user_id(self, player_id: int) -> int: ...


class TransferMismatch(Exception):
    """Crypto Pay answered our spend id with a transfer that is not this payout's."""


class CryptoPayPayouts:
    """`PayoutGateway`: withdrawals in `assets` through Crypto Pay, others to `other`."""

    def __init__(
        self,
        client: CryptoPayGateway,
        recipients: PayoutRecipients,
        other: PayoutGateway,
        assets: Collection[str] = frozenset({"USDT", "TON"}),
        *,
        retries: int = 1,
    ) -> None:
        self._client = client
        self._recipients = recipients
        self._other = other
        self._assets = frozenset(assets)
        self._retries = retries

    async def send(self, withdrawal: Withdrawal) -> PayoutResult:
        amount = withdrawal.amount
        if amount.currency.code not in self._assets:
            return await self._other.send(withdrawal)
        user_id = await self._recipients.telegram_user_id(withdrawal.player_id)
        spend_id = payout_spend_id(withdrawal.id)
        try:
            made = await self._client.transfer_by_spend_id(spend_id)
            if made is not None:
                return self._paid(made, amount, user_id)
            available = await self._available(amount)
        except CryptoPayUnavailable as error:
            return PayoutNotSent(
                f"Crypto Pay did not answer ({error}); nothing was sent, "
                "the next payout run tries again"
            )
        except CryptoPayRefused as error:
            return PayoutNotSent(f"Crypto Pay refused to report ({error.name}); nothing was sent")
        if available.amount < amount.amount:
            return PayoutNotSent(
                f"not enough {amount.currency.code} at Crypto Pay: {decimal_text(available)} "
                f"available, {decimal_text(amount)} needed; nothing was sent (top the app "
                "up in @CryptoBot; the next payout run tries again)"
            )
        comment = f"Withdrawal {withdrawal.id}"
        for attempt in range(self._retries + 1):
            try:
                made = await self._client.transfer(user_id, amount, spend_id, comment)
            except CryptoPayRefused as error:
                return PayoutNotSent(f"Crypto Pay refused the transfer: {error.name}")
            except CryptoPayUnavailable:
                if attempt == self._retries:
                    raise  # unknown: the withdrawal stays approved; the next run asks again
                log.warning("transfer %s: answer lost, asking again", spend_id)
                continue
            return self._paid(made, amount, user_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def pays(self, withdrawal: Withdrawal) -> bool:
        """`PayoutLookup`: the payout run sends withdrawals in the rail's assets."""
        return withdrawal.amount.currency.code in self._assets

    async def made(self, withdrawal: Withdrawal) -> str | None:
        """`PayoutLookup`: the transfer made under this withdrawal's spend id (its reference),
        None when none was (or the currency is paid by hand). Raises when Crypto Pay does not
        answer, or answers with a transfer that is not this payout's."""
        if withdrawal.amount.currency.code not in self._assets:
            return None
        found = await self._client.transfer_by_spend_id(payout_spend_id(withdrawal.id))
        if found is None:
            return None
        user_id = await self._recipients.telegram_user_id(withdrawal.player_id)
        return self._paid(found, withdrawal.amount, user_id).reference

    async def _available(self, amount: Money) -> Money:
        text = (await self._client.balances()).get(amount.currency.code, "0")
        try:
            return parse_amount(text, amount.currency)
        except DomainError:
            raise CryptoPayUnavailable(f"a balance of {text[:40]!r}") from None

    @staticmethod
    def _paid(made: ProviderTransfer, amount: Money, user_id: int) -> PayoutSent:
        try:
            same = (
                made.asset.upper() == amount.currency.code
                and parse_amount(made.amount, amount.currency) == amount
                and made.user_id == user_id
            )
        except DomainError:
            same = False
        if not same:
            raise TransferMismatch(
                f"transfer {made.transfer_id} under spend id {made.spend_id} sent "
                f"{made.amount[:40]} {made.asset[:16]} to {made.user_id}, not this payout"
            )
        return PayoutSent(reference=made.reference, completed=True, from_provider_account=True)
