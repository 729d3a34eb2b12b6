"""The players' side on in-memory fakes (tests/fake_players.py): starting in the bot with a
referral, the 18+ and terms gate that the standing reads, and four-eyes adjustments, without a
database. The races and the tables are tested on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from application.adjustments import DecideAdjustment, RequestAdjustment
from application.house import HouseBook
from application.onboarding import AcceptTerms, EnsurePlayer, EnsurePlayerCommand, StartPlayer
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor
from domain.adjustments import AdjustmentState, FourEyesPolicy
from domain.errors import Forbidden, IllegalTransition, InvalidRequest
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


async def test_ensure_player_is_the_bots_registration_made_once_and_audited_once(deps):
    db, clock, _, _ = deps
    ensure = EnsurePlayer(db, clock)
    shop = Actor.service("shop")
    first = await ensure(EnsurePlayerCommand(500, " Ann ", "pt-BR"), shop)
    again = await ensure(EnsurePlayerCommand(500, "Someone else", "ru"), shop)
    assert (first.created, again.created) == (True, False)
    assert again.player.id == first.player.id
    # The first registration stands: a repeat changes neither the name nor the language.
    assert (again.player.username, again.player.language_code) == ("Ann", "pt-BR")
    assert again.preferences.language == "pt"
    assert not again.preferences.terms_accepted
    wallets = [a for a in db.state.accounts.values() if a.player_id == first.player.id]
    assert [w.currency.code for w in wallets] == ["XTR"]
    # The bot sees the same player.
    started = await StartPlayer(db, clock)(500, username="ann_tg", language="en")
    assert (started.player.id, started.created) == (first.player.id, False)
    [entry] = db.state.audit
    assert (entry.action, entry.actor, entry.subject) == (
        AuditAction.PLAYER_REGISTERED,
        "service:shop",
        f"player:{first.player.id}",
    )


@pytest.mark.parametrize(("tag", "speaks"), [("fil", "en"), ("PRV", "en"), ("RU-ru", "ru")])
async def test_ensure_player_speaks_english_for_a_language_the_bot_cannot_name(deps, tag, speaks):
    # The preferences hold a two-letter language (their check in PostgreSQL); the player's own
    # code is kept as given.
    db, clock, _, _ = deps
    onboarded = await EnsurePlayer(db, clock)(EnsurePlayerCommand(9, "ann", tag), Actor("svc"))
    assert (onboarded.player.language_code, onboarded.preferences.language) == (tag, speaks)


@pytest.mark.parametrize(
    "command",
    [
        EnsurePlayerCommand(0, "ann"),
        EnsurePlayerCommand(2**52, "ann"),
        EnsurePlayerCommand(7, ""),
        EnsurePlayerCommand(7, "   "),
        EnsurePlayerCommand(7, "x" * 65),
        EnsurePlayerCommand(7, "line\nbreak"),
        EnsurePlayerCommand(7, "ann", "english"),
        EnsurePlayerCommand(7, "ann", "e"),
        EnsurePlayerCommand(7, "ann", "en_US"),
    ],
)
async def test_ensure_player_refuses_bad_input_and_writes_nothing(deps, command):
    db, clock, _, _ = deps
    with pytest.raises(InvalidRequest):
        await EnsurePlayer(db, clock)(command, Actor.service("shop"))
    assert db.state.players == {}
    assert db.state.audit == []


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
