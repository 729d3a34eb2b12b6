"""Responsible gambling on the real PostgreSQL: the use cases, the guard the bet and deposit
paths call, the usage read model, the audit trail, the exclusion trigger and a race against a
wager limit. Times come from a controllable clock set in the future, so nothing the rest of
the suite writes with the wall clock falls into these players' windows."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.errors import sqlstate
from application.betting import SettleDiceBet, SettleDiceBetCommand, VoidBet, VoidBetCommand
from application.ports import AuditQuery
from application.responsible import ResponsibleGamblingGuard
from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from domain import postings
from domain.accounts import AccountKind
from domain.bets import Bet
from domain.errors import IllegalTransition, InvalidAmount, InvalidRequest, NotFound
from domain.events import bet_stored, transactions_posted
from domain.money import TON, XTR, Money
from domain.responsible import (
    Exclusion,
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
    TimeoutPeriod,
    Usage,
)
from domain.staff import AuditAction
from tests.amounts import xtr
from tests.conftest import race
from tests.fakes import FakeClock

pytestmark = pytest.mark.usefixtures("books")

START = datetime(2027, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def fake_clock():
    return FakeClock(START)


@pytest.fixture
def guard():
    return ResponsibleGamblingGuard()


@pytest.fixture
def bet(uow_factory, guard, house, ids, fake_clock):
    """Place a Telegram dice bet the way the bet path will: the guard first, then the bet row
    and its ledger transaction, in one unit of work at the clock's time."""

    async def place(player_id: int, stake: Money) -> Bet:
        now = fake_clock.now()
        async with uow_factory() as uow:
            await guard.check_bet(uow, await uow.players.standing(player_id), stake, now)
            config = await uow.games.get("tg_dice")
            wallet = await uow.accounts.wallet(player_id, stake.currency)
            placed = Bet.place(
                bet_id=uuid.uuid4(),
                player_id=player_id,
                config=config,
                params={"bet": "even"},
                stake=stake,
                placed_at=now,
                transaction_id=ids.new_id(),
            )
            assert await uow.bets.add(placed)
            uow.raise_events(*bet_stored(placed))  # as PlaceBet does
            in_play = await house.account_for(
                uow.accounts, AccountKind.BETS_IN_PLAY, stake.currency, player_id
            )
            posted = await uow.ledger.post(
                postings.bet_placement(placed, placed.placement_legs(wallet.id, in_play), at=now)
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()
        return placed

    return place


@pytest.fixture
def deposit(uow_factory, guard, house, ids, fake_clock):
    """A deposit the way the deposit path will make it: the guard, then the posting."""

    async def make(player_id: int, amount: Money) -> None:
        now = fake_clock.now()
        async with uow_factory() as uow:
            await guard.check_deposit(uow, await uow.players.standing(player_id), amount, now)
            wallet = await uow.accounts.open_wallet(player_id, amount.currency)
            clearing = await house.account_for(
                uow.accounts, AccountKind.DEPOSITS_CLEARING, amount.currency, player_id
            )
            movement = postings.deposit(amount, f"test-deposit:{uuid.uuid4()}")
            posted = await uow.ledger.post(
                movement.transaction(ids.new_id(), wallet.id, clearing, at=now)
            )
            uow.raise_events(*transactions_posted(posted))
            await uow.commit()

    return make


@pytest.fixture
def settle_on(uow_factory, fake_clock, ids, house):
    settle = SettleDiceBet(uow_factory, fake_clock, ids, house)

    async def run(placed: Bet, value: int):
        chat, message = secrets.randbelow(2**40) + 1, secrets.randbelow(2**40) + 1
        return await settle(SettleDiceBetCommand(placed.id, chat, message, value))

    return run


async def _audit(uow_factory, player_id: int):
    async with uow_factory() as uow:
        entries = await uow.audit.search(AuditQuery(subject=f"player:{player_id}", limit=100))
    return list(reversed(entries))  # oldest first


async def _refused(coro) -> ResponsibleGamblingRefusal:
    with pytest.raises(ResponsibleGamblingRefusal) as refused:
        await coro
    return refused.value


# -- the guard's cost --------------------------------------------------------------------------


async def test_a_player_without_settings_costs_one_small_query(
    engine, uow_factory, guard, new_player
):
    player = await new_player()
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    async with uow_factory() as uow:
        standing = await uow.players.standing(player.id)  # the use case's read, not the guard's
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            await guard.check_bet(uow, standing, xtr(10**6), START)
            await guard.check_deposit(uow, standing, xtr(10**6), START)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements  # one for the bet, one for the deposit
    assert all("FROM responsible_profiles" in s for s in statements)


# -- limits --------------------------------------------------------------------------------------


async def test_limits_decrease_at_once_and_increase_only_after_cooling_off_and_confirmation(
    funded_player, rg, bet, fake_clock, uow_factory
):
    player = await funded_player(10_000)
    change = await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(100))
    assert change.applied

    await bet(player.id, xtr(60))
    refusal = await _refused(bet(player.id, xtr(41)))
    assert refusal.rule == "wager_limit_24h"
    assert refusal.remaining == xtr(40)
    await bet(player.id, xtr(40))  # exactly at the limit
    await _refused(bet(player.id, xtr(1)))

    # A decrease applies at once.
    fake_clock.advance(hours=25)  # the first bets have left the window
    lower = await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(30))
    assert lower.applied
    assert lower.limit.amount == xtr(30)
    await _refused(bet(player.id, xtr(31)))
    await bet(player.id, xtr(30))

    # An increase waits: refused before 24 h, still the old limit after 24 h until confirmed.
    fake_clock.advance(hours=25)
    raised = await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(200))
    assert not raised.applied
    assert raised.limit.amount == xtr(30)
    assert raised.confirmable_at == fake_clock.now() + timedelta(hours=24)
    await _refused(bet(player.id, xtr(31)))
    fake_clock.advance(hours=23, minutes=59)
    early = await _refused(rg.confirm(player.id, LimitKind.WAGER, LimitPeriod.DAY, XTR))
    assert early.rule == "cooling_off"
    assert early.until == raised.confirmable_at
    fake_clock.advance(hours=5)
    assert (await _refused(bet(player.id, xtr(31)))).rule == "wager_limit_24h"
    confirmed = await rg.confirm(player.id, LimitKind.WAGER, LimitPeriod.DAY, XTR)
    assert confirmed is not None
    assert confirmed.amount == xtr(200)
    await bet(player.id, xtr(200))

    actions = [e.action for e in await _audit(uow_factory, player.id)]
    assert actions == [
        AuditAction.LIMIT_SET,
        AuditAction.LIMIT_SET,
        AuditAction.LIMIT_INCREASE_REQUESTED,
        AuditAction.LIMIT_INCREASE_CONFIRMED,
    ]


