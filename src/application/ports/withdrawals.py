"""Withdrawals: the requests, their holds, and the gateway that pays them out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from domain.money import Currency, Money
from domain.withdrawals import PayoutResult, Withdrawal, WithdrawalState

if TYPE_CHECKING:
    # Only named in an annotation: the unit of work's module imports this one.
    from application.ports.unit_of_work import UnitOfWork


class WithdrawalRepository(Protocol):
    """Withdrawal requests. Only `add` creates one and only `save` moves one along its state
    machine; the database refuses any other move, and never deletes a row."""

    async def lock_player(self, player_id: int) -> None:
        """Lock the player until the unit of work ends, so that one player's requests are
        checked and recorded one at a time (the daily limit cannot be passed by two at once).
        `NotFound` for an unknown player."""
        ...

    async def find_by_request(self, player_id: int, request_id: uuid.UUID) -> Withdrawal | None:
        """The player's withdrawal made under that client request id, or None."""
        ...

    async def add(self, withdrawal: Withdrawal) -> None: ...

    async def get(self, withdrawal_id: uuid.UUID, *, for_update: bool = False) -> Withdrawal:
        """The withdrawal, or `NotFound`; `for_update` locks it until the unit of work ends,
        which is how concurrent decisions on one withdrawal are serialised."""
        ...

    async def save(self, withdrawal: Withdrawal, previous: WithdrawalState) -> None:
        """Persist a transition from `previous`; `IllegalTransition` if the stored withdrawal is
        no longer in that state."""
        ...

    async def requested_since(self, player_id: int, currency: Currency, since: datetime) -> int:
        """The total the player asked to withdraw in `currency` from `since` (inclusive) on,
        less what was rejected, cancelled or failed (that money came back)."""
        ...

    async def list(
        self,
        state: WithdrawalState | None,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Withdrawal]:
        """Withdrawals oldest first (the order staff work the queue in), strictly after the
        (requested_at, id) position `after`."""
        ...

    async def pending_of(self, player_id: int, *, limit: int) -> Sequence[Withdrawal]:
        """The player's withdrawals still on their way (requested or approved), newest first,
        at most `limit`."""
        ...


class PayoutGateway(Protocol):
    """Sends an approved withdrawal's money to its destination: a payment provider's API, or
    staff paying by hand. Called after the approval has committed, never inside a database
    transaction; the withdrawal's id is the idempotency key to hand the provider, since a
    send can be repeated after a crash."""

    async def send(self, withdrawal: Withdrawal) -> PayoutResult:
        """`PayoutSent` when the payout was taken (completed, or still on its way);
        `PayoutDeclined` when it certainly was not and will not be made. Any exception means
        the outcome is unknown: the withdrawal stays approved for staff to settle."""
        ...


class PayoutLookup(Protocol):
    """Whether the gateway made an approved withdrawal's payout: asked before staff mark it
    failed, so money a provider has sent is not also given back to the wallet."""

    async def made(self, withdrawal: Withdrawal) -> str | None:
        """The payout's reference when the provider made it; None when it certainly did not
        (or payouts are made by hand, where staff know). Raises when the provider cannot
        tell now (down)."""
        ...

    def pays(self, withdrawal: Withdrawal) -> bool:
        """Whether a payout run sends this withdrawal to the provider (so a "sending" mark
        left on it unresolved is resolved by the next run); False when staff pay it by hand."""
        ...


class WithdrawalHolds(Protocol):
    """Why a player's withdrawal must wait for review (open risk flags). Asked in the unit of
    work that records a request the rules allowed, so a check that raises flags of its own (a
    rapid deposit-to-withdrawal, a shared destination) commits or rolls back with it."""

    async def open_holds(
        self, uow: UnitOfWork, player_id: int, amount: Money, destination: str, now: datetime
    ) -> Sequence[str]:
        """The reasons that hold this request, empty when none does."""
        ...
