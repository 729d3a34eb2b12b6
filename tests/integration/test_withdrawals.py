"""Withdrawals on the real database: the money moves with each step and only once, every rule
refuses with its name and writes nothing, and concurrent decisions decide once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.betting import PlaceBetCommand
from application.kyc import SetKycStatus
from application.player_admin import BlockPlayer, UnblockPlayer
from application.ports import AuditQuery
from application.postings import AdjustBalanceCommand, CreditDepositCommand
from application.responsible import SelfExclude, StartTimeout
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    RejectWithdrawal,
    RequestWithdrawal,
)
from application.withdrawals.queries import GetWithdrawal, ListWithdrawals
from domain.accounts import AccountKind
from domain.errors import (
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidAmount,
    InvalidRequest,
    NotFound,
)
from domain.ledger import TransactionKind
from domain.money import FUN, XTR, Money
from domain.players import KycStatus
from domain.responsible import SelfExclusionPeriod, TimeoutPeriod
from domain.staff import AuditAction
from domain.standing import Rule, TermsNotAccepted, WithdrawalFrozen
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import (
    PayoutDeclined,
    PayoutSent,
    Withdrawal,
    WithdrawalRefused,
    WithdrawalState,
)
from tests.conftest import race
from tests.fakes import FakeClock
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

FINANCE = Actor("staff:fin", "10.0.0.1")
OTHER = Actor("staff:other", "10.0.0.2")
DESTINATION = "UQ-player-wallet"
POLICY = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(minimum=10, maximum=1_000, daily=1_500, kyc_threshold=800)},
    wagering_multiple=1,
)


def xtr(amount: int) -> Money:
    return Money(amount, XTR)


class FakePayouts:
    """The payout gateway: answers with what the test queues (nothing queued: sent)."""

    def __init__(self) -> None:
        self.answers: list[PayoutSent | PayoutDeclined | Exception] = []
        self.sent: list[Withdrawal] = []

    async def send(self, withdrawal: Withdrawal) -> PayoutSent | PayoutDeclined:
        self.sent.append(withdrawal)
        answer = self.answers.pop(0) if self.answers else PayoutSent()
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeHolds:
    def __init__(self) -> None:
        self.reasons: dict[int, list[str]] = {}

    async def open_holds(self, uow, player_id, amount, destination, now) -> list[str]:
        return self.reasons.get(player_id, [])


@pytest.fixture
def payouts():
    return FakePayouts()


@pytest.fixture
def holds():
    return FakeHolds()


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
def wd(uow_factory, clock, ids, house, payouts, holds):
    class UseCases:
        request = RequestWithdrawal(uow_factory, clock, ids, house, POLICY, holds)
        approve = ApproveWithdrawal(uow_factory, clock, ids, house, payouts)
        reject = RejectWithdrawal(uow_factory, clock, ids, house)
        paid = MarkWithdrawalPaid(uow_factory, clock, ids, house)
        failed = MarkWithdrawalFailed(uow_factory, clock, ids, house)
        listing = ListWithdrawals(uow_factory)
        get = GetWithdrawal(uow_factory)
        kyc = SetKycStatus(uow_factory, clock)

    return UseCases


@pytest.fixture
def player(new_player, adjust, unique_key):
    """A player holding `amount` XTR from a staff credit (not a deposit: nothing to wager)."""

    async def make(amount: int = 1_000):
        created = await new_player()
        await adjust(
            AdjustBalanceCommand(created.id, xtr(amount), "test funds", "tests", unique_key())
        )
        return created

    return make


async def _wallet(balances, player_id: int) -> int:
    return next((b.amount for b in await balances(player_id) if b.currency == XTR), 0)


async def _withdrawals_of(engine, player_id: int) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT count(*) FROM withdrawals WHERE player_id = :p"), {"p": player_id}
        )


async def _audit(uow_factory, player_id: int) -> list[AuditAction]:
    async with uow_factory() as uow:
        entries = await uow.audit.search(AuditQuery(subject=f"player:{player_id}", limit=100))
    return [AuditAction(e.action) for e in reversed(entries) if e.action.startswith(("wi", "ky"))]


async def _moves(uow_factory, transaction_id) -> dict[AccountKind, int]:
    """What one ledger transaction did, by account kind."""
    async with uow_factory() as uow:
        posted = await uow.ledger.get(transaction_id)
        assert posted.kind is TransactionKind.WITHDRAWAL
        return {
            (await uow.accounts.get(leg.account_id)).kind: leg.amount.amount for leg in posted.legs
        }


# -- request ----------------------------------------------------------------------------------


async def test_a_request_holds_the_money_at_once(wd, player, balances, uow_factory):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), f"  {DESTINATION} ", uuid.uuid4())
    assert (w.state, w.amount, w.destination, w.holds) == (
        WithdrawalState.REQUESTED,
        xtr(300),
        DESTINATION,
        (),
    )
    assert await _wallet(balances, p.id) == 700
    assert await _moves(uow_factory, w.request_transaction_id) == {
        AccountKind.PLAYER_WALLET: -300,
        AccountKind.WITHDRAWALS_PENDING: 300,
    }
    assert await wd.get(w.id) == w
    assert await _audit(uow_factory, p.id) == [AuditAction.WITHDRAWAL_REQUESTED]
    # What is pending cannot be withdrawn (or bet) again.
    await wd.kyc(p.id, KycStatus.VERIFIED, FINANCE)
    with pytest.raises(InsufficientFunds, match="less than the 800 XTR"):
        await wd.request(p.id, xtr(800), DESTINATION, uuid.uuid4())


async def test_a_repeated_request_returns_the_first_and_moves_nothing(wd, player, balances, engine):
    p = await player(1_000)
    request_id = uuid.uuid4()
    first = await wd.request(p.id, xtr(200), DESTINATION, request_id)
    again = await wd.request(p.id, xtr(200), DESTINATION, request_id)
    assert again == first
    assert await _wallet(balances, p.id) == 800
    assert await _withdrawals_of(engine, p.id) == 1


async def test_concurrent_repeats_of_one_request_make_one_withdrawal(wd, player, balances, engine):
    p = await player(1_000)
    request_id = uuid.uuid4()
    results = await race(10, lambda i: wd.request(p.id, xtr(100), DESTINATION, request_id))
    assert all(isinstance(r, Withdrawal) for r in results), results
    assert len({r.id for r in results}) == 1
    assert await _wallet(balances, p.id) == 900
    assert await _withdrawals_of(engine, p.id) == 1


async def test_the_same_request_id_with_other_content_is_a_conflict(wd, player, balances, engine):
    p = await player(1_000)
    request_id = uuid.uuid4()
    await wd.request(p.id, xtr(200), DESTINATION, request_id)
    with pytest.raises(IdempotencyConflict):
        await wd.request(p.id, xtr(201), DESTINATION, request_id)
    with pytest.raises(IdempotencyConflict):
        await wd.request(p.id, xtr(200), "somewhere-else", request_id)
    assert await _wallet(balances, p.id) == 800
    assert await _withdrawals_of(engine, p.id) == 1
    # Request ids are per player: another player may use the same one.
    other = await player(500)
    assert (await wd.request(other.id, xtr(100), DESTINATION, request_id)).player_id == other.id


async def test_bad_input_is_refused_before_anything_is_written(wd, player, engine):
    p = await player(1_000)
    with pytest.raises(InvalidAmount):
        await wd.request(p.id, xtr(0), DESTINATION, uuid.uuid4())
    with pytest.raises(InvalidRequest):
        await wd.request(p.id, xtr(100), " ", uuid.uuid4())
    with pytest.raises(NotFound):
        await wd.request(2**40, xtr(100), DESTINATION, uuid.uuid4())
    assert await _withdrawals_of(engine, p.id) == 0


# -- rules ------------------------------------------------------------------------------------


async def _refused(wd, balances, engine, uow_factory, p, amount: Money, rule: str):
    before = await _wallet(balances, p.id)
    count, audit = await _withdrawals_of(engine, p.id), await _audit(uow_factory, p.id)
    with pytest.raises(WithdrawalRefused) as caught:
        await wd.request(p.id, amount, DESTINATION, uuid.uuid4())
    assert caught.value.rule == rule
    assert await _wallet(balances, p.id) == before
    assert await _withdrawals_of(engine, p.id) == count
    assert await _audit(uow_factory, p.id) == audit
    return caught.value


async def test_each_rule_refuses_by_name_and_writes_nothing(
    wd, player, balances, engine, uow_factory
):
    p = await player(3_000)
    refuse = lambda amount, rule: _refused(wd, balances, engine, uow_factory, p, amount, rule)  # noqa: E731
    await refuse(Money(100, FUN), "currency")
    assert (await refuse(xtr(9), "min_amount")).limit == xtr(10)
    assert (await refuse(xtr(1_001), "max_amount")).limit == xtr(1_000)
    await refuse(xtr(801), "kyc_required")  # unverified, above 800 in 24 hours
    await wd.request(p.id, xtr(800), DESTINATION, uuid.uuid4())  # at the threshold
    await refuse(xtr(10), "kyc_required")  # 810 in 24 hours
    await wd.kyc(p.id, KycStatus.VERIFIED, FINANCE)
    await wd.request(p.id, xtr(700), DESTINATION, uuid.uuid4())  # 1,500: the daily limit
    error = await refuse(xtr(10), "daily_limit")
    assert error.remaining == xtr(0)


async def test_the_daily_limit_rolls_and_returned_money_does_not_count(
    uow_factory, ids, house, holds, payouts, player, fake_clock
):
    request = RequestWithdrawal(uow_factory, fake_clock, ids, house, POLICY, holds)
    reject = RejectWithdrawal(uow_factory, fake_clock, ids, house)
    p = await player(5_000)
    await SetKycStatus(uow_factory, fake_clock)(p.id, KycStatus.VERIFIED, FINANCE)
    first = await request(p.id, xtr(1_000), DESTINATION, uuid.uuid4())
    fake_clock.advance(hours=1)
    await request(p.id, xtr(500), DESTINATION, uuid.uuid4())
    with pytest.raises(WithdrawalRefused, match="0 XTR is left"):
        await request(p.id, xtr(10), DESTINATION, uuid.uuid4())
    await reject(first.id, "wrong address", FINANCE)
    await request(p.id, xtr(1_000), DESTINATION, uuid.uuid4())  # the rejected 1,000 is back
    fake_clock.advance(hours=24)  # the last two are exactly 24 hours old: they still count
    with pytest.raises(WithdrawalRefused, match="0 XTR is left"):
        await request(p.id, xtr(10), DESTINATION, uuid.uuid4())
    fake_clock.advance(seconds=1)  # and now they have left the window
    await request(p.id, xtr(1_000), DESTINATION, uuid.uuid4())


async def test_deposits_must_be_wagered_before_they_leave(
    wd, new_player, credit, adjust, place, fund_bankroll, balances, engine, uow_factory, unique_key
):
    await fund_bankroll()
    p = await new_player()
    await credit(CreditDepositCommand(p.id, xtr(300), unique_key("dep")))
    await adjust(AdjustBalanceCommand(p.id, xtr(500), "bonus", "tests", unique_key()))
    error = await _refused(wd, balances, engine, uow_factory, p, xtr(100), "wagering_requirement")
    assert error.remaining == xtr(300)
    for _ in range(2):
        await place(PlaceBetCommand(p.id, uuid.uuid4(), "tg_dice", xtr(100), {"bet": "high"}))
    error = await _refused(wd, balances, engine, uow_factory, p, xtr(100), "wagering_requirement")
    assert error.remaining == xtr(100)
    await place(PlaceBetCommand(p.id, uuid.uuid4(), "tg_dice", xtr(100), {"bet": "high"}))
    assert (await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())).state == "requested"


async def test_a_self_excluded_player_may_still_withdraw(wd, player, uow_factory, clock, balances):
    p = await player(1_000)
    await SelfExclude(uow_factory, clock)(p.id, SelfExclusionPeriod.PERMANENT)
    await wd.request(p.id, xtr(400), DESTINATION, uuid.uuid4())
    assert await _wallet(balances, p.id) == 600


async def test_open_risk_holds_are_recorded_for_review(wd, player, holds):
    p = await player(1_000)
    holds.reasons[p.id] = ["win_rate", "rapid_withdrawal", "win_rate"]
    w = await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())
    assert w.holds == ("rapid_withdrawal", "win_rate")
    assert w.state is WithdrawalState.REQUESTED
    assert (await wd.get(w.id)).holds == w.holds


# -- decisions and payout ---------------------------------------------------------------------


async def test_approve_then_paid_moves_the_money_out_once(
    wd, player, balances, payouts, uow_factory
):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(250), DESTINATION, uuid.uuid4())
    approved = await wd.approve(w.id, FINANCE)
    assert (approved.state, approved.decided_by) == (WithdrawalState.APPROVED, "staff:fin")
    assert [s.id for s in payouts.sent] == [w.id]  # the gateway saw the committed approval
    assert await _moves(uow_factory, approved.decision_transaction_id) == {
        AccountKind.WITHDRAWALS_PENDING: -250,
        AccountKind.PAYOUT_CLEARING: 250,
    }
    assert await wd.approve(w.id, OTHER) == approved  # a repeat: unchanged, nothing sent
    assert len(payouts.sent) == 1

    paid = await wd.paid(w.id, "bank-transfer-42", OTHER)
    assert (paid.state, paid.settled_by, paid.payout_reference) == (
        WithdrawalState.PAID,
        "staff:other",
        "bank-transfer-42",
    )
    assert await _moves(uow_factory, paid.settlement_transaction_id) == {
        AccountKind.PAYOUT_CLEARING: -250,
        AccountKind.DEPOSITS_CLEARING: 250,
    }
    assert await wd.paid(w.id, "bank-transfer-42", FINANCE) == paid
    with pytest.raises(IdempotencyConflict):
        await wd.paid(w.id, "another-transfer", FINANCE)
    with pytest.raises(IllegalTransition, match="is paid; it cannot become failed"):
        await wd.failed(w.id, "too late", FINANCE)
    with pytest.raises(IllegalTransition):
        await wd.approve(w.id, FINANCE)
    assert await _wallet(balances, p.id) == 750
    assert await _audit(uow_factory, p.id) == [
        AuditAction.WITHDRAWAL_REQUESTED,
        AuditAction.WITHDRAWAL_APPROVED,
        AuditAction.WITHDRAWAL_PAID,
    ]


async def test_paid_needs_an_approved_withdrawal(wd, player):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())
    with pytest.raises(IllegalTransition, match="is requested; it cannot become paid"):
        await wd.paid(w.id, "ref", FINANCE)
    with pytest.raises(IllegalTransition):
        await wd.failed(w.id, "why", FINANCE)
    with pytest.raises(NotFound):
        await wd.approve(uuid.uuid4(), FINANCE)


async def test_reject_returns_the_money(wd, player, balances, uow_factory, payouts):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(400), DESTINATION, uuid.uuid4())
    rejected = await wd.reject(w.id, "destination is not the player's", FINANCE)
    assert (rejected.state, rejected.reason) == (
        WithdrawalState.REJECTED,
        "destination is not the player's",
    )
    assert await _moves(uow_factory, rejected.decision_transaction_id) == {
        AccountKind.WITHDRAWALS_PENDING: -400,
        AccountKind.PLAYER_WALLET: 400,
    }
    assert await _wallet(balances, p.id) == 1_000
    assert await wd.reject(w.id, "again", OTHER) == rejected
    with pytest.raises(IllegalTransition, match="is rejected; it cannot become approved"):
        await wd.approve(w.id, FINANCE)
    assert payouts.sent == []
    with pytest.raises(InvalidRequest):
        await wd.reject(w.id, "", FINANCE)
    assert await _audit(uow_factory, p.id) == [
        AuditAction.WITHDRAWAL_REQUESTED,
        AuditAction.WITHDRAWAL_REJECTED,
    ]


async def test_a_failed_payout_returns_the_money(wd, player, balances, uow_factory):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    await wd.approve(w.id, FINANCE)
    assert await _wallet(balances, p.id) == 700
    failed = await wd.failed(w.id, "the bank returned it", FINANCE)
    assert failed.state is WithdrawalState.FAILED
    assert await _moves(uow_factory, failed.settlement_transaction_id) == {
        AccountKind.PAYOUT_CLEARING: -300,
        AccountKind.PLAYER_WALLET: 300,
    }
    assert await _wallet(balances, p.id) == 1_000
    assert await wd.failed(w.id, "again", FINANCE) == failed
    with pytest.raises(IllegalTransition):
        await wd.paid(w.id, "ref", FINANCE)


async def test_a_declined_payout_fails_the_withdrawal_and_returns_the_money(
    wd, player, balances, payouts, uow_factory
):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    payouts.answers.append(PayoutDeclined("invalid address"))
    failed = await wd.approve(w.id, FINANCE)
    assert (failed.state, failed.settled_by, failed.reason) == (
        WithdrawalState.FAILED,
        "system",
        "payout declined: invalid address",
    )
    assert await _wallet(balances, p.id) == 1_000
    with pytest.raises(IllegalTransition):  # failed is final: no second payout
        await wd.approve(w.id, FINANCE)
    assert len(payouts.sent) == 1


async def test_an_unknown_payout_outcome_leaves_it_approved(wd, player, payouts, balances):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    payouts.answers.append(ConnectionError("provider timed out"))
    approved = await wd.approve(w.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED
    assert (await wd.get(w.id)).state is WithdrawalState.APPROVED
    assert await _wallet(balances, p.id) == 700  # held in payout clearing until staff settle


async def test_the_gateway_can_complete_or_reference_a_payout(wd, player, payouts):
    p = await player(1_000)
    first = await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())
    payouts.answers.append(PayoutSent("prov-1", completed=True))
    paid = await wd.approve(first.id, FINANCE)
    assert (paid.state, paid.settled_by, paid.payout_reference) == (
        WithdrawalState.PAID,
        "system",
        "prov-1",
    )
    second = await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())
    payouts.answers.append(PayoutSent("prov-2"))
    noted = await wd.approve(second.id, FINANCE)
    assert (noted.state, noted.payout_reference) == (WithdrawalState.APPROVED, "prov-2")
    assert (await wd.get(second.id)).payout_reference == "prov-2"


# -- races ------------------------------------------------------------------------------------


async def _decision_count(engine, withdrawal_id) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(
            text("SELECT count(*) FROM ledger_transactions WHERE idempotency_key LIKE :k"),
            {"k": f"withdrawal:{withdrawal_id}:%"},
        )


async def test_concurrent_approvals_approve_once(wd, player, payouts, engine):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    results = await race(2, lambda i: wd.approve(w.id, FINANCE if i else OTHER))
    assert all(isinstance(r, Withdrawal) for r in results), results
    assert {r.state for r in results} == {WithdrawalState.APPROVED}
    assert len({r.decision_transaction_id for r in results}) == 1
    assert len(payouts.sent) == 1
    assert await _decision_count(engine, w.id) == 2  # request + one approval


async def test_approve_racing_reject_decides_once(wd, player, balances, engine):
    for _ in range(3):
        p = await player(1_000)
        w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
        results = await race(
            2,
            lambda i, w=w: wd.approve(w.id, FINANCE) if i else wd.reject(w.id, "no", OTHER),
        )
        winners = [r for r in results if isinstance(r, Withdrawal)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1, results
        assert len(losers) == 1, results
        assert isinstance(losers[0], IllegalTransition)
        final = await wd.get(w.id)
        assert final == winners[0]
        expected = 1_000 if final.state is WithdrawalState.REJECTED else 700
        assert await _wallet(balances, p.id) == expected
        assert await _decision_count(engine, w.id) == 2


async def test_concurrent_requests_cannot_pass_the_daily_limit(wd, player, balances, engine):
    p = await player(5_000)
    await wd.kyc(p.id, KycStatus.VERIFIED, FINANCE)
    results = await race(8, lambda i: wd.request(p.id, xtr(500), DESTINATION, uuid.uuid4()))
    made = [r for r in results if isinstance(r, Withdrawal)]
    refused = [r for r in results if isinstance(r, WithdrawalRefused)]
    assert (len(made), len(refused)) == (3, 5), results
    assert {r.rule for r in refused} == {"daily_limit"}
    assert await _wallet(balances, p.id) == 3_500


# -- the database's own guard -----------------------------------------------------------------


async def test_the_database_refuses_illegal_moves_and_deletes(wd, player, engine):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())
    await wd.reject(w.id, "no", FINANCE)
    for sql in (
        "UPDATE withdrawals SET state = 'requested', decided_by = NULL, rejected_at = NULL,"
        " decision_transaction_id = NULL, reason = NULL WHERE id = :id",
        "UPDATE withdrawals SET amount = amount + 1 WHERE id = :id",
        "DELETE FROM withdrawals WHERE id = :id",
    ):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError, match=r"cannot|never"):
                await conn.execute(text(sql), {"id": w.id})
    async with engine.connect() as conn:  # a state without its step's facts
        with pytest.raises(DBAPIError, match="ck_withdrawals"):
            await conn.execute(
                text("UPDATE withdrawals SET state = 'approved' WHERE id = :id"),
                {"id": (await wd.request(p.id, xtr(100), DESTINATION, uuid.uuid4())).id},
            )


# -- queue and KYC ----------------------------------------------------------------------------


async def test_the_queue_pages_oldest_first_and_filters_by_state(wd, player):
    p = await player(1_000)
    made = [await wd.request(p.id, xtr(10 + i), DESTINATION, uuid.uuid4()) for i in range(5)]
    await wd.reject(made[1].id, "no", FINANCE)
    seen: list[Withdrawal] = []
    cursor = None
    while True:
        page = await wd.listing(WithdrawalState.REQUESTED, cursor, 2)
        assert len(page.withdrawals) <= 2
        seen.extend(page.withdrawals)
        cursor = page.next_cursor
        if cursor is None:
            break
    mine = [w.id for w in seen if w.player_id == p.id]
    assert mine == [made[i].id for i in (0, 2, 3, 4)]
    assert all(w.state is WithdrawalState.REQUESTED for w in seen)
    keys = [(w.requested_at, w.id) for w in seen]
    assert keys == sorted(keys)
    rejected = (await wd.listing(WithdrawalState.REJECTED, None, 100)).withdrawals
    assert made[1].id in {w.id for w in rejected}
    with pytest.raises(InvalidRequest):
        await wd.listing(None, "not-a-cursor", 10)
    with pytest.raises(InvalidRequest):
        await wd.listing(None, None, 0)


async def test_kyc_status_changes_are_audited(wd, new_player, uow_factory):
    p = await new_player()
    change = await wd.kyc(p.id, KycStatus.PENDING, FINANCE)
    assert (change.status, change.previous) == (KycStatus.PENDING, KycStatus.UNVERIFIED)
    assert (await wd.kyc(p.id, KycStatus.PENDING, FINANCE)).previous is KycStatus.PENDING
    await wd.kyc(p.id, KycStatus.VERIFIED, OTHER)
    async with uow_factory() as uow:
        assert (await uow.players.standing(p.id)).kyc is KycStatus.VERIFIED
        entries = await uow.audit.search(
            AuditQuery(subject=f"player:{p.id}", action=AuditAction.KYC_STATUS_SET.value)
        )
    assert [(e.actor, e.before, e.after) for e in reversed(entries)] == [
        ("staff:fin", {"kyc_status": "unverified"}, {"kyc_status": "pending"}),
        ("staff:other", {"kyc_status": "pending"}, {"kyc_status": "verified"}),
    ]
    with pytest.raises(NotFound):
        await wd.kyc(2**40, KycStatus.VERIFIED, FINANCE)


async def test_a_flagged_players_withdrawal_waits_for_the_flag_review(
    wd, player, uow_factory, clock, balances
):
    from domain.risk import RiskFlag, RiskFlagKind, RiskFlagStatus

    owner = await player(1_000)
    withdrawal = await wd.request(owner.id, xtr(400), "UQ-flagged", uuid.uuid4())
    async with uow_factory() as uow:
        flag = await uow.risk.add_flag(
            RiskFlag(owner.id, RiskFlagKind.LARGE_WIN, {"payout": 1}, clock.now())
        )
        await uow.commit()
    assert flag is not None
    with pytest.raises(WithdrawalRefused) as refused:
        await wd.approve(withdrawal.id, FINANCE)
    assert refused.value.rule == "risk_review"
    assert (await wd.get(withdrawal.id)).state is WithdrawalState.REQUESTED
    assert await _wallet(balances, owner.id) == 600

    async with uow_factory() as uow:
        open_flag = await uow.risk.get(flag.id, for_update=True)
        reviewed = open_flag.review(
            RiskFlagStatus.DISMISSED, by="staff:fin", at=clock.now(), note="a lucky streak"
        )
        await uow.risk.save(reviewed)
        await uow.commit()
    approved = await wd.approve(withdrawal.id, FINANCE)
    assert approved.state in (WithdrawalState.APPROVED, WithdrawalState.PAID)


# -- the player's standing (issue 16) ----------------------------------------------------------


@pytest.fixture
def staff(uow_factory, clock):
    class Staff:
        @staticmethod
        async def block(player_id: int) -> None:
            await BlockPlayer(uow_factory, clock)(player_id, "under review", FINANCE)

        @staticmethod
        async def unblock(player_id: int) -> None:
            await UnblockPlayer(uow_factory, clock)(player_id, "review done", FINANCE)

    return Staff


async def test_a_blocked_players_request_is_taken_and_waits_for_staff(
    wd, player, staff, balances, payouts
):
    """Money is never stuck: a block stops play and payouts, not the request. The money is
    held at once and the request waits: approving it is frozen until the block is lifted."""
    p = await player(1_000)
    await staff.block(p.id)
    w = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    assert w.state is WithdrawalState.REQUESTED
    assert await _wallet(balances, p.id) == 700
    with pytest.raises(WithdrawalFrozen):
        await wd.approve(w.id, FINANCE)
    assert payouts.sent == []
    await staff.unblock(p.id)
    assert (await wd.approve(w.id, FINANCE)).state is WithdrawalState.APPROVED


async def _deposit_and_stake(p, credit, place, fund_bankroll, unique_key) -> None:
    """The issue's player: deposited 500, staked 200 (lost or won, 300 is still to wager)."""
    await fund_bankroll()
    await credit(CreditDepositCommand(p.id, xtr(500), unique_key("dep")))
    for _ in range(2):
        await place(PlaceBetCommand(p.id, uuid.uuid4(), "coin", xtr(100), {"side": "heads"}))


