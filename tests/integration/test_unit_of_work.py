"""A unit of work's repositories: built on first use inside its block, once, on its own
connection (issue 19: building all of them on entry was a cost of every bet's unit of work)."""

from __future__ import annotations

import uuid

import pytest

from adapters.postgres.uow import SqlUnitOfWorkFactory


async def test_a_repository_is_built_once_a_unit_of_work_and_shared_by_its_users(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        placements = uow.placements
        assert uow.placements is placements
        # The placement reads use the unit of work's own bet and seed repositories.
        assert placements._bets is uow.bets
        assert placements._seeds is uow.seeds
        assert placements._games is uow.games
        assert await uow.bets.find(uuid.uuid4()) is None  # it reads on the block's connection
    async with uow_factory() as other:
        assert other.placements is not placements
        assert other.bets is not placements._bets


async def test_a_repository_is_not_handed_out_before_the_block(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="inside its block"):
        uow.bets  # noqa: B018 - the read is the test
