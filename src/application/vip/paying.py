"""What the two paying VIP use cases are built from: a unit of work a call, the time, fresh
ids, their policy and the house book (the shard of the promotions account)."""

from __future__ import annotations

from typing import Generic, TypeVar

from application.house import HouseBook
from application.ports.clock_ids import Clock, IdGenerator
from application.ports.unit_of_work import UnitOfWorkFactory

Policy = TypeVar("Policy")


class Paying(Generic[Policy]):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        policy: Policy,
        house: HouseBook,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._policy = policy
        self._house = house