@pytest.mark.parametrize("stop", ["self_exclusion", "timeout", "block"])
async def test_a_player_who_may_no_longer_play_withdraws_without_wagering(
    stop, wd, new_player, credit, place, fund_bankroll, balances, uow_factory, clock, staff,
    unique_key,
):  # fmt: skip
    p = await new_player()
    await _deposit_and_stake(p, credit, place, fund_bankroll, unique_key)
    balance = await _wallet(balances, p.id)
    # While they may play, the requirement stands.
    with pytest.raises(WithdrawalRefused) as refused:
        await wd.request(p.id, xtr(balance), DESTINATION, uuid.uuid4())
    assert refused.value.rule == "wagering_requirement"
    if stop == "self_exclusion":
        await SelfExclude(uow_factory, clock)(p.id, SelfExclusionPeriod.SIX_MONTHS)
    elif stop == "timeout":
        await StartTimeout(uow_factory, clock)(p.id, TimeoutPeriod.DAY)
    else:
        await staff.block(p.id)
    w = await wd.request(p.id, xtr(balance), DESTINATION, uuid.uuid4())
    assert w.amount == xtr(balance)
    assert await _wallet(balances, p.id) == 0


async def test_the_whole_balance_below_the_minimum_leaves_when_play_has_stopped(
    wd, player, balances, uow_factory, clock
):
    p = await player(6)  # below POLICY's minimum of 10
    with pytest.raises(WithdrawalRefused) as refused:
        await wd.request(p.id, xtr(6), DESTINATION, uuid.uuid4())
    assert refused.value.rule == "min_amount"
    await SelfExclude(uow_factory, clock)(p.id, SelfExclusionPeriod.PERMANENT)
    # Only the whole balance: part of it below the minimum is still refused.
    with pytest.raises(WithdrawalRefused) as refused:
        await wd.request(p.id, xtr(3), DESTINATION, uuid.uuid4())
    assert refused.value.rule == "min_amount"
    await wd.request(p.id, xtr(6), DESTINATION, uuid.uuid4())
    assert await _wallet(balances, p.id) == 0


