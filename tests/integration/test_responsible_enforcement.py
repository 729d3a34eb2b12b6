"""Responsible gambling and velocity limits enforced by the use cases that move money, on the
real PostgreSQL and Redis: PlaceBet, the seamless wallet's debit and CreditDeposit. Each
refusal leaves the books exactly as they were; a replay of what was accepted still answers
with its first result; open bets and rounds settle as they stand. The gRPC and HTTP side is in
tests/entrypoints/test_responsible_entrypoints.py.

Times come from a controllable clock well in the future, so nothing written on the wall
clock (the funding deposit) falls into these players' windows."""

from __future__ import annotations

import logging
import secrets
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from adapters.redis_client import create_redis
from adapters.velocity import RedisVelocityLimiter
from application.betting import (
    PlaceBet,
    PlaceBetCommand,
    SettleDiceBet,
    SettleDiceBetCommand,
    VoidBet,
    VoidBetCommand,
)
from application.postings import CreditDeposit, CreditDepositCommand
from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from application.velocity import VelocityPolicy
from domain.bets import BetState
from domain.money import XTR
from domain.responsible import (
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
    TimeoutPeriod,
)
from domain.velocity import VelocityAction, VelocityLimit, VelocityLimited, VelocityUnavailable
from tests.amounts import xtr
from tests.fakes import FakeClock

pytestmark = pytest.mark.usefixtures("books")

START = datetime(2028, 5, 1, 9, tzinfo=UTC)
PROVIDER = "slots-rg"


@pytest.fixture
def fake_clock():
    return FakeClock(START)


@pytest.fixture
def money(uow_factory, fake_clock, ids, house, seed_source):
    """The money-moving use cases on the controllable clock, as production wires them (the
    guard is always on; velocity is off unless a test passes a policy)."""

    class UseCases:
        place = PlaceBet(uow_factory, fake_clock, ids, house, seed_source)
        settle = SettleDiceBet(uow_factory, fake_clock, ids, house)
        void = VoidBet(uow_factory, fake_clock, ids, house)
        deposit = CreditDeposit(uow_factory, fake_clock, ids, house)
        debit = SeamlessDebit(uow_factory, fake_clock, ids, house)
        credit = SeamlessCredit(uow_factory, fake_clock, ids, house)
        rollback = SeamlessRollback(uow_factory, fake_clock, ids, house)

    return UseCases


def dice(player_id: int, stake: int, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    """A Telegram dice bet: placed open, so its whole stake is at risk until the dice lands."""
    return PlaceBetCommand(
        player_id, bet_id or uuid.uuid4(), "tg_dice", xtr(stake), {"bet": "even"}
    )


def coin(player_id: int, stake: int, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, bet_id or uuid.uuid4(), "coin", xtr(stake), {"side": "heads"})


def debit(player_id: int, amount: int, tx: str | None = None, round_id: str | None = None):
    return SeamlessDebitCommand(
        PROVIDER,
        player_id,
        xtr(amount),
        tx or f"d-{uuid.uuid4().hex}",
        round_id or f"r-{uuid.uuid4().hex}",
    )


def deposit(player_id: int, amount: int, key: str | None = None) -> CreditDepositCommand:
    return CreditDepositCommand(player_id, xtr(amount), key or f"dep-{uuid.uuid4().hex}")


async def books_of(uow_factory, player_id: int):
    """Everything a refusal must leave untouched: balances, journal legs, bets."""
    async with uow_factory() as uow:
        wallets = await uow.accounts.wallets(player_id)
        legs = await uow.ledger.history([w.id for w in wallets], before_leg_id=None, limit=1000)
        bets = await uow.bets.recent(player_id, limit=1000)
    return (
        sorted((w.currency.code, w.balance) for w in wallets),
        [leg.leg_id for leg in legs],
        [(b.id, b.state) for b in bets],
    )


async def refused(coro) -> ResponsibleGamblingRefusal:
    with pytest.raises(ResponsibleGamblingRefusal) as caught:
        await coro
    return caught.value


# -- limits at their boundaries, on the real use cases ----------------------------------------


async def test_a_wager_limit_on_place_bet_allows_exactly_the_limit(
    funded_player, rg, money, uow_factory
):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(100))
    await money.place(coin(player.id, 60))
    before = await books_of(uow_factory, player.id)
    refusal = await refused(money.place(coin(player.id, 41)))
    assert refusal.rule == "wager_limit_24h"
    assert refusal.remaining == xtr(40)
    assert refusal.limit == xtr(100)
    assert await books_of(uow_factory, player.id) == before  # nothing written
    await money.place(coin(player.id, 40))  # exactly at the limit
    assert (await refused(money.place(coin(player.id, 1)))).remaining == xtr(0)


