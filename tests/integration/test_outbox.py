"""The transactional outbox on the real PostgreSQL: every change writes its events in its own
transaction, and per-aggregate sequences hold under concurrency (the relay that publishes
them: test_outbox_relay.py)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from sqlalchemy import text

from adapters.event_wire.payloads import (
    BetPlacedV1,
    BetPlayedV1,
    BetSettledV1,
    BetVoidedV1,
    LedgerTransactionPostedV1,
    PlayerStatusChangedV1,
    RiskFlagRaisedV1,
    WithdrawalEventV1,
    decode_payload,
)
from adapters.postgres.outbox import missing_events
from application.betting import PlaceBetCommand, SettleDiceBetCommand, VoidBetCommand
from application.ports import EventEnvelope
from application.postings import AdjustBalanceCommand, CreditDepositCommand, TransferCommand
from application.responsible import SetLimit
from application.risk import RiskReview
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalPaid,
    RejectWithdrawal,
    RequestWithdrawal,
)
from domain.accounts import AccountKind
from domain.events import transactions_posted
from domain.games.base import format_multiplier
from domain.ledger import Leg, PostedTransaction, Transaction, TransactionKind
from domain.money import XTR, Money
from domain.responsible import LimitKind, LimitPeriod
from domain.risk import RiskPolicy
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import PayoutSent
from tests.integration.outbox_rows import dice_bet, outbox_rows, rows_of_aggregate

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


async def _for_transaction(engine, transaction_id: uuid.UUID) -> list:
    return await outbox_rows(
        engine,
        "type = 'ledger.transaction_posted' AND payload ->> 'transaction_id' = :tx",
        tx=str(transaction_id),
    )


def _payload(row, kind):
    envelope = EventEnvelope(
        event_id=row.event_id,
        type=row.type,
        version=row.version,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        sequence=row.sequence,
        occurred_at=row.occurred_at,
        player_ids=list(row.player_ids),
        data=row.payload,
    )
    payload = decode_payload(envelope)
    assert isinstance(payload, kind)
    return payload


# -- what is written -------------------------------------------------------------------------


async def test_a_deposit_writes_the_players_new_balance(funded_player, engine):
    player = await funded_player(700)
    rows = await rows_of_aggregate(engine, "player", player.id)
    [deposit] = [r for r in rows if r.payload["kind"] == "deposit"]
    assert (deposit.type, deposit.version, list(deposit.player_ids)) == (
        "ledger.transaction_posted",
        1,
        [player.id],
    )
    event = _payload(deposit, LedgerTransactionPostedV1)
    assert event.player_id == player.id
    [change] = event.balances
    assert (change.account_kind, change.currency, change.amount, change.balance) == (
        "player_wallet",
        "XTR",
        700,
        700,
    )
    assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))


async def test_a_house_only_transaction_is_its_own_aggregate(fund_bankroll, engine):
    before = await outbox_rows(engine, "aggregate_type = 'ledger_transaction'")
    await fund_bankroll(12_345)
    after = await outbox_rows(engine, "aggregate_type = 'ledger_transaction'")
    [new] = after[len(before) :]
    event = _payload(new, LedgerTransactionPostedV1)
    assert (new.sequence, event.player_id, list(new.player_ids)) == (1, None, [])
    assert new.aggregate_id == str(event.transaction_id)
    assert sorted(c.amount for c in event.balances) == [-12_345, 12_345]


async def test_a_transfer_tells_each_player_their_own_side(
    new_player, adjust, transfer, uow_factory, engine
):
    a, b = await new_player(), await new_player()
    await adjust(AdjustBalanceCommand(a.id, Money(500, XTR), "funds", "tests", f"t-{uuid.uuid4()}"))
    async with uow_factory() as uow:
        source, target = await uow.accounts.wallet(a.id, XTR), await uow.accounts.wallet(b.id, XTR)
    posted = await transfer(
        TransferCommand(source.id, target.id, Money(200, XTR), f"tr-{uuid.uuid4()}")
    )
    rows = await _for_transaction(engine, posted.id)
    by_player = {tuple(r.player_ids): _payload(r, LedgerTransactionPostedV1) for r in rows}
    assert set(by_player) == {(a.id,), (b.id,)}
    assert [(c.amount, c.balance) for c in by_player[(a.id,)].balances] == [(-200, 300)]
    assert [(c.amount, c.balance) for c in by_player[(b.id,)].balances] == [(200, 200)]


async def test_a_bet_writes_placed_then_settled_with_its_ledger_events(
    funded_player, place, settle, engine
):
    player = await funded_player(1000)
    placed = await place(dice_bet(player.id, 100))
    won = await settle(SettleDiceBetCommand(placed.bet.id, chat_id=5, message_id=1, value=4))
    rows = await rows_of_aggregate(engine, "bet", placed.bet.id)
    assert [(r.type, r.sequence) for r in rows] == [("bet.placed", 1), ("bet.settled", 2)]
    assert all(list(r.player_ids) == [player.id] for r in rows)
    first = _payload(rows[0], BetPlacedV1)
    assert (first.game, first.stake, first.currency, first.state) == (
        "tg_dice",
        100,
        "XTR",
        "placed",
    )
    assert first.transaction_id == placed.bet.placed_transaction_id
    second = _payload(rows[1], BetSettledV1)
    assert (second.state, second.outcome, second.payout, second.multiplier) == (
        "won",
        won.bet.outcome,
        194,
        "1.94",
    )
    # The wallet side: one event per ledger transaction, the new balance in each.
    [stake] = await _for_transaction(engine, placed.bet.placed_transaction_id)
    [payout] = await _for_transaction(engine, won.bet.settlement_transaction_id)
    assert _payload(stake, LedgerTransactionPostedV1).balances[0].balance == 900
    assert _payload(payout, LedgerTransactionPostedV1).balances[0].balance == 1094
    assert stake.id < rows[1].id
    assert payout.sequence == stake.sequence + 1


async def test_a_bet_played_in_one_transaction_is_one_event_of_its_player(
    funded_player, place, engine
):
    # Placed and settled at once on the snapshot road, a coin bet is one ledger transaction
    # and one event: `bet.played`, numbered on the player's aggregate among their balance
    # changes, carrying what `bet.placed`, `bet.settled` and `ledger.transaction_posted`
    # would have. Its own aggregate has no event.
    player = await funded_player(1000)
    before = await rows_of_aggregate(engine, "player", player.id)
    receipt = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    )
    bet = receipt.bet
    assert bet.posted_at_once
    assert await rows_of_aggregate(engine, "bet", bet.id) == []
    assert await _for_transaction(engine, bet.placed_transaction_id) == []
    wallet = await rows_of_aggregate(engine, "player", player.id)
    assert [r.sequence for r in wallet] == list(range(1, len(wallet) + 1))
    assert [r.type for r in wallet[len(before) :]] == ["bet.played"]
    played = _payload(wallet[-1], BetPlayedV1)
    assert (played.bet_id, played.player_id, played.game) == (bet.id, player.id, "coin")
    assert (played.stake, played.payout, played.state) == (10, bet.payout, bet.state.value)
    assert played.max_payout == bet.max_payout
    assert played.multiplier == format_multiplier(bet.multiplier)
    assert (played.outcome, played.placed_at) == (bet.outcome, bet.placed_at)
    assert played.server_seed_hash == bet.fairness.server_seed_hash
    assert (played.client_seed, played.nonce) == (bet.fairness.client_seed, bet.fairness.nonce)
    assert played.transaction_id == bet.placed_transaction_id
    assert played.kind == ("win" if bet.payout else "loss")
    assert [(b.account_kind, b.amount, b.balance) for b in played.balances] == [
        ("player_wallet", bet.payout - 10, receipt.balance.amount)
    ]
    assert wallet[-1].player_ids == [player.id]
    async with engine.connect() as conn:
        assert await missing_events(conn) == []


async def test_a_bet_posted_in_two_transactions_keeps_an_event_a_step(
    funded_player, place, uow_factory, clock, engine
):
    # On the locked road (a player with a responsible-gambling record) a provably fair bet
    # is two transactions, the stake then the settlement: each has its
    # `ledger.transaction_posted`, and the bet its `bet.placed` and `bet.settled`.
    player = await funded_player(1000)
    limit = Money(500, XTR)
    await SetLimit(uow_factory, clock)(player.id, LimitKind.WAGER, LimitPeriod.DAY, limit)
    receipt = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    )
    bet = receipt.bet
    assert not bet.posted_at_once
    rows = await rows_of_aggregate(engine, "bet", bet.id)
    assert [(r.type, r.sequence) for r in rows] == [("bet.placed", 1), ("bet.settled", 2)]
    placed = _payload(rows[0], BetPlacedV1)
    assert placed.server_seed_hash == bet.fairness.server_seed_hash
    settled = _payload(rows[1], BetSettledV1)
    assert (settled.payout, settled.state) == (bet.payout, bet.state.value)
    assert len(await _for_transaction(engine, bet.placed_transaction_id)) == 1
    assert len(await _for_transaction(engine, bet.settlement_transaction_id)) == 1
    wallet = await rows_of_aggregate(engine, "player", player.id)
    assert "bet.played" not in [r.type for r in wallet]
    assert [r.sequence for r in wallet] == list(range(1, len(wallet) + 1))


async def test_a_void_writes_bet_voided(funded_player, place, void, engine):
    player = await funded_player(1000)
    placed = await place(dice_bet(player.id, 50))
    await void(VoidBetCommand(placed.bet.id, "the dice never came"))
    await void(VoidBetCommand(placed.bet.id, "the dice never came"))  # a replay: no event
    rows = await rows_of_aggregate(engine, "bet", placed.bet.id)
    assert [r.type for r in rows] == ["bet.placed", "bet.voided"]
    voided = _payload(rows[1], BetVoidedV1)
    assert (voided.state, voided.payout, voided.reason) == ("voided", 50, "the dice never came")


async def test_a_replayed_request_writes_no_second_event(funded_player, place, engine):
    player = await funded_player(1000)
    command = dice_bet(player.id, 10)
    await place(command)
    await place(command)
    assert len(await rows_of_aggregate(engine, "bet", command.bet_id)) == 1


async def test_a_rolled_back_unit_of_work_leaves_no_event(
    funded_player, uow_factory, engine, house, ids, clock
):
    player = await funded_player(1000)
    before = await rows_of_aggregate(engine, "player", player.id)

    async def transaction(uow, key: str) -> Transaction:
        wallet = await uow.accounts.wallet(player.id, XTR)
        clearing = await house.account_for(
            uow.accounts, AccountKind.DEPOSITS_CLEARING, XTR, player.id
        )
        return Transaction(
            ids.new_id(),
            TransactionKind.DEPOSIT,
            key,
            (Leg(clearing, Money(-5, XTR)), Leg(wallet.id, Money(5, XTR))),
            clock.now(),
        )

    async def post(uow) -> PostedTransaction:
        posted = await uow.ledger.post(await transaction(uow, f"rb-{uuid.uuid4()}"))
        uow.raise_events(*transactions_posted(posted))  # as a use case does
        return posted

    async with uow_factory() as uow:  # left without commit
        await post(uow)
        assert uow.outbox.pending
    async with uow_factory() as uow:  # rolled back, then something else committed
        gone = await post(uow)
        await uow.rollback()
        assert not uow.outbox.pending
        kept = await post(uow)
        await uow.commit()
    after = await rows_of_aggregate(engine, "player", player.id)
    [new] = after[len(before) :]
    assert new.payload["transaction_id"] == str(kept.id)
    assert not await _for_transaction(engine, gone.id)
    assert new.sequence == before[-1].sequence + 1  # no gap for what rolled back


async def test_sequences_stay_gap_free_and_in_commit_order_under_concurrent_bets(
    funded_player, place, credit, engine
):
    player = await funded_player(10_000)
    commands = [dice_bet(player.id, 10) for _ in range(30)]
    deposits = [
        credit(CreditDepositCommand(player.id, Money(1, XTR), f"dep-{uuid.uuid4()}"))
        for _ in range(10)
    ]
    await asyncio.gather(*(place(c) for c in commands), *deposits)
    rows = await rows_of_aggregate(engine, "player", player.id)
    assert [r.sequence for r in rows] == list(range(1, len(rows) + 1))  # id order = sequence
    balances = [_payload(r, LedgerTransactionPostedV1).balances[0].balance for r in rows]
    amounts = [_payload(r, LedgerTransactionPostedV1).balances[0].amount for r in rows]
    running = 0
    for amount, balance in zip(amounts, balances, strict=True):
        running += amount
        assert balance == running  # each event's balance follows from the one before
    assert running == 10_000 - 300 + 10


async def test_withdrawal_steps_write_their_events(
    new_player, adjust, uow_factory, clock, ids, house, engine
):
    policy = WithdrawalPolicy(
        {"XTR": CurrencyWithdrawalLimits(minimum=1, maximum=10_000, kyc_threshold=10_000)}
    )

    class NoHolds:
        async def open_holds(self, uow, player_id, amount, destination, now):
            return []

    class Payouts:
        async def send(self, withdrawal):
            return PayoutSent()

    staff = Actor("staff:fin", "10.0.0.1")
    player = await new_player()
    await adjust(
        AdjustBalanceCommand(player.id, Money(1000, XTR), "funds", "tests", f"w-{player.id}")
    )
    request = RequestWithdrawal(uow_factory, clock, ids, house, policy, NoHolds())
    first = await request(player.id, Money(100, XTR), "UQ-destination", uuid.uuid4())
    await ApproveWithdrawal(uow_factory, clock, ids, house, Payouts())(first.id, staff)
    await MarkWithdrawalPaid(uow_factory, clock, ids, house)(first.id, "bank-1", staff)
    second = await request(player.id, Money(50, XTR), "UQ-destination", uuid.uuid4())
    await RejectWithdrawal(uow_factory, clock, ids, house)(second.id, "not today", staff)

    rows = await rows_of_aggregate(engine, "withdrawal", first.id)
    assert [(r.type, r.sequence) for r in rows] == [
        ("withdrawal.requested", 1),
        ("withdrawal.approved", 2),
        ("withdrawal.paid", 3),
    ]
    paid = _payload(rows[2], WithdrawalEventV1)
    assert (paid.state, paid.amount, paid.payout_reference) == ("paid", 100, "bank-1")
    assert "UQ-destination" not in str(rows[0].payload)  # personal data stays out
    rows = await rows_of_aggregate(engine, "withdrawal", second.id)
    assert [r.type for r in rows] == ["withdrawal.requested", "withdrawal.rejected"]
    assert _payload(rows[1], WithdrawalEventV1).reason == "not today"


async def test_a_large_win_raises_a_flag_event(funded_player, place, settle, uow_factory, engine):
    player = await funded_player(1000)
    placed = await place(dice_bet(player.id, 100))
    won = await settle(SettleDiceBetCommand(placed.bet.id, chat_id=5, message_id=2, value=6))
    async with uow_factory() as uow:
        [flag] = await RiskReview(RiskPolicy(large_win={"XTR": 150})).on_bet_settled(uow, won.bet)
        await uow.commit()
    [row] = await rows_of_aggregate(engine, "risk_flag", flag.id)
    event = _payload(row, RiskFlagRaisedV1)
    assert (row.type, event.kind, event.player_id) == ("risk.flag_raised", "large_win", player.id)
    assert event.evidence["bet_id"] == str(won.bet.id)


async def test_a_block_and_its_lifting_are_the_players_events(
    funded_player, uow_factory, clock, engine
):
    from application.player_admin import BlockPlayer, UnblockPlayer
    from domain.errors import IllegalTransition

    player = await funded_player(1000)  # its deposit is the player's first event
    await BlockPlayer(uow_factory, clock)(player.id, "chargebacks", Actor("staff:ops"))
    with pytest.raises(IllegalTransition):  # already blocked: nothing changes, no event
        await BlockPlayer(uow_factory, clock)(player.id, "again", Actor("staff:ops"))
    await UnblockPlayer(uow_factory, clock)(player.id, "cleared", Actor("staff:ops"))
    rows = await rows_of_aggregate(engine, "player", player.id)
    assert [(r.type, r.sequence, list(r.player_ids)) for r in rows] == [
        ("ledger.transaction_posted", 1, [player.id]),
        ("player.blocked", 2, [player.id]),
        ("player.unblocked", 3, [player.id]),
    ]
    blocked = _payload(rows[1], PlayerStatusChangedV1)
    assert (blocked.player_id, blocked.status) == (player.id, "blocked")
    assert "chargebacks" not in str(rows[1].payload)  # the staff's reason stays out


async def test_the_outbox_owes_nothing(engine, funded_player, place):
    player = await funded_player(1000)
    await place(dice_bet(player.id, 10))
    async with engine.connect() as conn:
        assert await missing_events(conn) == []


# -- the relay -------------------------------------------------------------------------------


def _tampered(event_id: str, aggregate: str, sequence: int) -> str:
    return json.dumps(
        [
            {
                "event_id": event_id,
                "type": "test.tampered",
                "version": 1,
                "aggregate_type": "test",
                "aggregate_id": aggregate,
                "sequence": sequence,
                "occurred_at": "2026-12-03T00:00:00Z",
                "player_ids": [],
                "data": {"version": 1},
            }
        ]
    )


async def test_reconcile_reports_a_tampered_row(engine, funded_player):
    """No unique index guards event ids and sequences since a row holds a unit of work's
    events (revision 0022): reconcile does. Rows written past `outbox_append`, rolled back."""
    player = await funded_player(100)
    [deposit] = await rows_of_aggregate(engine, "player", player.id)
    repeated, gapped = f"repeat-{uuid.uuid4()}", f"gap-{uuid.uuid4()}"
    insert = text("INSERT INTO outbox (events) VALUES (CAST(:events AS jsonb))")
    async with engine.connect() as conn, conn.begin() as transaction:
        # An existing event's id again, on an aggregate of its own (its sequence is fine).
        await conn.execute(insert, {"events": _tampered(str(deposit.event_id), repeated, 1)})
        # 1, 3, 3: as many events as its highest number, yet a gap and a repeat.
        for sequence in (1, 3, 3):
            await conn.execute(insert, {"events": _tampered(str(uuid.uuid4()), gapped, sequence)})
        found = await missing_events(conn)
        await transaction.rollback()
    assert f"event {deposit.event_id} is in the outbox 2 times" in found
    assert f"aggregate test:{gapped} repeats a sequence number" in found
    assert f"aggregate test:{gapped} has a gap in its sequence" in found
    assert not [f for f in found if repeated in f], "its own sequence is whole"
    async with engine.connect() as conn:
        assert not [f for f in await missing_events(conn) if gapped in f], "rolled back"


def _forged_play(bet_id: uuid.UUID, transaction_id: uuid.UUID) -> str:
    """A `bet.played` envelope written past the application, on an aggregate of its own."""
    return json.dumps(
        [
            {
                "event_id": str(uuid.uuid4()),
                "type": "bet.played",
                "version": 1,
                "aggregate_type": "test",
                "aggregate_id": f"forged-{uuid.uuid4()}",
                "sequence": 1,
                "occurred_at": "2026-12-06T00:00:00Z",
                "player_ids": [],
                "data": {"bet_id": str(bet_id), "transaction_id": str(transaction_id)},
            }
        ]
    )


async def test_reconcile_holds_a_bet_played_to_its_bet(
    engine, funded_player, place, uow_factory, clock
):
    """A bet played at once has one event, `bet.played`, for its placing, its settlement and
    its transaction: reconcile finds each missing when it goes, and reports a second one,
    one naming another transaction, or one for a bet of two transactions. Rolled back."""
    player = await funded_player(1000)
    coin = PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    played = (await place(coin)).bet
    guarded = await funded_player(1000)
    limit = Money(500, XTR)
    await SetLimit(uow_factory, clock)(guarded.id, LimitKind.WAGER, LimitPeriod.DAY, limit)
    coin = PlaceBetCommand(guarded.id, uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"})
    two = (await place(coin)).bet  # the locked road: two transactions, an event a step
    tx = played.placed_transaction_id
    insert = "INSERT INTO outbox (events) VALUES (CAST(:events AS jsonb))"
    its_row = (
        " WHERE id IN (SELECT position FROM outbox_events"
        f" WHERE type = 'bet.played' AND payload ->> 'bet_id' = '{played.id}')"
    )

    async def found_after(*statements: tuple[str, dict]) -> list[str]:
        async with engine.connect() as conn, conn.begin() as transaction:
            for statement, values in statements:
                await conn.execute(text(statement), values)
            found = await missing_events(conn)
            await transaction.rollback()
        return found

    assert await found_after() == []
    gone = await found_after(("DELETE FROM outbox" + its_row, {}))
    forged = await found_after(
        (insert, {"events": _forged_play(played.id, tx)}),
        (insert, {"events": _forged_play(two.id, two.placed_transaction_id)}),
    )
    renamed = await found_after(
        (
            "UPDATE outbox SET events = CAST(replace(CAST(events AS text), :t, :u) AS json)"
            + its_row,
            {"t": str(tx), "u": str(uuid.uuid4())},
        )
    )
    assert await found_after() == []
    assert f"ledger transaction {tx} has no ledger.transaction_posted event" in gone
    assert f"bet {played.id} has no bet.placed event" in gone
    assert f"bet {played.id} is {played.state.value} without its event" in gone
    assert f"bet {played.id} has 2 bet.played events" in forged
    assert f"bet {two.id} is played at once but its event says it is not" in forged
    assert f"bet {played.id} is played at once but its event says it is not" in renamed
    assert f"ledger transaction {tx} has no ledger.transaction_posted event" in renamed