async def test_removing_a_limit_waits_and_is_audited(
    funded_player, rg, bet, fake_clock, uow_factory
):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.WEEK, xtr(50))
    asked = await rg.remove_limit(player.id, LimitKind.LOSS, LimitPeriod.WEEK, XTR)
    assert not asked.applied
    assert asked.limit.pending is not None
    assert asked.limit.pending.is_removal
    await _refused(bet(player.id, xtr(51)))
    fake_clock.advance(hours=24)
    assert await rg.confirm(player.id, LimitKind.LOSS, LimitPeriod.WEEK, XTR) is None
    await bet(player.id, xtr(500))
    with pytest.raises(NotFound):
        await rg.remove_limit(player.id, LimitKind.LOSS, LimitPeriod.WEEK, XTR)

    entries = await _audit(uow_factory, player.id)
    assert [e.action for e in entries] == [
        AuditAction.LIMIT_SET,
        AuditAction.LIMIT_REMOVAL_REQUESTED,
        AuditAction.LIMIT_REMOVED,
    ]
    assert {e.actor for e in entries} == {f"player:{player.id}"}
    assert entries[0].before is None
    assert entries[0].after["amount"] == 50
    assert entries[2].after is None


async def test_the_lowest_of_24h_7d_and_30d_wins(funded_player, rg, bet, fake_clock):
    player = await funded_player(10_000)
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(100))
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.WEEK, xtr(150))
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.MONTH, xtr(1000))
    await bet(player.id, xtr(90))  # open: counts as lost
    fake_clock.advance(days=2)  # 24 h window empty, 7-day one holds 90
    refusal = await _refused(bet(player.id, xtr(61)))
    assert refusal.rule == "loss_limit_7d"
    assert refusal.remaining == xtr(60)
    await bet(player.id, xtr(60))


