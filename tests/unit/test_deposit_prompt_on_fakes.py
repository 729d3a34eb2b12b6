"""The prompt at the first deposit (issue 23, UKGC RTS 12) on fakes: owed to a player who never
set a deposit limit nor chose "No limit for now"; either answer ends it for good."""

from __future__ import annotations

import pytest

from application.responsible import (
    AnswerDepositPrompt,
    DepositPromptDue,
    RemoveLimit,
    SetLimit,
)
from domain.errors import NotFound
from domain.money import XTR, Money
from domain.responsible import LimitKind, LimitPeriod
from domain.staff import AuditAction
from tests.casino_on_fakes import Casino


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


async def test_no_limit_for_now_is_remembered_once_and_audited(casino):
    ann = await casino.player(1)
    due, answer = DepositPromptDue(casino.db), AnswerDepositPrompt(casino.db, casino.clock)
    assert await due(ann)

    await answer(ann)
    first = casino.clock.now()
    casino.clock.advance(days=2)
    await answer(ann)  # a second tap (an old screen): the first answer stays

    assert not await due(ann)
    assert casino.db.state.deposit_prompt_answers == {ann: first}
    declined = [e for e in casino.db.state.audit if e.action is AuditAction.DEPOSIT_PROMPT_DECLINED]
    assert [(e.actor, e.after) for e in declined] == [
        (f"player:{ann}", {"answered_at": first.isoformat(), "answer": "no_limit_for_now"})
    ]


async def test_any_deposit_limit_set_before_counts_as_answered(casino):
    ann, bob = await casino.player(1), await casino.player(2)
    set_limit = SetLimit(casino.db, casino.clock)
    await set_limit(ann, LimitKind.DEPOSIT, LimitPeriod.MONTH, Money(250, XTR))
    await set_limit(bob, LimitKind.LOSS, LimitPeriod.DAY, Money(250, XTR))  # not a deposit limit

    due = DepositPromptDue(casino.db)
    assert not await due(ann)
    assert await due(bob)
    # A removal waits 24 hours and needs confirming; until then the limit answers the prompt.
    await RemoveLimit(casino.db, casino.clock)(ann, LimitKind.DEPOSIT, LimitPeriod.MONTH, XTR)
    assert not await due(ann)
    # Answering after a limit was set writes nothing: the limit was the answer.
    await AnswerDepositPrompt(casino.db, casino.clock)(ann)
    assert casino.db.state.deposit_prompt_answers == {}


async def test_an_unknown_player_cannot_answer(casino):
    with pytest.raises(NotFound):
        await AnswerDepositPrompt(casino.db, casino.clock)(999)
    assert casino.db.state.deposit_prompt_answers == {}
