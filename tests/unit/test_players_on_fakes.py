"""The players' side on in-memory fakes (tests/fake_players.py): starting in the bot with a
referral, the 18+ and terms gate that the standing reads, and four-eyes adjustments, without a
database. The races and the tables are tested on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from application.adjustments import DecideAdjustment, RequestAdjustment
from application.house import HouseBook
from application.onboarding import AcceptTerms, StartPlayer
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from domain.adjustments import AdjustmentState, FourEyesPolicy
from domain.errors import Forbidden, IllegalTransition
from domain.money import XTR, Money
from domain.staff import AuditAction
from domain.standing import TermsNotAccepted
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


@pytest.fixture
def deps():
    return FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)


async def test_start_registers_once_with_a_wallet_and_credits_the_referral(deps):
    db, clock, _, _ = deps
    start = StartPlayer(db, clock)
    referrer = await start(100, username="ann", language="en")
    referred = await start(
        200, username="bob", language="ru", referral_code=referrer.preferences.referral_code
    )
    again = await start(200, username="bob", language="ru")
    assert referred.created
    assert not again.created
    assert again.player.id == referred.player.id
    assert referred.preferences.referred_by == referrer.player.id
    assert not referred.preferences.terms_accepted
    # A code nobody owns refers nobody.
    unknown = await start(300, username="cy", language="en", referral_code="zzzzzzzzzz")
    assert unknown.preferences.referred_by is None


async def test_no_money_moves_before_the_terms_and_the_first_acceptance_counts(deps):
    db, clock, ids, house = deps
    player = (await RegisterPlayer(db, clock)(RegisterPlayerCommand(7, currencies=(XTR,)))).player
    credit = CreditDeposit(db, clock, ids, house)
    with pytest.raises(TermsNotAccepted):
        await credit(CreditDepositCommand(player.id, Money(10, XTR), "d"))
    accept = AcceptTerms(db, clock)
    first = await accept(player.id, Actor("service:shop"))
    clock.advance(minutes=5)
    again = await accept(player.id, Actor("service:shop"))
    assert (again.at, again.replayed) == (first.at, True)
    assert [e.action for e in db.state.audit] == [AuditAction.TERMS_ACCEPTED]
    assert db.state.audit[0].actor == "service:shop"
    assert (await credit(CreditDepositCommand(player.id, Money(10, XTR), "d"))).balance == (
        Money(10, XTR)
    )


async def test_an_adjustment_over_the_threshold_waits_for_a_second_person(deps):
    db, clock, ids, house = deps
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(8, currencies=(XTR,), accept_terms=True)
        )
    ).player
    policy = FourEyesPolicy({"XTR": 100})
    request = RequestAdjustment(db, clock, ids, house, policy)
    decide = DecideAdjustment(db, clock, ids, house, policy)
    alice, bob = Actor("staff:alice"), Actor("staff:bob")

    small = await request(player.id, Money(100, XTR), "goodwill", alice, uuid.uuid4())
    assert small.request.state is AdjustmentState.APPROVED  # at the threshold: posted at once
    big = await request(player.id, Money(500, XTR), "goodwill", alice, uuid.uuid4())
    assert (big.request.state, big.posting) == (AdjustmentState.PENDING, None)
    with pytest.raises(Forbidden):
        await decide(big.request.id, True, alice)  # not by the one who asked
    approved = await decide(big.request.id, True, bob)
    assert approved.request.state is AdjustmentState.APPROVED
    assert approved.posting is not None
    assert approved.posting.balance == Money(600, XTR)
    with pytest.raises(IllegalTransition):
        await decide(big.request.id, False, bob)  # decided once