async def test_a_loss_limit_counts_settled_results(funded_player, rg, bet, settle_on):
    player = await funded_player(10_000)
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(100))
    won = await bet(player.id, xtr(100))
    await settle_on(won, 2)  # even: pays 194, the player is 94 ahead
    lost = await bet(player.id, xtr(100))
    await settle_on(lost, 3)  # net loss 6
    await bet(player.id, xtr(94))  # exactly the room left; open, so counted as lost
    refusal = await _refused(bet(player.id, xtr(1)))
    assert refusal.rule == "loss_limit_24h"
    assert refusal.remaining == xtr(0)


async def test_deposit_limits_and_the_first_deposit_prompt(
    new_player, rg, deposit, fake_clock, uow_factory
):
    player = await new_player()
    assert not await rg.has_deposit_limit(player.id)
    await deposit(player.id, xtr(500))  # no limit yet
    await rg.set_limit(player.id, LimitKind.DEPOSIT, LimitPeriod.DAY, xtr(1000))
    assert await rg.has_deposit_limit(player.id)
    await deposit(player.id, xtr(500))  # 1000 in 24 h: exactly the limit
    refusal = await _refused(deposit(player.id, xtr(1)))
    assert refusal.rule == "deposit_limit_24h"
    assert refusal.remaining == xtr(0)
    await deposit(player.id, Money(10**9, TON))  # another currency
    fake_clock.advance(hours=24, seconds=1)
    await deposit(player.id, xtr(1000))

    status = await rg.status(player.id)
    assert status.has_deposit_limit
    (only,) = status.limits
    assert only.used == xtr(1000)
    assert only.remaining == xtr(0)


async def test_status_shows_usage_pending_changes_exclusion_and_reality_check(
    funded_player, rg, bet, fake_clock
):
    player = await funded_player(10_000)
    await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.WEEK, xtr(500))
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(300))
    await rg.reality_check(player.id, 60)
    await bet(player.id, xtr(120))
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(400))

    status = await rg.status(player.id)
    assert not status.has_deposit_limit
    assert not status.excluded
    assert status.reality_check is not None
    assert status.reality_check.minutes == 60
    assert not status.reality_check_due
    loss, wager = status.limits
    assert (loss.limit.kind, loss.used, loss.remaining) == (LimitKind.LOSS, xtr(120), xtr(180))
    assert loss.pending_amount == xtr(400)
    assert loss.confirmable_at == START + timedelta(hours=24)
    assert not loss.confirmable
    assert (wager.used, wager.remaining) == (xtr(120), xtr(380))
    assert wager.pending_amount is None

    fake_clock.advance(hours=24, seconds=1)
    await rg.timeout(player.id, TimeoutPeriod.DAY)
    status = await rg.status(player.id)
    assert status.limits[0].confirmable
    assert status.limits[0].used == xtr(0)  # the bet left the 24-hour window
    assert status.excluded
    assert not status.self_excluded
    assert status.exclusion is not None
    assert status.exclusion.until == fake_clock.now() + timedelta(hours=24)
    assert status.reality_check_due


