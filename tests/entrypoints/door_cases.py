"""The valid request of each money door of the matrix (test_door_rule_matrix.py), and what a
case needs done in good standing first (`prepare`): a bet waiting for its dice, a provider's
open round, a withdrawal to decide, a pending adjustment, a Stars payment or invoice, a Mini
App session. Each call returns the door's `Answer`."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerPreCheckoutQuery,
    SendInvoice,
    SendMessage,
)

from application.adjustments import RequestAdjustment
from application.payments import CreateStarsInvoice, CreditStarsPayment
from application.responsible import AnswerDepositPrompt
from application.staff import Actor
from application.withdrawals import ApproveWithdrawal, RequestWithdrawal
from croupier.v1 import (
    betting_pb2,
    betting_pb2_grpc,
    seamless_pb2,
    seamless_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)
from domain.money import XTR, Money
from domain.webapp import sign
from entrypoints.bot.keyboards import Deposit
from entrypoints.bot.keyboards import PlaceBet as PlaceBetButton
from tests.entrypoints.door_world import (
    LANGUAGE,
    MATRIX_FOUR_EYES_XTR,
    Answer,
    Cell,
    bot_answer,
    grpc_answer,
    http_answer,
    stream_answer,
)
from tests.entrypoints.grpc_calls import xtr

# -- gRPC --------------------------------------------------------------------------------------


def _coin(cell: Cell) -> betting_pb2.PlaceBetRequest:
    return betting_pb2.PlaceBetRequest(
        player_id=cell.pid,
        bet_id=str(uuid.uuid4()),
        game="coin",
        stake=xtr(10),
        params={"side": "heads"},
    )


def _betting(cell: Cell) -> betting_pb2_grpc.BettingServiceStub:
    return betting_pb2_grpc.BettingServiceStub(cell.world.channel)


def _seamless(cell: Cell) -> seamless_pb2_grpc.SeamlessWalletServiceStub:
    return seamless_pb2_grpc.SeamlessWalletServiceStub(cell.world.channel)


async def _stream(cell: Cell, command: betting_pb2.BetCommand) -> Answer:
    async def commands():  # type: ignore[no-untyped-def]
        yield command

    results = [r async for r in _betting(cell).StreamBets(commands(), metadata=cell.world.md)]
    assert len(results) == 1, results
    return stream_answer(results[0])


async def _batch(cell: Cell, command: betting_pb2.BetCommand) -> Answer:
    batch = betting_pb2.BetBatch(commands=[command])
    results = (await _betting(cell).PlaceBatch(batch, metadata=cell.world.md)).results
    assert len(results) == 1, results
    return stream_answer(results[0])


async def grpc_place_bet(cell: Cell) -> Answer:
    return await grpc_answer(_betting(cell).PlaceBet(_coin(cell), metadata=cell.world.md))


async def grpc_play_instant(cell: Cell) -> Answer:
    return await grpc_answer(_betting(cell).PlayInstant(_coin(cell), metadata=cell.world.md))


async def stream_place(cell: Cell) -> Answer:
    return await _stream(cell, betting_pb2.BetCommand(correlation_id="p", place=_coin(cell)))


async def placed_dice_bet(cell: Cell) -> str:
    """A Telegram dice bet, placed and waiting for its dice."""
    bet_id = str(uuid.uuid4())
    request = betting_pb2.PlaceBetRequest(
        player_id=cell.pid, bet_id=bet_id, game="tg_dice", stake=xtr(10), params={"bet": "high"}
    )
    await _betting(cell).PlaceBet(request, metadata=cell.world.md)
    return bet_id


def _settle(cell: Cell) -> betting_pb2.SettleBetRequest:
    dice = betting_pb2.DiceThrow(chat_id=1, message_id=secrets.randbelow(2**31), value=5)
    return betting_pb2.SettleBetRequest(bet_id=cell.prepared, dice=dice)


async def grpc_settle(cell: Cell) -> Answer:
    return await grpc_answer(_betting(cell).SettleBet(_settle(cell), metadata=cell.world.md))


async def grpc_void(cell: Cell) -> Answer:
    request = betting_pb2.VoidBetRequest(bet_id=cell.prepared, reason="the dice were lost")
    return await grpc_answer(_betting(cell).VoidBet(request, metadata=cell.world.md))


async def stream_settle(cell: Cell) -> Answer:
    return await _stream(cell, betting_pb2.BetCommand(correlation_id="s", settle=_settle(cell)))


async def stream_void(cell: Cell) -> Answer:
    void = betting_pb2.VoidBetRequest(bet_id=cell.prepared, reason="the dice were lost")
    return await _stream(cell, betting_pb2.BetCommand(correlation_id="v", void=void))


async def batch_place(cell: Cell) -> Answer:
    return await _batch(cell, betting_pb2.BetCommand(correlation_id="p", place=_coin(cell)))


async def batch_settle(cell: Cell) -> Answer:
    return await _batch(cell, betting_pb2.BetCommand(correlation_id="s", settle=_settle(cell)))


async def batch_void(cell: Cell) -> Answer:
    void = betting_pb2.VoidBetRequest(bet_id=cell.prepared, reason="the dice were lost")
    return await _batch(cell, betting_pb2.BetCommand(correlation_id="v", void=void))


def _movement(cell: Cell, amount: int, round_id: str | None = None) -> seamless_pb2.SeamlessRequest:
    return seamless_pb2.SeamlessRequest(
        player_id=cell.pid,
        amount=xtr(amount),
        transaction_id=uuid.uuid4().hex,
        round_id=round_id or uuid.uuid4().hex,
        game_id="slots",
    )


async def seamless_debit(cell: Cell) -> Answer:
    return await grpc_answer(_seamless(cell).Debit(_movement(cell, 5), metadata=cell.world.md))


async def open_round(cell: Cell) -> seamless_pb2.SeamlessRequest:
    """A provider's debit: a round waiting for its credit (or rollback)."""
    debit = _movement(cell, 5)
    await _seamless(cell).Debit(debit, metadata=cell.world.md)
    return debit


