"""What every use case that posts to the ledger is built with: a unit of work per call, the
time, new ids, and the house's accounts (`HouseBook`). The bases of the bet, wallet, seamless,
withdrawal and bankroll use cases take it from here, so their constructors say only what they
add."""

from __future__ import annotations

from application.house import HouseBook
from application.ports import Clock, IdGenerator, UnitOfWorkFactory


class LedgerUseCase:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator, house: HouseBook
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._house = house