async def test_bad_limit_requests(rg, new_player):
    with pytest.raises(NotFound):
        await rg.set_limit(10**12, LimitKind.LOSS, LimitPeriod.DAY, xtr(10))
    player = await new_player()
    with pytest.raises(InvalidAmount):
        await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(0))
    with pytest.raises(NotFound):
        await rg.confirm(player.id, LimitKind.LOSS, LimitPeriod.DAY, XTR)
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(10))
    with pytest.raises(InvalidRequest):  # nothing pending
        await rg.confirm(player.id, LimitKind.LOSS, LimitPeriod.DAY, XTR)
    with pytest.raises(InvalidRequest):
        await rg.reality_check(player.id, 5)


# -- the usage read model ------------------------------------------------------------------------


async def test_usage_counts_bets_seamless_debits_and_deposits(
    funded_player, uow_factory, bet, settle_on, deposit, fake_clock, ids, house
):
    player = await funded_player(10_000)
    await deposit(player.id, xtr(300))
    open_bet = await bet(player.id, xtr(10))
    won = await bet(player.id, xtr(100))
    await settle_on(won, 4)  # pays 194
    lost = await bet(player.id, xtr(50))
    await settle_on(lost, 1)
    voided = await bet(player.id, xtr(70))
    await VoidBet(uow_factory, fake_clock, ids, house)(VoidBetCommand(voided.id, "dice lost"))
    debit = SeamlessDebit(uow_factory, fake_clock, ids, house)
    credit = SeamlessCredit(uow_factory, fake_clock, ids, house)
    rollback = SeamlessRollback(uow_factory, fake_clock, ids, house)
    d1, c1, d2, r1, r2 = (f"{name}-{uuid.uuid4().hex}" for name in ("d1", "c1", "d2", "r1", "r2"))
    await debit(SeamlessDebitCommand("slots", player.id, xtr(40), d1, r1))
    await credit(SeamlessCreditCommand("slots", player.id, xtr(25), c1, r1))
    await debit(SeamlessDebitCommand("slots", player.id, xtr(33), d2, r2))
    await rollback(SeamlessRollbackCommand("slots", player.id, d2, r2, XTR))

    async with uow_factory() as uow:
        usage = await uow.responsible.usage(player.id, XTR, START)
        later = await uow.responsible.usage(player.id, XTR, START + timedelta(seconds=1))
        bets_only = await uow.responsible.usage(player.id, XTR, START, frozenset({LimitKind.WAGER}))
        other = await uow.responsible.usage(player.id, TON, START)
        last = await uow.responsible.last_played_at(player.id)
    # Wagered: 10 + 100 + 50 (the void gave its stake back) + 40 (the rolled-back debit too).
    # Net loss: 200 - 194 - 25. Deposits: the 300 (the funding deposit is outside the window).
    assert usage == Usage(wagered=200, net_loss=-19, deposited=300)
    assert later == Usage()
    assert bets_only == Usage(wagered=200, net_loss=-19, deposited=0)
    assert other == Usage()
    assert last == START
    assert open_bet.stake == xtr(10)


async def test_seamless_debits_count_against_a_wager_limit(
    funded_player, rg, bet, uow_factory, fake_clock, ids, house
):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(50))
    debit = SeamlessDebit(uow_factory, fake_clock, ids, house)
    await debit(
        SeamlessDebitCommand("slots", player.id, xtr(30), uuid.uuid4().hex, uuid.uuid4().hex)
    )
    await _refused(bet(player.id, xtr(21)))
    await bet(player.id, xtr(20))


# -- time-out and self-exclusion -----------------------------------------------------------------


