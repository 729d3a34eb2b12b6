"""The staff's reads of Stars payments."""

from __future__ import annotations

from collections.abc import Sequence

from application.ports import UnitOfWorkFactory
from domain.errors import InvalidRequest
from domain.payments import StarsPayment, validate_charge_id


class ListStarsPayments:
    """Stars payments, newest first, of one player or of everyone."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, player_id: int | None, limit: int = 50) -> Sequence[StarsPayment]:
        if not 1 <= limit <= 200:
            raise InvalidRequest("limit must be between 1 and 200")
        async with self._uow() as uow:
            return await uow.stars.list_payments(player_id, limit)


class GetStarsPayment:
    """One Stars payment by its Telegram charge id."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, charge_id: str) -> StarsPayment:
        async with self._uow() as uow:
            return await uow.stars.payment(validate_charge_id(charge_id))
