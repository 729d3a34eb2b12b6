"""The staff's queues and look-ups on in-memory fakes: withdrawals a page at a time, four-eyes
requests, Stars payments, the audit log, the games, and recording a player's KYC status.
The same reads are tested through the admin API on PostgreSQL (tests/entrypoints/
test_http_withdrawals.py, test_http_admin.py, test_http_payments.py)."""

from __future__ import annotations

import uuid

import pytest

from application.adjustments import DecideAdjustment, ListAdjustments, RequestAdjustment
from application.audit import SearchAudit
from application.game_admin import GameChange, ListGames, UpdateGame
from application.kyc import SetKycStatus
from application.payments import (
    CreateStarsInvoice,
    CreditStarsPayment,
    GetStarsPayment,
    ListStarsPayments,
)
from application.ports import AuditQuery
from application.responsible import ALWAYS_GUARDED, AnswerDepositPrompt
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from application.withdrawals import NoWithdrawalHolds, RequestWithdrawal
from application.withdrawals.queries import GetWithdrawal, ListWithdrawals
from domain.adjustments import AdjustmentState, FourEyesPolicy
from domain.errors import InvalidField, InvalidRequest, NotFound
from domain.games.catalog import GAMES
from domain.money import XTR, Money
from domain.players import KycStatus
from domain.staff import AuditAction
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import WithdrawalState
from tests.casino_on_fakes import Casino
from tests.fake_players import FakeStarsRefunds

ALICE, BOB = Actor("staff:alice", "10.0.0.1"), Actor("staff:bob")
WITHDRAWALS = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
)


@pytest.fixture
async def casino() -> Casino:
    return Casino()


async def test_the_withdrawal_queue_pages_oldest_first_and_filters_by_state(casino):
    ann = await casino.player(1, deposit=1000)
    request = RequestWithdrawal(
        casino.db, casino.clock, casino.ids, casino.house, WITHDRAWALS, NoWithdrawalHolds()
    )
    asked = []
    for n in range(3):
        casino.clock.advance(minutes=1)
        asked.append(await request(ann, Money(50 + n, XTR), "EQdest", uuid.uuid4()))
    queue = ListWithdrawals(casino.db)
    first = await queue(WithdrawalState.REQUESTED, limit=2)
    assert [w.id for w in first.withdrawals] == [asked[0].id, asked[1].id]
    rest = await queue(WithdrawalState.REQUESTED, cursor=first.next_cursor, limit=2)
    assert ([w.id for w in rest.withdrawals], rest.next_cursor) == ([asked[2].id], None)
    assert (await queue(WithdrawalState.PAID)).withdrawals == ()
    assert await GetWithdrawal(casino.db)(asked[1].id) == asked[1]
    with pytest.raises(NotFound):
        await GetWithdrawal(casino.db)(uuid.uuid4())
    with pytest.raises(InvalidField):
        await queue(limit=0)
    with pytest.raises(InvalidField):
        await queue(cursor="garbage")


async def test_four_eyes_requests_are_listed_newest_first_by_state(casino):
    ann = await casino.player(1)
    request = RequestAdjustment(
        casino.db, casino.clock, casino.ids, casino.house, FourEyesPolicy({"XTR": 100})
    )
    first = await request(ann, Money(500, XTR), "goodwill", ALICE, uuid.uuid4())
    casino.clock.advance(minutes=1)
    second = await request(ann, Money(700, XTR), "goodwill", ALICE, uuid.uuid4())
    await DecideAdjustment(
        casino.db, casino.clock, casino.ids, casino.house, FourEyesPolicy({"XTR": 100})
    )(first.request.id, False, BOB)
    listed = ListAdjustments(casino.db)
    assert [r.id for r in await listed(None)] == [second.request.id, first.request.id]
    assert [r.id for r in await listed(AdjustmentState.PENDING)] == [second.request.id]
    assert [r.id for r in await listed(AdjustmentState.REJECTED)] == [first.request.id]
    assert [r.id for r in await listed(None, limit=1)] == [second.request.id]
    with pytest.raises(InvalidRequest):
        await listed(None, limit=201)


