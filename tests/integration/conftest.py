"""Fixtures shared by the integration tests live in tests/conftest.py; the ones here are for
the responsible-gambling tests (test_responsible*.py), each of which sets its own
`fake_clock` (a time of its own, far from the wall clock)."""

from __future__ import annotations

import pytest

from application.responsible import (
    AcknowledgeRealityCheck,
    ConfirmLimitIncrease,
    GetResponsibleStatus,
    HasDepositLimit,
    RemoveLimit,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)


@pytest.fixture
def rg(uow_factory, fake_clock):
    """The responsible-gambling use cases on the module's controllable clock."""

    class UseCases:
        set_limit = SetLimit(uow_factory, fake_clock)
        remove_limit = RemoveLimit(uow_factory, fake_clock)
        confirm = ConfirmLimitIncrease(uow_factory, fake_clock)
        timeout = StartTimeout(uow_factory, fake_clock)
        self_exclude = SelfExclude(uow_factory, fake_clock)
        reality_check = SetRealityCheck(uow_factory, fake_clock)
        acknowledge = AcknowledgeRealityCheck(uow_factory, fake_clock)
        status = GetResponsibleStatus(uow_factory, fake_clock)
        has_deposit_limit = HasDepositLimit(uow_factory)

    return UseCases