async def test_a_player_without_the_terms_cannot_request(
    wd, new_player, adjust, engine, unique_key
):
    created = await new_player(accept_terms=False)
    # A staff adjustment is allowed whatever the standing; taking it out is not, yet.
    await adjust(AdjustBalanceCommand(created.id, xtr(500), "test funds", "tests", unique_key()))
    before = await row_counts(engine)
    with pytest.raises(TermsNotAccepted) as refused:
        await wd.request(created.id, xtr(100), DESTINATION, uuid.uuid4())
    assert refused.value.rule is Rule.TERMS_NOT_ACCEPTED
    assert await row_counts(engine) == before


async def test_a_blocked_players_request_is_frozen_until_the_block_is_lifted(
    wd, player, staff, payouts, engine
):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(200), DESTINATION, uuid.uuid4())
    await staff.block(p.id)
    before = await row_counts(engine)
    with pytest.raises(WithdrawalFrozen) as frozen:
        await wd.approve(w.id, FINANCE)
    assert frozen.value.rule is Rule.BLOCKED
    assert payouts.sent == []
    assert (await wd.get(w.id)).state is WithdrawalState.REQUESTED
    assert await row_counts(engine) == before

    await staff.unblock(p.id)
    approved = await wd.approve(w.id, FINANCE)
    assert approved.state is WithdrawalState.APPROVED
    assert [s.id for s in payouts.sent] == [w.id]


