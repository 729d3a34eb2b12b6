"""A payment processor's deposit credited to a player's wallet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from application.access import count_against_daily_cap
from application.campaigns.deposit_match import match_deposit
from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory
from application.postings.poster import WalletPoster, WalletPosting
from application.responsible import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.velocity import NO_VELOCITY_LIMITS, VelocityPolicy
from domain.access import ApiKey
from domain.ledger import MetadataValue
from domain.money import Money
from domain.posting_keys import processor_deposit_key
from domain.postings import deposit
from domain.responsible import ResponsibleGamblingRefusal
from domain.standing import StandingRefusal
from domain.velocity import VelocityAction


@dataclass(frozen=True, slots=True)
class CreditDepositCommand:
    player_id: int
    amount: Money
    idempotency_key: str
    external_reference: str = ""
    metadata: Mapping[str, MetadataValue] = field(default_factory=dict)
    # The service key that reported it (the gRPC door), whose caps bound the amount; None for
    # the doors that are not a service key's (Telegram payments, operators' tools).
    caller: ApiKey | None = None

    @classmethod
    def from_provider(
        cls, player_id: int, amount: Money, caller: ApiKey, external_reference: str
    ) -> CreditDepositCommand:
        """A deposit a payment provider reports (the gRPC `WalletService.Deposit`): keyed by
        the provider (its key's name) and its own reference, so its retries credit once."""
        return cls(
            player_id=player_id,
            amount=amount,
            idempotency_key=processor_deposit_key(caller.name, external_reference),
            external_reference=external_reference,
            metadata={"provider": caller.name},
            caller=caller,
        )


class CreditDeposit(WalletPoster):
    """Credit a payment processor's deposit to a player's wallet, against the deposits
    clearing account.

    The processor asks before the money is ours: a player whose standing refuses deposits
    (blocked: `PlayerBlocked`; the 18+ and terms never confirmed: `TermsNotAccepted`; see
    `domain.standing`), who is timed out or self-excluded, or whose deposit limit this amount
    would pass (`ResponsibleGamblingRefusal`) is refused inside the unit of work that would
    credit it, and nothing is written; the processor then does not capture the payment, or
    returns it (see docs/responsible-gambling.md).
    So is a burst over the deposits-per-hour velocity limit (`VelocityLimited`), or any deposit
    while that limit cannot be counted (`VelocityUnavailable`, fail-closed).

    A repeat of a deposit that was credited is never refused, whatever changed since: it
    answers with the first posting, so a processor retrying after a lost answer cannot
    believe that credited money was refused.
    A deposit over its key's cap in that currency (`ApiKey.caps`) is `KeyNotAllowed` before
    anything is read or written; one that would take the key past its daily cap
    (`ApiKey.daily_caps`) is `KeyNotAllowed` too, and its unit of work writes nothing.
    Telegram Stars take another path (`application.payments`): Telegram asks at
    pre-checkout, and a charge it reports is always credited."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        *,
        guard: ResponsibleGamblingGuard = ALWAYS_GUARDED,
        velocity: VelocityPolicy = NO_VELOCITY_LIMITS,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._guard = guard
        self._velocity = velocity

    async def __call__(self, command: CreditDepositCommand) -> WalletPosting:
        amount = command.amount.require_positive()
        if command.caller is not None:
            command.caller.require_within_cap(amount)
        await self._velocity.admit(
            VelocityAction.DEPOSIT,
            command.player_id,
            lambda: self._credited(command.idempotency_key),
        )
        async with self._uow() as uow:
            standing = await uow.players.standing(command.player_id)
            try:
                await self._guard.check_deposit(uow, standing, amount, self._clock.now())
            except (ResponsibleGamblingRefusal, StandingRefusal):
                # Checked only on a refusal, so the usual deposit pays nothing for it; a
                # replay goes on to the ledger, which answers with the first posting.
                if not await uow.ledger.has_key(command.idempotency_key):
                    raise
            posting = await self._post_in(
                uow,
                command.player_id,
                deposit(
                    amount, command.idempotency_key, command.external_reference, command.metadata
                ),
            )
            if command.caller is not None and not posting.replayed:
                await count_against_daily_cap(uow, command.caller, amount, self._clock.now())
            if not posting.replayed:
                # A deposit match grants in the deposit's own transaction, or not at all.
                await match_deposit(
                    uow,
                    self._ids,
                    player_id=command.player_id,
                    deposit=amount,
                    deposit_key=command.idempotency_key,
                    now=self._clock.now(),
                    shards=self._house.shards,
                )
            await uow.commit()
        return posting

    async def _credited(self, idempotency_key: str) -> bool:
        async with self._uow() as uow:
            return await uow.ledger.has_key(idempotency_key)