async def test_a_loss_limit_refuses_a_stake_whose_full_loss_would_pass_it(
    funded_player, rg, money, uow_factory, fake_clock
):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.LOSS, LimitPeriod.DAY, xtr(100))
    first = await money.place(dice(player.id, 70))  # open: all 70 may be lost
    before = await books_of(uow_factory, player.id)
    refusal = await refused(money.place(dice(player.id, 31)))
    assert refusal.rule == "loss_limit_24h"
    assert refusal.remaining == xtr(30)
    assert await books_of(uow_factory, player.id) == before
    await money.place(dice(player.id, 30))  # a full loss of 30 reaches the limit exactly
    await refused(money.place(dice(player.id, 1)))

    # A win gives room back: the loss limit is on net losses, not on stakes. Staked 100,
    # paid 135: the player is 35 ahead, so 135 may still be lost.
    won = await money.settle(SettleDiceBetCommand(first.bet.id, 1, 10**9, 2))  # even: 70 -> 135
    assert won.bet.state is BetState.WON
    assert (await refused(money.place(dice(player.id, 136)))).remaining == xtr(135)
    await money.place(dice(player.id, 135))
    await refused(money.place(dice(player.id, 1)))
    # The window rolls: activity exactly 24 hours old still counts, a second later it does not.
    fake_clock.advance(hours=24)
    await refused(money.place(dice(player.id, 1)))
    fake_clock.advance(seconds=1)
    await money.place(dice(player.id, 100))


async def test_a_seamless_debit_is_a_bet_for_the_limits(funded_player, rg, money, uow_factory):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.WEEK, xtr(50))
    await money.place(coin(player.id, 20))
    await money.debit(debit(player.id, 20))
    before = await books_of(uow_factory, player.id)
    refusal = await refused(money.debit(debit(player.id, 11)))
    assert refusal.rule == "wager_limit_7d"
    assert refusal.remaining == xtr(10)
    assert await books_of(uow_factory, player.id) == before
    await money.debit(debit(player.id, 10))
    await refused(money.place(coin(player.id, 1)))


async def test_a_deposit_limit_on_credit_deposit_allows_exactly_the_limit(
    new_player, rg, money, uow_factory
):
    player = await new_player()
    await rg.set_limit(player.id, LimitKind.DEPOSIT, LimitPeriod.WEEK, xtr(1000))
    await money.deposit(deposit(player.id, 600))
    before = await books_of(uow_factory, player.id)
    refusal = await refused(money.deposit(deposit(player.id, 401, "over-the-limit")))
    assert refusal.rule == "deposit_limit_7d"
    assert refusal.remaining == xtr(400)
    assert await books_of(uow_factory, player.id) == before
    async with uow_factory() as uow:
        assert not await uow.ledger.has_key("over-the-limit")
    last = await money.deposit(deposit(player.id, 400, f"last-{player.id}"))
    assert last.balance == xtr(1000)
    await refused(money.deposit(deposit(player.id, 1)))
    # The processor retries the last one after a lost answer: its first answer, not a refusal.
    again = await money.deposit(deposit(player.id, 400, f"last-{player.id}"))
    assert again.replayed
    assert again.transaction.id == last.transaction.id


# -- time-out and self-exclusion ----------------------------------------------------------------


async def test_an_exclusion_refuses_every_bet_and_deposit_and_open_play_settles_as_it_stands(
    funded_player, rg, money, uow_factory
):
    player = await funded_player(1000)
    open_dice = await money.place(dice(player.id, 10))
    to_void = await money.place(dice(player.id, 10))
    won_round, lost_round = f"r-{uuid.uuid4().hex}", f"r-{uuid.uuid4().hex}"
    stake = f"d-{uuid.uuid4().hex}"
    await money.debit(debit(player.id, 30, round_id=won_round))
    await money.debit(debit(player.id, 25, stake, round_id=lost_round))

    exclusion = await rg.self_exclude(player.id, SelfExclusionPeriod.SIX_MONTHS)
    before = await books_of(uow_factory, player.id)
    for attempt in (
        money.place(coin(player.id, 1)),
        money.place(dice(player.id, 1)),
        money.debit(debit(player.id, 1)),
        money.debit(debit(player.id, 1, round_id=won_round)),  # even in an open round
        money.deposit(deposit(player.id, 1)),
    ):
        refusal = await refused(attempt)
        assert refusal.rule == "self_excluded"
        assert refusal.until == exclusion.until
    assert await books_of(uow_factory, player.id) == before

    # What was in play when the exclusion began finishes: the dice that lands settles the bet,
    # a lost dice is voided, and the provider may still pay a win or roll a stake back.
    settled = await money.settle(SettleDiceBetCommand(open_dice.bet.id, 5, 10**9 + 5, 2))
    assert settled.bet.state is BetState.WON
    voided = await money.void(VoidBetCommand(to_void.bet.id, "dice never arrived"))
    assert voided.bet.state is BetState.VOIDED
    await money.credit(
        SeamlessCreditCommand(PROVIDER, player.id, xtr(60), f"c-{uuid.uuid4().hex}", won_round)
    )
    back = await money.rollback(
        SeamlessRollbackCommand(PROVIDER, player.id, stake, lost_round, XTR)
    )
    # 1000 - 10 (+19 won) - 30 (+60) - 25 (+25 rolled back), the voided 10 returned.
    assert back.balance == xtr(1000 - 10 + 19 - 30 + 60)