async def seamless_credit(cell: Cell) -> Answer:
    credit = _movement(cell, 8, cell.prepared.round_id)
    return await grpc_answer(_seamless(cell).Credit(credit, metadata=cell.world.md))


async def seamless_rollback(cell: Cell) -> Answer:
    debit = cell.prepared
    request = seamless_pb2.RollbackRequest(
        player_id=cell.pid,
        transaction_id=debit.transaction_id,
        round_id=debit.round_id,
        currency="XTR",
    )
    return await grpc_answer(_seamless(cell).Rollback(request, metadata=cell.world.md))


async def grpc_deposit(cell: Cell) -> Answer:
    wallet = wallet_pb2_grpc.WalletServiceStub(cell.world.channel)
    request = wallet_pb2.DepositRequest(
        player_id=cell.pid, amount=xtr(100), external_id=f"pay-{uuid.uuid4().hex}"
    )
    return await grpc_answer(wallet.Deposit(request, metadata=cell.world.md))


# -- HTTP: the Mini App and the admin API ------------------------------------------------------


def init_data(user_id: int, bot_token: str) -> str:
    fields = {
        "query_id": secrets.token_hex(8),
        "user": json.dumps({"id": user_id, "first_name": "Ann", "language_code": LANGUAGE}),
        "auth_date": str(int(time.time()) - 5),
    }
    return urlencode({**fields, "hash": sign(fields, bot_token)})


async def mini_app_session(cell: Cell) -> None:
    """A live Mini App session, opened while the player was in good standing."""
    opened = await cell.world.http.post(
        "/api/v1/app/session",
        json={"init_data": init_data(cell.subject.user.user.id, cell.world.bot_token)},
    )
    assert opened.status_code == 201, opened.text
    cell.subject.session = {"Authorization": f"Bearer {opened.json()['token']}"}


async def mini_app_play(cell: Cell) -> Answer:
    play = {
        "game": "coin",
        "stake": 10,
        "currency": "XTR",
        "params": {"side": "heads"},
        "request_id": str(uuid.uuid4()),
    }
    response = await cell.world.http.post(
        "/api/v1/app/play", json=play, headers=cell.subject.session
    )
    return http_answer(response, 200)


async def requested_withdrawal(cell: Cell) -> uuid.UUID:
    withdrawal = await cell.world.use(
        RequestWithdrawal,
        cell.subject.player_id,
        Money(500, XTR),
        f"UQ-{uuid.uuid4().hex[:16]}",  # a destination of its own: a shared one is a risk flag
        uuid.uuid4(),
    )
    return withdrawal.id


async def approved_withdrawal(cell: Cell) -> uuid.UUID:
    withdrawal_id = await requested_withdrawal(cell)
    await cell.world.use(ApproveWithdrawal, withdrawal_id, Actor("staff:matrix-finance"))
    return withdrawal_id


async def _decide(cell: Cell, step: str, state: str, body: dict[str, str] | None) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/withdrawals/{cell.prepared}/{step}", json=body, headers=cell.world.finance
    )
    return http_answer(response, 200, ("state", state))


async def withdrawal_approve(cell: Cell) -> Answer:
    return await _decide(cell, "approve", "approved", None)


async def withdrawal_paid(cell: Cell) -> Answer:
    return await _decide(cell, "paid", "paid", {"reference": f"bank-{uuid.uuid4().hex[:8]}"})