async def test_stars_payments_are_listed_per_player_and_found_by_charge(casino):
    ann, bob = await casino.player(1001), await casino.player(1002)
    for player in (ann, bob):  # the prompt at the first deposit: "No limit for now"
        await AnswerDepositPrompt(casino.db, casino.clock)(player)
    invoice = CreateStarsInvoice(casino.db, casino.clock, casino.ids, ALWAYS_GUARDED)
    credit = CreditStarsPayment(
        casino.db, casino.clock, casino.ids, casino.house, FakeStarsRefunds(), DEFAULT_RISK_REVIEW
    )
    for n, (player, tg) in enumerate([(ann, 1001), (bob, 1002), (ann, 1001)]):
        casino.clock.advance(minutes=1)
        issued = await invoice(player, 10 + n)
        await credit(f"charge-{n}", issued.payload, tg, 10 + n, "XTR")
    listed = ListStarsPayments(casino.db)
    assert [p.charge_id for p in await listed(ann)] == ["charge-2", "charge-0"]
    assert [p.charge_id for p in await listed(None, limit=2)] == ["charge-2", "charge-1"]
    found = await GetStarsPayment(casino.db)("charge-1")
    assert (found.player_id, found.amount) == (bob, Money(11, XTR))
    with pytest.raises(NotFound):
        await GetStarsPayment(casino.db)("charge-9")
    with pytest.raises(InvalidRequest):
        await listed(None, limit=0)


async def test_kyc_changes_are_audited_once_and_the_audit_log_is_searched(casino):
    ann = await casino.player(1)
    kyc = SetKycStatus(casino.db, casino.clock)
    change = await kyc(ann, KycStatus.VERIFIED, ALICE)
    assert (change.previous, change.status) == (KycStatus.UNVERIFIED, KycStatus.VERIFIED)
    assert (await kyc(ann, KycStatus.VERIFIED, BOB)).previous is KycStatus.VERIFIED
    assert casino.db.state.kyc[ann] is KycStatus.VERIFIED
    with pytest.raises(NotFound):
        await kyc(999, KycStatus.VERIFIED, ALICE)

    search = SearchAudit(casino.db)
    found = await search(AuditQuery(action=AuditAction.KYC_STATUS_SET))
    assert [(e.actor, e.before, e.after) for e in found] == [
        ("staff:alice", {"kyc_status": "unverified"}, {"kyc_status": "verified"})
    ]  # the repeat changed nothing and recorded nothing
    assert await search(AuditQuery(actor="staff:bob")) == []
    casino.clock.advance(minutes=5)
    await kyc(ann, KycStatus.PENDING, BOB)
    newest, older = await search(AuditQuery(subject=f"player:{ann}", limit=2))
    assert (newest.actor, older.actor) == ("staff:bob", "staff:alice")
    assert newest.id is not None
    paged = await search(AuditQuery(subject=f"player:{ann}", before_id=newest.id))
    assert [e.actor for e in paged] == ["staff:alice"]
    recent = await search(AuditQuery(since=casino.clock.now(), subject=f"player:{ann}"))
    assert [e.actor for e in recent] == ["staff:bob"]
    before = await search(AuditQuery(until=casino.clock.now(), subject=f"player:{ann}"))
    assert [e.actor for e in before] == ["staff:alice"]
    about_ann = await search(AuditQuery(subject=f"player:{ann}", until=casino.clock.now()))
    assert [e.action for e in about_ann] == [AuditAction.KYC_STATUS_SET]


async def test_every_game_is_listed_with_its_configuration(casino):
    games = await ListGames(casino.db)()
    assert sorted(g.code for g in games) == sorted(GAMES)
    await UpdateGame(casino.db, casino.clock)("dice", GameChange(enabled=False), ALICE)
    enabled = {g.code: g.enabled for g in await ListGames(casino.db)()}
    assert enabled["dice"] is False
    assert enabled["coin"] is True