async def test_a_timeout_ends_on_time_and_bets_go_through_again(
    funded_player, rg, money, fake_clock
):
    player = await funded_player(1000)
    timeout = await rg.timeout(player.id, TimeoutPeriod.DAY)
    assert (await refused(money.place(coin(player.id, 5)))).rule == "timeout"
    assert (await refused(money.deposit(deposit(player.id, 5)))).rule == "timeout"
    fake_clock.current = timeout.until
    await money.place(coin(player.id, 5))
    await money.deposit(deposit(player.id, 5))


async def test_a_replay_after_an_exclusion_returns_the_first_result(funded_player, rg, money):
    player = await funded_player(1000)
    bet_id = uuid.uuid4()
    first = await money.place(coin(player.id, 10, bet_id))
    tx, round_id = f"d-{uuid.uuid4().hex}", f"r-{uuid.uuid4().hex}"
    first_debit = await money.debit(debit(player.id, 10, tx, round_id))
    key = f"dep-{uuid.uuid4().hex}"
    first_deposit = await money.deposit(deposit(player.id, 10, key))

    await rg.timeout(player.id, TimeoutPeriod.WEEK)
    again = await money.place(coin(player.id, 10, bet_id))
    assert again.replayed
    assert again.bet == first.bet
    debit_again = await money.debit(debit(player.id, 10, tx, round_id))
    assert debit_again.replayed
    assert debit_again.ledger_transaction_id == first_debit.ledger_transaction_id
    deposit_again = await money.deposit(deposit(player.id, 10, key))
    assert deposit_again.replayed
    assert deposit_again.transaction.id == first_deposit.transaction.id
    # A new bet is still refused.
    await refused(money.place(coin(player.id, 10)))


# -- reality check --------------------------------------------------------------------------------


async def test_a_due_reality_check_blocks_the_next_bet_until_acknowledged(
    funded_player, rg, money, fake_clock, uow_factory
):
    player = await funded_player(1000)
    await rg.reality_check(player.id, 15)
    await money.place(dice(player.id, 10))  # the session starts with this bet
    fake_clock.advance(minutes=15)
    before = await books_of(uow_factory, player.id)
    refusal = await refused(money.place(coin(player.id, 10)))
    assert refusal.rule == "reality_check"
    assert refusal.session_time == timedelta(minutes=15)
    assert refusal.net_result == xtr(-10)
    assert (await refused(money.debit(debit(player.id, 10)))).rule == "reality_check"
    assert await books_of(uow_factory, player.id) == before
    # Deposits are not bets: a reality check does not hold them up.
    await money.deposit(deposit(player.id, 5))
    await rg.acknowledge(player.id)
    await money.place(coin(player.id, 10))


# -- velocity ------------------------------------------------------------------------------------