async def test_an_approved_withdrawal_of_a_blocked_player_cannot_be_marked_paid(
    wd, player, staff, balances, engine
):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(200), DESTINATION, uuid.uuid4())
    await wd.approve(w.id, FINANCE)
    await staff.block(p.id)
    before = await row_counts(engine)
    with pytest.raises(WithdrawalFrozen):
        await wd.paid(w.id, "bank-77", FINANCE)
    assert (await wd.get(w.id)).state is WithdrawalState.APPROVED
    assert await row_counts(engine) == before

    await staff.unblock(p.id)
    paid = await wd.paid(w.id, "bank-77", FINANCE)
    assert (paid.state, paid.payout_reference) == (WithdrawalState.PAID, "bank-77")
    assert await _wallet(balances, p.id) == 800


async def test_a_blocked_players_withdrawals_can_still_be_returned(wd, player, staff, balances):
    p = await player(1_000)
    requested = await wd.request(p.id, xtr(200), DESTINATION, uuid.uuid4())
    approved = await wd.request(p.id, xtr(300), DESTINATION, uuid.uuid4())
    await wd.approve(approved.id, FINANCE)
    await staff.block(p.id)
    rejected = await wd.reject(requested.id, "account blocked", FINANCE)
    failed = await wd.failed(approved.id, "account blocked", FINANCE)
    assert (rejected.state, failed.state) == (WithdrawalState.REJECTED, WithdrawalState.FAILED)
    assert await _wallet(balances, p.id) == 1_000
    # Approving the rejected one says what it is, not that it is frozen.
    with pytest.raises(IllegalTransition) as refused:
        await wd.approve(requested.id, FINANCE)
    assert not isinstance(refused.value, WithdrawalFrozen)


