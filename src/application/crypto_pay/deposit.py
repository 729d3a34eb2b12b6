"""A player asks to deposit in crypto: an invoice at Crypto Pay, and its pay link."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from application.ports import (
    Clock,
    CryptoPayConfig,
    CryptoPayGateway,
    CryptoPayRefused,
    CryptoPayUnavailable,
    IdGenerator,
    InvoiceRequest,
    UnitOfWork,
    UnitOfWorkFactory,
)
from application.responsible import ResponsibleGamblingGuard
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.crypto_pay import (
    CryptoDepositUnavailable,
    CryptoInvoice,
    CryptoProviderDown,
    InvoiceBeingCreated,
    InvoiceState,
    ProviderInvoice,
    crypto_asset,
    deposit_amount,
    new_reference,
    validate_idempotency_key,
)
from domain.errors import IdempotencyConflict
from domain.money import Money
from domain.velocity import VelocityAction

log = logging.getLogger(__name__)

# How long a request's "creating" mark keeps its twins from asking the provider. Longer than
# one createInvoice takes (the client's timeout, 10 s): it only lets a later request take over
# from one that died; an answer, a refusal or a timeout gives the mark back at once.
CREATE_LEASE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class CryptoDeposit:
    invoice: CryptoInvoice
    replayed: bool  # True when this idempotency key had made the invoice before

    @property
    def pay_url(self) -> str:
        return self.invoice.pay_url


class DepositInCrypto:
    """Offer a player a deposit of `amount` minor units of `asset` (USDT, TON).

    Refused, before anything is written or the provider asked, for a player who may not
    deposit (blocked, no terms, timed out, excluded) or beyond a deposit limit: the same
    guard and rules as a Stars invoice (`ResponsibleGamblingGuard.check_deposit_offer`, the
    prompt at the first deposit included: `DepositLimitPromptDue`). The amount
    weighed against the limits includes the player's invoices still open in that asset, so
    several open invoices cannot together pass a limit each one keeps to.

    The invoice is recorded `pending` first (committed), then created at the provider with our
    reference in its payload, then recorded `active` with the provider's id and link. A repeat
    of the idempotency key returns the same invoice (asking the provider again only while it
    is still pending); the same key for another amount is a conflict. When the provider
    refuses, the invoice is `failed`; when it does not answer, it stays pending (its webhook,
    if the provider did create it, still finds it; the poller expires it otherwise), and the
    player is told to try again: `CryptoProviderDown`.

    Only one request at a time asks the provider for one invoice: the one holding its
    "creating" mark, taken under the invoice's row lock and committed before the call (with
    the insert, for the request that makes it). A twin request (a double tap) that finds the
    mark held is refused `InvoiceBeingCreated` ("being created, try again in a moment") and
    never calls the provider; a mark whose lease ended (its request died, or the provider's
    answer was lost) is taken over (docs/payments-crypto.md, "A double tap")."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        guard: ResponsibleGamblingGuard,
        gateway: CryptoPayGateway,
        config: CryptoPayConfig,
        *,
        velocity: VelocityPolicy = NO_VELOCITY_LIMITS,
    ) -> None:
        self._velocity = velocity
        self._lease = CREATE_LEASE
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._guard = guard
        self._gateway = gateway
        self._config = config

    async def __call__(
        self, player_id: int, asset: str, amount: int, idempotency_key: str
    ) -> CryptoDeposit:
        if not self._config.enabled:
            raise CryptoDepositUnavailable("crypto deposits are not offered")
        money = deposit_amount(crypto_asset(asset, self._config.assets), amount)
        key = validate_idempotency_key(idempotency_key)
        invoice, replayed = await self._record(player_id, money, key)
        if invoice.state is InvoiceState.PENDING and replayed:
            invoice = await self._take_mark(invoice.reference)
        if invoice.state is InvoiceState.PENDING:
            invoice = await self._create_at_provider(invoice)
        if invoice.state is InvoiceState.EXPIRED:
            raise CryptoDepositUnavailable("this invoice has expired; start a new deposit")
        if invoice.state in {InvoiceState.PENDING, InvoiceState.FAILED}:
            raise CryptoProviderDown("this invoice could not be created; nothing was charged")
        return CryptoDeposit(invoice, replayed)

    async def _record(self, player_id: int, money: Money, key: str) -> tuple[CryptoInvoice, bool]:
        now = self._clock.now()
        async with self._uow() as uow:
            known = await uow.crypto_invoices.by_key(player_id, key)
        if known is not None:
            if not known.same_request(player_id, money):
                raise IdempotencyConflict("this deposit key was used for another amount")
            if known.state is InvoiceState.PENDING:
                # Its link was never shown: offering it now is a new offer, so the standing and
                # limits are weighed again (a break taken since refuses it).
                await self._weigh(player_id, money, now, counted=known.amount.amount)
            return known, True
        # The deposits-per-hour cap counts new invoices: the last point where a crypto deposit
        # can be refused (it fails closed when Redis is down, like any deposit).
        await self._velocity.check(VelocityAction.DEPOSIT, player_id)
        async with self._uow() as uow:
            await self._weigh_in(uow, player_id, money, now)
            invoice = CryptoInvoice(
                reference=new_reference(self._ids.new_id()),
                player_id=player_id,
                idempotency_key=key,
                amount=money,
                state=InvoiceState.PENDING,
                created_at=now,
                expires_at=now + self._config.invoice_expiry,
                # Its maker holds the "creating" mark from the start: a twin that reads it
                # committed finds the mark, not an invoice free to ask the provider for.
                creating_until=now + self._lease,
            )
            if not await uow.crypto_invoices.add(invoice):
                # The same key, committed by a twin request since we looked.
                raise InvoiceBeingCreated("this deposit is being created; try again in a moment")
            await uow.commit()
        return invoice, False

    async def _take_mark(self, reference: str) -> CryptoInvoice:
        """Take the "creating" mark of a pending invoice under its row lock and commit it, so
        a twin sees it before the provider is asked. The invoice as it stands when it is no
        longer pending (a twin created it: its link is shown again); `InvoiceBeingCreated`
        while a twin holds the mark (its lease running)."""
        async with self._uow() as uow:
            current = await uow.crypto_invoices.lock(reference)
            if current is None:
                raise CryptoProviderDown(f"invoice {reference} is gone")
            if current.state is not InvoiceState.PENDING:
                return current
            now = self._clock.now()
            if current.being_created(now):
                raise InvoiceBeingCreated("this deposit is being created; try again in a moment")
            marked = current.creating(now + self._lease)
            await uow.crypto_invoices.save(marked)
            await uow.commit()
        return marked

    async def _give_back(self, invoice: CryptoInvoice, *, unresolved: bool) -> CryptoInvoice:
        """The mark is given back on an invoice left pending: its lease ended when the call's
        outcome is unknown (`unresolved`), cleared when the provider was not asked."""
        async with self._uow() as uow:
            current = await uow.crypto_invoices.lock(invoice.reference)
            if current is None or current.state is not InvoiceState.PENDING:
                return current or invoice  # a webhook or the poller settled it meanwhile
            now = self._clock.now()
            released = (
                current.creation_unresolved(now) if unresolved else current.creation_abandoned()
            )
            if released != current:
                await uow.crypto_invoices.save(released)
                await uow.commit()
        return released

    async def _weigh(self, player_id: int, money: Money, now: datetime, counted: int) -> None:
        async with self._uow() as uow:
            await self._weigh_in(uow, player_id, money, now, counted=counted)

    async def _weigh_in(
        self, uow: UnitOfWork, player_id: int, money: Money, now: datetime, counted: int = 0
    ) -> None:
        """The standing, deposit limits and the prompt (the Stars guard), with the player's
        other open invoices in this asset counted as deposited (`counted`: this one, if among
        them)."""
        standing = await uow.players.standing(player_id)
        # The guard's lock first (check_deposit takes it again, in the same transaction), so
        # two invoices asked at once are weighed one after the other, each seeing the other's
        # amount among the open ones.
        await uow.responsible.lock(player_id)
        pending = await uow.crypto_invoices.open_total(player_id, money.currency, now) - counted
        await self._guard.check_deposit_offer(uow, standing, money, now, pending=max(0, pending))

    async def _create_at_provider(self, invoice: CryptoInvoice) -> CryptoInvoice:
        remaining = invoice.expires_at - self._clock.now()
        if remaining.total_seconds() < 1:
            # Too late to offer: the poller expires it.
            return await self._give_back(invoice, unresolved=False)
        request = InvoiceRequest(invoice.amount, invoice.reference, remaining)
        try:
            reported = await self._gateway.create_invoice(request)
        except CryptoPayRefused as refused:
            log.warning("Crypto Pay refused invoice %s: %s", invoice.reference, refused.name)
            return await self._step(invoice.reference, None)
        except CryptoPayUnavailable:
            # It may have been created: a retry of the key asks again (the link of this one
            # was never shown; if it is paid anyway, its report is held, never credited twice).
            log.warning("Crypto Pay did not answer for invoice %s", invoice.reference)
            return await self._give_back(invoice, unresolved=True)
        return await self._step(invoice.reference, reported)

    async def _step(self, reference: str, reported: ProviderInvoice | None) -> CryptoInvoice:
        """Active with the provider's id and link, or failed (`reported` None)."""
        async with self._uow() as uow:
            locked = await uow.crypto_invoices.lock(reference)
            if locked is None:
                raise CryptoProviderDown(f"invoice {reference} is gone")
            if locked.state is not InvoiceState.PENDING:
                # A webhook (paid already) or the poller got there first: theirs stands. The
                # link, which only activation records, is still the provider's to show.
                if reported is not None and not locked.pay_url:
                    return replace(locked, pay_url=reported.pay_url)
                return locked
            changed = locked.fail() if reported is None else locked.activate(reported)
            await uow.crypto_invoices.save(changed)
            await uow.commit()
        return changed