async def test_a_timeout_refuses_bets_and_deposits_until_it_ends(
    funded_player, rg, bet, deposit, fake_clock, uow_factory
):
    player = await funded_player(1000)
    exclusion = await rg.timeout(player.id, TimeoutPeriod.WEEK)
    until = START + timedelta(days=7)
    assert exclusion.until == until
    refusal = await _refused(bet(player.id, xtr(1)))
    assert refusal.rule == "timeout"
    assert refusal.until == until
    assert "2027-03-08 12:00 UTC" in refusal.message
    assert (await _refused(deposit(player.id, xtr(1)))).rule == "timeout"

    # Asking for a shorter one keeps the longer one.
    fake_clock.advance(hours=1)
    kept = await rg.timeout(player.id, TimeoutPeriod.DAY)
    assert kept.until == until
    assert kept.started_at == START

    fake_clock.current = until - timedelta(seconds=1)
    await _refused(bet(player.id, xtr(1)))
    fake_clock.current = until
    await bet(player.id, xtr(1))
    await deposit(player.id, xtr(1))

    entries = await _audit(uow_factory, player.id)
    assert [e.action for e in entries] == [AuditAction.TIMEOUT_STARTED] * 2
    assert entries[1].before["until"] == until.isoformat()
    assert entries[1].after["until"] == until.isoformat()
    assert entries[1].after["requested"]["until"] == (START + timedelta(hours=25)).isoformat()


async def test_self_exclusion_escalates_and_never_ends_early(
    funded_player, rg, bet, deposit, fake_clock, uow_factory
):
    player = await funded_player(1000)
    await rg.timeout(player.id, TimeoutPeriod.DAY)
    six_months = await rg.self_exclude(player.id, SelfExclusionPeriod.SIX_MONTHS)
    assert six_months.kind is ExclusionKind.SELF_EXCLUSION
    assert six_months.until == datetime(2027, 9, 1, 12, tzinfo=UTC)
    # A time-out asked during a self-exclusion changes nothing.
    still = await rg.timeout(player.id, TimeoutPeriod.SIX_WEEKS)
    assert still == six_months
    refusal = await _refused(bet(player.id, xtr(1)))
    assert refusal.rule == "self_excluded"
    assert refusal.until == six_months.until

    permanent = await rg.self_exclude(player.id, SelfExclusionPeriod.PERMANENT)
    assert permanent.until is None
    fake_clock.advance(days=365 * 20)
    assert (await _refused(deposit(player.id, xtr(1)))).until is None
    assert [e.action for e in await _audit(uow_factory, player.id)] == [
        AuditAction.TIMEOUT_STARTED,
        AuditAction.SELF_EXCLUDED,
        AuditAction.TIMEOUT_STARTED,
        AuditAction.SELF_EXCLUDED,
    ]


async def _raw(engine, sql: str, **params) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(sql), params)
        await conn.commit()


async def _refused_by_database(engine, sql: str, **params) -> str:
    with pytest.raises(DBAPIError) as refused:
        await _raw(engine, sql, **params)
    assert sqlstate(refused.value) == "CR405", refused.value
    return str(refused.value)


async def test_the_database_refuses_to_shorten_or_delete_an_exclusion(
    engine, new_player, rg, uow_factory, fake_clock
):
    player = await new_player()
    await rg.self_exclude(player.id, SelfExclusionPeriod.ONE_YEAR)
    p = player.id
    message = await _refused_by_database(
        engine,
        "UPDATE responsible_exclusions SET until = until - interval '1 second'"
        " WHERE player_id = :p",
        p=p,
    )
    assert "cannot be shortened" in message
    await _refused_by_database(
        engine,
        "UPDATE responsible_exclusions SET kind = 'timeout' WHERE player_id = :p",
        p=p,
    )
    await _refused_by_database(
        engine,
        "UPDATE responsible_exclusions SET started_at = started_at + interval '1 day'"
        " WHERE player_id = :p",
        p=p,
    )
    await _refused_by_database(
        engine, "DELETE FROM responsible_exclusions WHERE player_id = :p", p=p
    )
    await _refused_by_database(engine, "TRUNCATE responsible_exclusions")
    # Extending is allowed, by SQL as by the use case.
    await _raw(
        engine,
        "UPDATE responsible_exclusions SET until = until + interval '1 day' WHERE player_id = :p",
        p=p,
    )

    await rg.self_exclude(p, SelfExclusionPeriod.PERMANENT)
    await _refused_by_database(
        engine,
        "UPDATE responsible_exclusions SET until = '2100-01-01' WHERE player_id = :p",
        p=p,
    )
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT kind, until FROM responsible_exclusions WHERE player_id = :p"),
                {"p": p},
            )
        ).one()
    assert (row.kind, row.until) == ("self_exclusion", None)

    # Through the adapter, a shorter exclusion is an IllegalTransition.
    async with uow_factory() as uow:
        with pytest.raises(IllegalTransition):
            await uow.responsible.save_exclusion(
                Exclusion.timeout(p, TimeoutPeriod.DAY, fake_clock.now())
            )


