"""A refused operation in the player's words: one wording for each kind of refusal, whichever
handler met it (the error handler, the pre-checkout answer)."""

from __future__ import annotations

from domain.errors import DomainError
from domain.quoting import bounded_message
from domain.responsible import ResponsibleGamblingRefusal
from domain.standing import Rule, StandingRefusal
from domain.withdrawals import WithdrawalRefused
from entrypoints.bot.handlers import responsible, withdrawals
from entrypoints.bot.i18n import Translator


def refusal_text(t: Translator, error: DomainError) -> str:
    if isinstance(error, ResponsibleGamblingRefusal):
        return responsible.refusal_text(t, error)
    if isinstance(error, StandingRefusal):
        # The player's standing (domain.standing): never the system's own text.
        return t("start.blocked") if error.rule is Rule.BLOCKED else t("start.need_gate")
    if isinstance(error, WithdrawalRefused):
        return withdrawals.refusal_text(t, error)
    return t("games.error", reason=bounded_message(error.message))
