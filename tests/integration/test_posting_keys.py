"""What every kind of posting writes to the ledger, pinned on the real database: its kind,
idempotency key, reference, metadata and legs (which account, which shard, how much).

A replay after an upgrade must build exactly what the first request stored: the key finds the
row, and the fingerprint (kind, legs, reference, metadata) must match it, or the replay is an
`IdempotencyConflict`, or worse, a changed key posts the money twice. So these are literal
strings, written down from what the ledger held before the postings were built in one place
(`domain.postings`), and any change here is a migration, not a refactor."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from application.adjustments import DecideAdjustment, RequestAdjustment
from application.bankroll import FundBankroll, FundBankrollCommand
from application.betting import (
    PlaceBetCommand,
    PlaceBets,
    SettleDiceBetCommand,
    VoidBetCommand,
)
from application.onboarding import AcceptTerms, StartPlayer
from application.payments import (
    CheckPreCheckout,
    CreateStarsInvoice,
    CreditStarsPayment,
    RefundStarsPayment,
)
from application.postings import (
    AdjustBalanceCommand,
    CreditDepositCommand,
    DebitWalletCommand,
    TransferCommand,
)
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard, SetLimit
from application.risk import DEFAULT_RISK_REVIEW
from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    MarkWithdrawalPaid,
    RejectWithdrawal,
    RequestWithdrawal,
)
from domain.adjustments import FourEyesPolicy
from domain.money import XTR, Money
from domain.payments import RefundRefused
from domain.responsible import LimitKind, LimitPeriod
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import PayoutSent
from tests.conftest import TEST_HOUSE_SHARDS

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

STAFF = Actor("staff:fin", "10.0.0.1")
OTHER = Actor("staff:other", "10.0.0.2")
WALLET = "player_wallet"


def xtr(amount: int) -> Money:
    return Money(amount, XTR)


@dataclass(frozen=True)
class Stored:
    kind: str
    reference: str
    metadata: dict[str, Any]
    legs: dict[str, tuple[int | None, int]]  # account kind -> (shard, amount)


async def _stored(engine, key: str) -> Stored:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT id, kind, reference, metadata FROM ledger_transactions"
                    " WHERE idempotency_key = :k"
                ),
                {"k": key},
            )
        ).one()
        legs = (
            await conn.execute(
                text(
                    "SELECT a.kind, a.shard, l.amount FROM ledger_legs l"
                    " JOIN accounts a ON a.id = l.account_id WHERE l.transaction_id = :t"
                ),
                {"t": row.id},
            )
        ).all()
    metadata = row.metadata if isinstance(row.metadata, dict) else json.loads(row.metadata)
    by_kind = {leg.kind: (leg.shard, leg.amount) for leg in legs}
    assert len(by_kind) == len(legs), "one leg per kind of account in every posting"
    return Stored(row.kind, row.reference, metadata, by_kind)


async def _exists(engine, key: str) -> bool:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = :k"),
            {"k": key},
        )
    return bool(found)


def _chat() -> int:
    """A chat no other test sends its dice to (a dice message settles one bet only)."""
    return secrets.randbelow(2**40) + 1


def _shard(player_id: int) -> int:
    return player_id % TEST_HOUSE_SHARDS


async def test_bet_placement_and_settlement(funded_player, place, settle, void, engine):
    player = await funded_player(1000)
    shard = _shard(player.id)
    placed = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", xtr(100), {"bet": "even"})
    )
    bet_id = placed.bet.id
    meta = {"bet_id": str(bet_id), "game": "tg_dice"}
    assert await _stored(engine, f"bet:{bet_id}:place") == Stored(
        "bet", f"bet:{bet_id}", meta, {WALLET: (None, -100), "bets_in_play": (shard, 100)}
    )
    await settle(SettleDiceBetCommand(bet_id, chat_id=_chat(), message_id=1, value=4))
    assert await _stored(engine, f"bet:{bet_id}:settle") == Stored(
        "win",
        f"bet:{bet_id}",
        meta,
        {WALLET: (None, 194), "bets_in_play": (shard, -100), "house_bankroll": (shard, -94)},
    )

    lost = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", xtr(10), {"bet": "even"})
    )
    await settle(SettleDiceBetCommand(lost.bet.id, chat_id=_chat(), message_id=1, value=3))
    assert await _stored(engine, f"bet:{lost.bet.id}:settle") == Stored(
        "loss",
        f"bet:{lost.bet.id}",
        {"bet_id": str(lost.bet.id), "game": "tg_dice"},
        {"bets_in_play": (shard, -10), "house_bankroll": (shard, 10)},
    )

    voided = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "tg_dice", xtr(20), {"bet": "even"})
    )
    await void(VoidBetCommand(voided.bet.id, "the dice never arrived"))
    assert await _stored(engine, f"bet:{voided.bet.id}:settle") == Stored(
        "refund",
        f"bet:{voided.bet.id}",
        {"bet_id": str(voided.bet.id), "game": "tg_dice"},
        {WALLET: (None, 20), "bets_in_play": (shard, -20)},
    )


async def test_provably_fair_bets_alone_and_in_a_batch(funded_player, place, engine):
    # Decided on the snapshot road (alone or in a batch), a coin bet is placed and settled in
    # one transaction: the settlement's kind, key and reference, net legs, and the id of both
    # its placement and its settlement (issue 19; before, two transactions: `bet:{id}:place`
    # with the stake into bets in play, then `bet:{id}:settle` out of it). No `:place` key.
    player = await funded_player(1000)
    shard = _shard(player.id)
    first = await place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", xtr(10), {"side": "heads"})
    )
    batch = await PlaceBets(place)(
        [
            PlaceBetCommand(player.id, uuid.uuid4(), "coin", xtr(10), {"side": "tails"}),
            PlaceBetCommand(player.id, uuid.uuid4(), "coin", xtr(10), {"side": "heads"}),
        ]
    )
    for receipt in [first, *batch]:
        assert not isinstance(receipt, Exception)
        bet = receipt.bet
        meta = {"bet_id": str(bet.id), "game": "coin"}
        assert bet.placed_transaction_id == bet.settlement_transaction_id
        assert not await _exists(engine, f"bet:{bet.id}:place")
        assert await _stored(engine, f"bet:{bet.id}:settle") == Stored(
            "win" if bet.payout else "loss",
            f"bet:{bet.id}",
            meta,
            {WALLET: (None, bet.payout - 10), "house_bankroll": (shard, 10 - bet.payout)},
        )


async def test_a_provably_fair_bet_on_the_locked_road_keeps_two_transactions(
    funded_player, place, uow_factory, clock, engine
):
    # A player with a responsible-gambling record bets on the locked road, which reads no
    # balance before its postings: the placement posting refuses an overdraft, so the stake
    # and the settlement stay two transactions.
    player = await funded_player(1000)
    await SetLimit(uow_factory, clock)(player.id, LimitKind.WAGER, LimitPeriod.DAY, xtr(500))
    shard = _shard(player.id)
    bet = (
        await place(PlaceBetCommand(player.id, uuid.uuid4(), "coin", xtr(10), {"side": "heads"}))
    ).bet
    meta = {"bet_id": str(bet.id), "game": "coin"}
    assert bet.placed_transaction_id != bet.settlement_transaction_id
    assert await _stored(engine, f"bet:{bet.id}:place") == Stored(
        "bet", f"bet:{bet.id}", meta, {WALLET: (None, -10), "bets_in_play": (shard, 10)}
    )
    settled = await _stored(engine, f"bet:{bet.id}:settle")
    assert (settled.kind, settled.reference, settled.metadata) == (
        "win" if bet.payout else "loss",
        f"bet:{bet.id}",
        meta,
    )
    assert settled.legs["bets_in_play"] == (shard, -10)
    assert settled.legs["house_bankroll"] == (shard, 10 - bet.payout)


async def test_deposit_debit_transfer_and_staff_adjustment(
    new_player, credit, debit, adjust, transfer, engine, unique_key
):
    player = await new_player()
    shard = _shard(player.id)
    key = unique_key("dep")
    await credit(CreditDepositCommand(player.id, xtr(500), key, "ext-1", {"provider": "psp"}))
    assert await _stored(engine, key) == Stored(
        "deposit",
        "ext-1",
        {"provider": "psp"},
        {WALLET: (None, 500), "deposits_clearing": (shard, -500)},
    )
    key = unique_key("debit")
    await debit(DebitWalletCommand(player.id, xtr(50), key, "charge-7", {"why": "fee"}))
    assert await _stored(engine, key) == Stored(
        "debit",
        "charge-7",
        {"why": "fee"},
        {WALLET: (None, -50), "house_bankroll": (shard, 50)},
    )
    key = unique_key("adj")
    await adjust(AdjustBalanceCommand(player.id, xtr(-25), "  goodwill back  ", "alice", key))
    assert await _stored(engine, key) == Stored(
        "adjustment",
        "staff:alice",
        {"reason": "goodwill back", "staff_id": "alice"},
        {WALLET: (None, -25), "adjustments": (shard, 25)},
    )
    key = unique_key("tr")
    async with engine.connect() as conn:
        wallet = (
            await conn.execute(
                text("SELECT id FROM accounts WHERE player_id = :p AND currency = 'XTR'"),
                {"p": player.id},
            )
        ).scalar_one()
        bankroll = (
            await conn.execute(
                text(
                    "SELECT id FROM accounts WHERE kind = 'house_bankroll' AND shard = 0"
                    " AND currency = 'XTR'"
                )
            )
        ).scalar_one()
    await transfer(TransferCommand(wallet, bankroll, xtr(5), key, "move", {"n": 1}))
    assert await _stored(engine, key) == Stored(
        "transfer", "move", {"n": 1}, {WALLET: (None, -5), "house_bankroll": (0, 5)}
    )


async def test_bankroll_funding(uow_factory, clock, ids, house, engine, unique_key):
    key = unique_key("bankroll")
    await FundBankroll(uow_factory, clock, ids, house)(FundBankrollCommand(xtr(1000), "bob", key))
    assert await _stored(engine, key) == Stored(
        "transfer",
        "staff:bob",
        {"purpose": "bankroll funding", "staff_id": "bob"},
        {"adjustments": (0, -1000), "house_bankroll": (0, 1000)},
    )


async def test_four_eyes_adjustments(uow_factory, clock, ids, house, new_player, engine):
    player = await new_player()
    shard = _shard(player.id)
    policy = FourEyesPolicy({"XTR": 100})
    request = RequestAdjustment(uow_factory, clock, ids, house, policy)
    small = uuid.uuid4()
    await request(player.id, xtr(40), "promo", STAFF, small)
    assert await _stored(engine, f"adjustment:{small}") == Stored(
        "adjustment",
        f"adjustment:{small}",
        {
            "reason": "promo",
            "requested_by": STAFF.label,
            "approved_by": "(below four-eyes limit)",
        },
        {WALLET: (None, 40), "adjustments": (shard, -40)},
    )
    large = uuid.uuid4()
    await request(player.id, xtr(400), "big promo", STAFF, large)
    await DecideAdjustment(uow_factory, clock, ids, house, policy)(large, True, OTHER)
    assert await _stored(engine, f"adjustment:{large}") == Stored(
        "adjustment",
        f"adjustment:{large}",
        {"reason": "big promo", "requested_by": STAFF.label, "approved_by": OTHER.label},
        {WALLET: (None, 400), "adjustments": (shard, -400)},
    )


class _Payouts:
    def __init__(self) -> None:
        self.answers: list[PayoutSent] = []

    async def send(self, withdrawal: object) -> PayoutSent:
        return self.answers.pop(0) if self.answers else PayoutSent()


class _NoHolds:
    async def open_holds(self, uow, player_id, amount, destination, now) -> list[str]:
        return []


async def test_withdrawal_steps(uow_factory, clock, ids, house, new_player, adjust, engine):
    policy = WithdrawalPolicy(
        {
            "XTR": CurrencyWithdrawalLimits(
                minimum=10, maximum=1_000, daily=5_000, kyc_threshold=10**9
            )
        },
        wagering_multiple=0,
    )
    payouts = _Payouts()
    request = RequestWithdrawal(uow_factory, clock, ids, house, policy, _NoHolds())
    approve = ApproveWithdrawal(uow_factory, clock, ids, house, payouts)
    player = await new_player()
    shard = _shard(player.id)
    await adjust(AdjustBalanceCommand(player.id, xtr(1000), "funds", "tests", f"w-{player.id}"))

    def stored(withdrawal_id, step, legs):
        return Stored(
            "withdrawal",
            f"withdrawal:{withdrawal_id}",
            {"step": step, "player_id": player.id},
            legs,
        )

    paid = await request(player.id, xtr(100), "UQ-dest", uuid.uuid4())
    assert await _stored(engine, f"withdrawal:{paid.id}:request") == stored(
        paid.id, "request", {WALLET: (None, -100), "withdrawals_pending": (shard, 100)}
    )
    await approve(paid.id, STAFF)
    assert await _stored(engine, f"withdrawal:{paid.id}:approve") == stored(
        paid.id, "approve", {"withdrawals_pending": (shard, -100), "payout_clearing": (shard, 100)}
    )
    await MarkWithdrawalPaid(uow_factory, clock, ids, house)(paid.id, "bank-1", STAFF)
    assert await _stored(engine, f"withdrawal:{paid.id}:paid") == stored(
        paid.id, "paid", {"payout_clearing": (shard, -100), "deposits_clearing": (shard, 100)}
    )

    failed = await request(player.id, xtr(50), "UQ-dest", uuid.uuid4())
    await approve(failed.id, STAFF)
    await MarkWithdrawalFailed(uow_factory, clock, ids, house)(failed.id, "bounced", STAFF)
    assert await _stored(engine, f"withdrawal:{failed.id}:failed") == stored(
        failed.id, "failed", {"payout_clearing": (shard, -50), WALLET: (None, 50)}
    )

    rejected = await request(player.id, xtr(30), "UQ-dest", uuid.uuid4())
    await RejectWithdrawal(uow_factory, clock, ids, house)(rejected.id, "no", STAFF)
    assert await _stored(engine, f"withdrawal:{rejected.id}:reject") == stored(
        rejected.id, "reject", {"withdrawals_pending": (shard, -30), WALLET: (None, 30)}
    )


async def test_seamless_debit_credit_and_rollback(
    uow_factory, clock, ids, house, funded_player, engine, unique_key
):
    player = await funded_player(1000)
    shard = _shard(player.id)
    debit = SeamlessDebit(uow_factory, clock, ids, house)
    round_id, tx = unique_key("round"), unique_key("tx")
    await debit(SeamlessDebitCommand("acme", player.id, xtr(100), tx, round_id, "g1"))
    meta = {"provider": "acme", "transaction_id": tx, "round_id": round_id, "game_id": "g1"}
    assert await _stored(engine, f"seamless:acme:{tx}") == Stored(
        "bet",
        f"seamless:acme:{round_id}",
        meta,
        {WALLET: (None, -100), "house_bankroll": (shard, 100)},
    )
    await SeamlessRollback(uow_factory, clock, ids, house)(
        SeamlessRollbackCommand("acme", player.id, tx, round_id, XTR)
    )
    assert await _stored(engine, f"seamless-rollback:acme:{tx}") == Stored(
        "refund",
        f"seamless:acme:{round_id}",
        {**meta, "rollback": True},
        {WALLET: (None, 100), "house_bankroll": (shard, -100)},
    )
    # A credit needs a debit still standing on its round (issue 18): a second stake.
    await debit(SeamlessDebitCommand("acme", player.id, xtr(10), unique_key("tx"), round_id, "g1"))
    win = unique_key("tx")
    await SeamlessCredit(uow_factory, clock, ids, house)(
        SeamlessCreditCommand("acme", player.id, xtr(30), win, round_id)
    )
    assert await _stored(engine, f"seamless:acme:{win}") == Stored(
        "win",
        f"seamless:acme:{round_id}",
        {"provider": "acme", "transaction_id": win, "round_id": round_id, "game_id": ""},
        {WALLET: (None, 30), "house_bankroll": (shard, -30)},
    )


class _Refunds:
    def __init__(self) -> None:
        self.answers: list[Exception | None] = []

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer


async def test_stars_credit_refund_and_undone_refund(uow_factory, clock, ids, house, engine):
    guard = ResponsibleGamblingGuard()
    telegram_id = 7_000_000_000 + secrets.randbelow(10**9)
    onboarded = await StartPlayer(uow_factory, clock)(telegram_id, username=None, language="en")
    player_id = onboarded.player.id
    await AcceptTerms(uow_factory, clock)(player_id)
    await AnswerDepositPrompt(uow_factory, clock)(player_id)  # "No limit for now"
    shard = _shard(player_id)
    refunds = _Refunds()
    credit = CreditStarsPayment(uow_factory, clock, ids, house, refunds, DEFAULT_RISK_REVIEW)
    refund = RefundStarsPayment(uow_factory, clock, ids, house, refunds)

    invoice = await CreateStarsInvoice(uow_factory, clock, ids, guard)(player_id, 100)
    await CheckPreCheckout(uow_factory, clock, guard)(invoice.payload, telegram_id, 100, "XTR")
    charge = f"ch-{secrets.token_hex(8)}"
    await credit(charge, invoice.payload, telegram_id, 100, "XTR")
    assert await _stored(engine, f"stars:{charge}") == Stored(
        "deposit",
        f"telegram-stars:{charge}",
        {"payload": invoice.payload, "telegram_user_id": telegram_id},
        {WALLET: (None, 100), "deposits_clearing": (shard, -100)},
    )

    refunds.answers.append(RefundRefused("Telegram refused the refund: CHARGE_NOT_FOUND"))
    with pytest.raises(RefundRefused):
        await refund(charge, "asked twice", STAFF)
    assert await _stored(engine, f"stars-refund:{charge}:0") == Stored(
        "refund",
        f"telegram-stars-refund:{charge}",
        {"reason": "asked twice", "requested_by": STAFF.label},
        {WALLET: (None, -100), "deposits_clearing": (shard, 100)},
    )
    assert await _stored(engine, f"stars-refund-undo:{charge}:0") == Stored(
        "deposit",
        f"telegram-stars-refund-undone:{charge}",
        {"reason": "Telegram refused the refund: CHARGE_NOT_FOUND"},
        {WALLET: (None, 100), "deposits_clearing": (shard, -100)},
    )
    await refund(charge, "asked again", STAFF)
    assert await _stored(engine, f"stars-refund:{charge}:1") == Stored(
        "refund",
        f"telegram-stars-refund:{charge}",
        {"reason": "asked again", "requested_by": STAFF.label},
        {WALLET: (None, -100), "deposits_clearing": (shard, 100)},
    )