async def test_an_ended_exclusion_is_replaced_by_a_new_one(new_player, rg, fake_clock):
    player = await new_player()
    await rg.self_exclude(player.id, SelfExclusionPeriod.SIX_MONTHS)
    fake_clock.current = datetime(2027, 9, 2, tzinfo=UTC)
    fresh = await rg.timeout(player.id, TimeoutPeriod.DAY)
    assert fresh.kind is ExclusionKind.TIMEOUT
    assert fresh.started_at == fake_clock.now()


# -- reality check -------------------------------------------------------------------------------


async def test_a_reality_check_stops_the_next_bet_until_acknowledged(
    funded_player, rg, bet, fake_clock, uow_factory, settle_on
):
    player = await funded_player(1000)
    await rg.reality_check(player.id, 15)
    first = await bet(player.id, xtr(10))  # the session starts with the first bet
    fake_clock.advance(minutes=5)
    await settle_on(first, 2)  # wins 19.4 -> 19
    await bet(player.id, xtr(10))
    fake_clock.advance(minutes=10)
    refusal = await _refused(bet(player.id, xtr(10)))
    assert refusal.rule == "reality_check"
    assert refusal.session_time == timedelta(minutes=15)
    assert refusal.session_started_at == START
    assert refusal.net_result == xtr(-1)  # 19 paid on the first 10, the second 10 still open
    assert "15 min" in refusal.message
    await _refused(bet(player.id, xtr(10)))  # still refused until acknowledged

    acknowledged = await rg.acknowledge(player.id)
    assert acknowledged.acknowledged_at == fake_clock.now()
    assert (await rg.acknowledge(player.id)) == acknowledged  # a double tap: nothing new
    await bet(player.id, xtr(10))
    fake_clock.advance(minutes=15)
    assert (await _refused(bet(player.id, xtr(10)))).session_time == timedelta(minutes=30)

    # A break of 30 minutes ends the session: the next bet starts a new one.
    fake_clock.advance(minutes=30)
    await bet(player.id, xtr(10))
    status = await rg.status(player.id)
    assert status.reality_check.session_started_at == fake_clock.now()

    assert [e.action for e in await _audit(uow_factory, player.id)] == [
        AuditAction.REALITY_CHECK_SET,
        AuditAction.REALITY_CHECK_ACKNOWLEDGED,
    ]
    assert await rg.reality_check(player.id, None) is None
    with pytest.raises(InvalidRequest):
        await rg.acknowledge(player.id)


# -- races ----------------------------------------------------------------------------------------


async def test_concurrent_bets_cannot_pass_the_same_wager_limit(
    funded_player, rg, bet, uow_factory
):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(10))
    results = await race(30, lambda i: bet(player.id, xtr(1)))
    placed = [r for r in results if isinstance(r, Bet)]
    refused = [r for r in results if isinstance(r, ResponsibleGamblingRefusal)]
    assert len(placed) == 10
    assert len(refused) == 20, [r for r in results if isinstance(r, BaseException)]
    assert {r.rule for r in refused} == {"wager_limit_24h"}
    async with uow_factory() as uow:
        assert (await uow.responsible.usage(player.id, XTR, START)).wagered == 10