class _BlockBeforeSecondUnit:
    """A unit-of-work factory that blocks the player just before its second unit of work
    opens: for `ApproveWithdrawal`, between the approval's commit and the payout."""

    def __init__(self, factory, block) -> None:
        self._factory = factory
        self._block = block
        self.opened = 0

    def __call__(self):
        self.opened += 1
        uow = self._factory()
        if self.opened != 2:
            return uow
        block = self._block

        class Entering:
            async def __aenter__(self):
                await block()
                return await uow.__aenter__()

            async def __aexit__(self, *exc_info):
                return await uow.__aexit__(*exc_info)

        return Entering()


async def test_a_block_landing_after_the_approval_stops_the_payout(
    wd, player, staff, uow_factory, clock, ids, house, payouts
):
    p = await player(1_000)
    w = await wd.request(p.id, xtr(200), DESTINATION, uuid.uuid4())
    factory = _BlockBeforeSecondUnit(uow_factory, lambda: staff.block(p.id))
    payouts.answers.append(PayoutSent("gw-1", completed=True))
    approved = await ApproveWithdrawal(factory, clock, ids, house, payouts)(w.id, FINANCE)
    assert factory.opened == 2
    assert approved.state is WithdrawalState.APPROVED
    assert payouts.sent == []  # nothing was sent for a player blocked meanwhile
    assert (await wd.get(w.id)).state is WithdrawalState.APPROVED
