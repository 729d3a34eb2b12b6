"""A staff adjustment of a player's balance."""

from __future__ import annotations

from dataclasses import dataclass

from application.postings.poster import MAX_REASON_LENGTH, WalletPoster, WalletPosting
from domain.errors import InvalidRequest
from domain.money import Money
from domain.postings import staff_adjustment


@dataclass(frozen=True, slots=True)
class AdjustBalanceCommand:
    """A staff correction. `amount` is signed: positive credits the player."""

    player_id: int
    amount: Money
    reason: str
    staff_id: str
    idempotency_key: str


class AdjustBalance(WalletPoster):
    """A staff adjustment of a player's balance, against the adjustments account. A reason is
    mandatory: every correction must be explainable to an auditor."""

    async def __call__(self, command: AdjustBalanceCommand) -> WalletPosting:
        reason = command.reason.strip()
        if not reason:
            raise InvalidRequest("an adjustment needs a reason")
        if len(reason) > MAX_REASON_LENGTH:
            raise InvalidRequest(f"the reason is longer than {MAX_REASON_LENGTH} characters")
        if not command.staff_id.strip():
            raise InvalidRequest("an adjustment must name the staff member who made it")
        if command.amount.is_zero():
            raise InvalidRequest("an adjustment of zero moves nothing")
        return await self._post(
            command.player_id,
            staff_adjustment(
                command.amount,
                staff_id=command.staff_id,
                reason=reason,
                idempotency_key=command.idempotency_key,
            ),
        )