async def test_concurrent_deposits_cannot_pass_the_same_deposit_limit(new_player, rg, deposit):
    player = await new_player()
    await rg.set_limit(player.id, LimitKind.DEPOSIT, LimitPeriod.WEEK, xtr(100))
    results = await race(25, lambda i: deposit(player.id, xtr(10)))
    assert sum(1 for r in results if r is None) == 10
    assert sum(1 for r in results if isinstance(r, ResponsibleGamblingRefusal)) == 15


async def test_usage_counts_a_players_duel_stakes_and_prizes_once_each(engine, new_player):
    """Duel stakes are bets in the wager and loss limits (docs/duels.md), read in one pass over
    the player's duels by the two (player, time) indexes: the challenger's stake unless the
    duel was declined, expired or refunded, the challenged player's once accepted, and the
    prize (the pot less the cut, rounded up) of a duel the player won. Rows written and rolled
    back in one transaction, so the books' duel checks never see them."""
    from adapters.postgres.responsible import SqlResponsibleGambling
    from domain.money import CurrencyRegistry

    me, rival, other = await new_player(), await new_player(), await new_player()
    rows = [
        # (challenger, challenged, currency, stake, state, winner, created)
        (me.id, rival.id, "XTR", 100, "settled", me.id, START),  # staked 100, prize 190
        (rival.id, me.id, "XTR", 40, "settled", rival.id, START),  # staked 40, lost
        (rival.id, me.id, "XTR", 30, "settled", me.id, START),  # staked 30, prize 57
        (me.id, rival.id, "XTR", 20, "challenged", None, START),  # staked 20 (in escrow)
        (rival.id, me.id, "XTR", 500, "challenged", None, START),  # not accepted: nothing
        (me.id, rival.id, "XTR", 70, "refunded", None, START),  # given back: nothing
        (rival.id, me.id, "XTR", 60, "declined", None, START),  # nothing
        (me.id, rival.id, "TON", 9, "settled", me.id, START),  # another currency
        (me.id, rival.id, "XTR", 11, "settled", me.id, START - timedelta(seconds=1)),  # before
        (rival.id, other.id, "XTR", 1000, "settled", rival.id, START),  # not mine
    ]
    async with engine.connect() as conn:
        await conn.begin()
        for challenger, challenged, currency, stake, state, winner, created in rows:
            ended = state in ("settled", "refunded", "declined", "expired")
            await conn.execute(
                text(
                    "INSERT INTO duels (id, chat_id, challenger_id, challenged_id, currency, "
                    "stake, game, cut_bps, max_ties, state, winner_id, created_at, deadline, "
                    "finished_at) VALUES (:id, -1, :a, :b, :c, :s, '🎲', 500, 1, :state, :w, "
                    ":t, :t, :f)"
                ),
                {
                    "id": uuid.uuid4(),
                    "a": challenger,
                    "b": challenged,
                    "c": currency,
                    "s": stake,
                    "state": state,
                    "w": winner,
                    "t": created,
                    "f": created if ended else None,
                },
            )
        responsible = SqlResponsibleGambling(conn, CurrencyRegistry())
        usage = await responsible.usage(me.id, XTR, START)
        rivals = await responsible.usage(rival.id, XTR, START)
        await conn.rollback()
    # Mine: staked 100 + 40 + 30 + 20; prizes 190 (200 less 5%) and 57 (60 less 3).
    assert usage == Usage(wagered=190, net_loss=190 - 190 - 57, deposited=0)
    # The rival's: their accept of my 100, their challenges of 40, 30, 500 and 1000 (not the
    # declined 60; my open 20 and refunded 70 they never accepted); prizes 76 and 1900.
    assert rivals == Usage(wagered=1670, net_loss=1670 - 76 - 1900, deposited=0)
