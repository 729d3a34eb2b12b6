"""Responsible gambling: the guard every bet and deposit passes, and the players' own limits,
timeouts, self-exclusion and reality checks."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.responsible import (
    AcknowledgeRealityCheck,
    AnswerDepositPrompt,
    ConfirmLimitIncrease,
    DepositPromptDue,
    GetResponsibleStatus,
    HasDepositLimit,
    RemoveLimit,
    ResponsibleGamblingGuard,
    SelfExclude,
    SetLimit,
    SetRealityCheck,
    StartTimeout,
)
from application.responsible.standing import CheckStanding


class ResponsibleProvider(Provider):
    """The guard (one per process) and the use cases (one per request)."""

    scope = Scope.REQUEST

    # Stateless; the bet and deposit use cases call it inside their units of work.
    responsible_gambling_guard = provide(ResponsibleGamblingGuard, scope=Scope.APP)
    get_responsible_status = provide(GetResponsibleStatus)
    set_limit = provide(SetLimit)
    remove_limit = provide(RemoveLimit)
    confirm_limit_increase = provide(ConfirmLimitIncrease)
    start_timeout = provide(StartTimeout)
    self_exclude = provide(SelfExclude)
    set_reality_check = provide(SetRealityCheck)
    acknowledge_reality_check = provide(AcknowledgeRealityCheck)
    has_deposit_limit = provide(HasDepositLimit)
    deposit_prompt_due = provide(DepositPromptDue)
    answer_deposit_prompt = provide(AnswerDepositPrompt)
    check_standing = provide(CheckStanding)