@pytest.fixture
async def redis_client(servers):
    client = create_redis(servers.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def velocity(redis_client, fake_clock):
    """A policy over the real Redis with the production fail modes and small limits; a key
    prefix of its own, so reruns on the same Redis never see old counts."""

    def make(bets: int = 3, deposits: int = 2, client=None) -> VelocityPolicy:
        limiter = RedisVelocityLimiter(
            client or redis_client, fake_clock, prefix=f"test:velocity:{secrets.token_hex(6)}"
        )
        return VelocityPolicy(
            limiter,
            {
                VelocityAction.BET: VelocityLimit(
                    VelocityAction.BET, bets, timedelta(seconds=1), fail_open=True
                ),
                VelocityAction.DEPOSIT: VelocityLimit(
                    VelocityAction.DEPOSIT, deposits, timedelta(hours=1), fail_open=False
                ),
            },
        )

    return make


@pytest.fixture
def limited(uow_factory, fake_clock, ids, house, seed_source):
    def make(policy: VelocityPolicy):
        class UseCases:
            place = PlaceBet(uow_factory, fake_clock, ids, house, seed_source, velocity=policy)
            debit = SeamlessDebit(uow_factory, fake_clock, ids, house, velocity=policy)
            deposit = CreditDeposit(uow_factory, fake_clock, ids, house, velocity=policy)

        return UseCases

    return make


async def test_velocity_limits_bets_per_second_and_deposits_per_hour(
    funded_player, velocity, limited, fake_clock, uow_factory
):
    player = await funded_player(1000)
    use = limited(velocity(bets=3, deposits=2))
    first = await use.place(coin(player.id, 1))
    await use.debit(debit(player.id, 1))  # a seamless debit is a bet too
    fake_clock.advance(milliseconds=400)
    await use.place(coin(player.id, 1))
    before = await books_of(uow_factory, player.id)
    with pytest.raises(VelocityLimited) as caught:
        await use.place(coin(player.id, 1))
    assert caught.value.action is VelocityAction.BET
    assert caught.value.retry_after == 1
    with pytest.raises(VelocityLimited):
        await use.debit(debit(player.id, 1))
    assert await books_of(uow_factory, player.id) == before
    # A repeat of an accepted bet is answered, not refused.
    assert (await use.place(coin(player.id, 1, first.bet.id))).replayed
    fake_clock.advance(milliseconds=600)  # the first two leave the 1-second window
    await use.place(coin(player.id, 1))
    await use.place(coin(player.id, 1))
    with pytest.raises(VelocityLimited):
        await use.place(coin(player.id, 1))

    key = f"dep-{uuid.uuid4().hex}"
    await use.deposit(deposit(player.id, 5, key))
    fake_clock.advance(minutes=20)
    await use.deposit(deposit(player.id, 5))
    before = await books_of(uow_factory, player.id)
    with pytest.raises(VelocityLimited) as caught:
        await use.deposit(deposit(player.id, 5))
    assert caught.value.retry_after == 40 * 60  # when the first leaves the hour
    assert await books_of(uow_factory, player.id) == before
    assert (await use.deposit(deposit(player.id, 5, key))).replayed
    fake_clock.advance(minutes=40)
    await use.deposit(deposit(player.id, 5))


async def test_velocity_is_per_player(funded_player, velocity, limited):
    one, other = await funded_player(100), await funded_player(100)
    use = limited(velocity(bets=1))
    await use.place(coin(one.id, 1))
    with pytest.raises(VelocityLimited):
        await use.place(coin(one.id, 1))
    await use.place(coin(other.id, 1))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends


def _store_errors(action: str) -> float:
    value = REGISTRY.get_sample_value("croupier_velocity_store_errors_total", {"action": action})
    return value or 0.0


async def test_with_redis_down_bets_go_through_deposits_wait_and_money_stays_right(
    funded_player, rg, velocity, limited, uow_factory, caplog
):
    player = await funded_player(1000)
    await rg.set_limit(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(25))
    key = f"dep-{uuid.uuid4().hex}"
    credited = await limited(velocity()).deposit(deposit(player.id, 50, key))

    down = create_redis(f"redis://127.0.0.1:{_closed_port()}/0")
    try:
        use = limited(velocity(bets=1, deposits=1, client=down))
        errors_before = _store_errors("bet")
        with caplog.at_level(logging.WARNING):
            # Fail-open: more bets than the velocity limit allows, all accepted...
            receipts = [await use.place(coin(player.id, 5)) for _ in range(3)]
            await use.debit(debit(player.id, 5))
        assert "fail-open" in caplog.text
        assert _store_errors("bet") == errors_before + 4
        # ...while every money rule in PostgreSQL still holds: the wager limit,
        refusal = await refused(use.place(coin(player.id, 6)))
        assert refusal.rule == "wager_limit_24h"
        receipts.append(await use.place(coin(player.id, 5)))
        # and the balance is exactly what the bets made it.
        payout = sum(r.bet.payout or 0 for r in receipts)
        async with uow_factory() as uow:
            wallet = await uow.accounts.wallet(player.id, XTR)
        assert wallet.balance == 1000 + 50 - 25 + payout
        assert receipts[-1].balance.amount == wallet.balance

        # Fail-closed: a new deposit is refused, retryable, with nothing written...
        before = await books_of(uow_factory, player.id)
        with pytest.raises(VelocityUnavailable):
            await use.deposit(deposit(player.id, 50))
        assert await books_of(uow_factory, player.id) == before
        # ...but a processor's retry of a credited deposit still gets its first answer.
        again = await use.deposit(deposit(player.id, 50, key))
        assert again.replayed
        assert again.transaction.id == credited.transaction.id
    finally:
        await down.aclose()