async def withdrawal_reject(cell: Cell) -> Answer:
    return await _decide(cell, "reject", "rejected", {"reason": "the player asked"})


async def withdrawal_failed(cell: Cell) -> Answer:
    return await _decide(cell, "failed", "failed", {"reason": "the bank returned it"})


async def adjustment_create(cell: Cell) -> Answer:
    body = {
        "player_id": cell.subject.player_id,
        "amount": 100,  # under the four-eyes limit: posted at once
        "currency": "XTR",
        "reason": "goodwill",
        "request_id": str(uuid.uuid4()),
    }
    response = await cell.world.http.post(
        "/api/v1/adjustments", json=body, headers=cell.world.finance
    )
    return http_answer(response, 201, ("state", "approved"))


async def pending_adjustment(cell: Cell) -> uuid.UUID:
    """Above the four-eyes limit, asked by someone other than the finance user who decides."""
    outcome = await cell.world.use(
        RequestAdjustment,
        cell.subject.player_id,
        Money(2 * MATRIX_FOUR_EYES_XTR, XTR),
        "a large goodwill credit",
        Actor("staff:matrix-requester"),
        uuid.uuid4(),
    )
    return outcome.request.id


async def adjustment_approve(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/adjustments/{cell.prepared}/approve", headers=cell.world.finance
    )
    return http_answer(response, 200, ("state", "approved"))


async def stars_payment(cell: Cell) -> str:
    """A Stars payment Telegram has charged and we have credited."""
    charge = f"ch-{secrets.token_hex(8)}"
    await deposit_prompt_answered(cell)
    invoice = await cell.world.use(CreateStarsInvoice, cell.subject.player_id, 70)
    await cell.world.use(
        CreditStarsPayment, charge, invoice.payload, cell.subject.user.user.id, 70, "XTR"
    )
    return charge


async def stars_refund(cell: Cell) -> Answer:
    response = await cell.world.http.post(
        f"/api/v1/payments/stars/{cell.prepared}/refund",
        json={"reason": "the player asked"},
        headers=cell.world.finance,
    )
    return http_answer(response, 200, ("status", "refunded"))


# -- the bot -----------------------------------------------------------------------------------


def _messages(calls: list[Any], prefix: str) -> bool:
    return any(isinstance(c, SendMessage) and c.text.startswith(prefix) for c in calls)


async def bot_place_bet(cell: Cell) -> Answer:
    button = PlaceBetButton(game="coin", stake=10, option="h", press=secrets.token_hex(4))

    def placed(calls: list[Any]) -> bool:  # the result, with a fresh keyboard; no alert
        alerts = [c for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]
        return not alerts and any(isinstance(c, SendMessage) and c.reply_markup for c in calls)

    return await bot_answer(cell, cell.subject.user.tap(button.pack()), placed)


def _no_alert_and(kind: type) -> Any:
    def answered(calls: list[Any]) -> bool:
        alerts = [c for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]
        return not alerts and any(isinstance(c, kind) and c.reply_markup for c in calls)

    return answered


async def deposit_prompt_answered(cell: Cell) -> None:
    """The player answered the prompt at the first deposit ("No limit for now"): without it
    an amount button shows the prompt instead of an invoice (issue 23)."""
    await cell.world.use(AnswerDepositPrompt, cell.subject.player_id)


async def bot_send_invoice(cell: Cell) -> Answer:
    update = cell.subject.user.tap(Deposit(amount=50).pack())
    return await bot_answer(
        cell, update, lambda calls: any(isinstance(c, SendInvoice) for c in calls)
    )


async def stars_invoice(cell: Cell) -> str:
    """An invoice the player was sent while in good standing (the prompt answered)."""
    await deposit_prompt_answered(cell)
    invoice = await cell.world.use(CreateStarsInvoice, cell.subject.player_id, 50)
    return invoice.payload


async def bot_pre_checkout(cell: Cell) -> Answer:
    def accepted(calls: list[Any]) -> bool:
        return any(isinstance(c, AnswerPreCheckoutQuery) and c.ok for c in calls)

    return await bot_answer(cell, cell.subject.user.pre_checkout(cell.prepared, 50), accepted)


async def bot_successful_payment(cell: Cell) -> Answer:
    update = cell.subject.user.paid(f"charge-{secrets.token_hex(6)}", cell.prepared, 50)
    return await bot_answer(cell, update, lambda calls: _messages(calls, "✅"))


async def bot_withdraw(cell: Cell) -> Answer:
    update = cell.subject.user.message(f"/withdraw 500 UQ-{uuid.uuid4().hex[:16]}")
    return await bot_answer(cell, update, lambda calls: _messages(calls, "🏧"))
