"""Responsible gambling: the player's own limits, time-outs, self-exclusion and reality checks,
and the guard that the bet and deposit use cases call before any money moves.

Every change is one unit of work that locks the player's responsible-gambling record, writes
the change and its audit entry (actor "player:<id>") and commits them together. There is no
use case that lifts a time-out or a self-exclusion, for staff or anyone: they only end on
time, and the database refuses to shorten one.

One use case (or a pair of one thing's sides) a module: `limits`, `exclusion`,
`reality_check`, `status` (the reads), `deposit_prompt`, `guard`; `changes` holds what the
changes share. The guard and the changes take the player's one lock in the same order: the
guard's docstring says which.

The repository port (`ResponsibleGamblingRepository`, with the usage read model) is declared
in `application.ports`; it is re-exported here."""

from application.ports import ResponsibleGamblingRepository
from application.responsible.deposit_prompt import AnswerDepositPrompt, DepositPromptDue
from application.responsible.exclusion import SelfExclude, StartTimeout
from application.responsible.guard import ALWAYS_GUARDED, ResponsibleGamblingGuard
from application.responsible.limits import ConfirmLimitIncrease, LimitChange, RemoveLimit, SetLimit
from application.responsible.reality_check import AcknowledgeRealityCheck, SetRealityCheck
from application.responsible.status import (
    GetResponsibleStatus,
    HasDepositLimit,
    LimitStatus,
    ResponsibleStatus,
)

__all__ = [
    "ALWAYS_GUARDED",
    "AcknowledgeRealityCheck",
    "AnswerDepositPrompt",
    "ConfirmLimitIncrease",
    "DepositPromptDue",
    "GetResponsibleStatus",
    "HasDepositLimit",
    "LimitChange",
    "LimitStatus",
    "RemoveLimit",
    "ResponsibleGamblingGuard",
    "ResponsibleGamblingRepository",
    "ResponsibleStatus",
    "SelfExclude",
    "SetLimit",
    "SetRealityCheck",
    "StartTimeout",
]
