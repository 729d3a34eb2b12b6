"""The player's pending withdrawals, each still waiting for review, with a cancel button and
its confirmation (the cancel returns the money: `CancelWithdrawal`). Beside the withdrawal
flow (`withdrawals`), whose keyboards and texts it shares."""

from __future__ import annotations

import uuid
from datetime import UTC

from aiogram import F
from aiogram.types import CallbackQuery
from dishka.integrations.aiogram import FromDishka, inject

from application.balances import GetBalances
from application.withdrawals import CancelWithdrawal
from application.withdrawals.queries import PendingWithdrawals
from domain.errors import NotFound
from domain.players import Player
from domain.withdrawal_policy import WithdrawalPolicy
from domain.withdrawals import IllegalWithdrawalTransition, Withdrawal
from entrypoints.bot import withdraw_keyboards as kb
from entrypoints.bot.handlers.withdrawals import held_balance
from entrypoints.bot.i18n import Translator
from entrypoints.bot.routing import Handlers
from entrypoints.bot.screens import show

handlers = Handlers("withdrawals_pending")


def _when(withdrawal: Withdrawal) -> str:
    # The player's time zone is unknown to the bot: UTC, said so.
    return withdrawal.requested_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@handlers.callback_query(kb.PendingList.filter())
@inject
async def pending_withdrawals(
    query: CallbackQuery,
    player: Player,
    t: Translator,
    pending: FromDishka[PendingWithdrawals],
) -> None:
    await query.answer()
    found = await pending(player.id)
    if not found:
        await show(query, t("withdraw_flow.none_pending"), kb.start_again(t))
        return
    lines = [t("withdraw_flow.pending_title")]
    lines += [
        t(
            "withdraw_flow.pending_line",
            amount=w.amount,
            destination=w.destination,
            time=_when(w),
            state=t(f"withdraw_flow.state.{w.state.value}"),
        )
        for w in found
    ]
    await show(query, "\n".join(lines), kb.pending(t, found))


def _withdrawal_id(data: kb.CancelWithdrawalButton) -> uuid.UUID | None:
    try:
        return uuid.UUID(hex=data.withdrawal)
    except ValueError:
        return None


@handlers.callback_query(kb.CancelWithdrawalButton.filter(~F.sure))
@inject
async def ask_cancel(
    query: CallbackQuery,
    callback_data: kb.CancelWithdrawalButton,
    player: Player,
    t: Translator,
    pending: FromDishka[PendingWithdrawals],
) -> None:
    wanted = _withdrawal_id(callback_data)
    found = next((w for w in await pending(player.id) if w.id == wanted), None)
    if found is None:
        await query.answer(t("withdraw_flow.not_pending"), show_alert=True)
        return
    await query.answer()
    text = t("withdraw_flow.cancel_ask", amount=found.amount, destination=found.destination)
    await show(query, text, kb.cancel_sure(t, found))


@handlers.callback_query(kb.CancelWithdrawalButton.filter(F.sure))
@inject
async def cancel_withdrawal(
    query: CallbackQuery,
    callback_data: kb.CancelWithdrawalButton,
    player: Player,
    t: Translator,
    cancel: FromDishka[CancelWithdrawal],
    balances: FromDishka[GetBalances],
    policy: FromDishka[WithdrawalPolicy],
) -> None:
    wanted = _withdrawal_id(callback_data)
    try:
        if wanted is None:
            raise NotFound("no such withdrawal")
        cancelled = await cancel(player.id, wanted)
    except NotFound:
        await query.answer(t("withdraw_flow.not_pending"), show_alert=True)
        return
    except IllegalWithdrawalTransition as refused:
        await query.answer()
        await show(
            query, t(f"withdraw_flow.cannot_cancel.{refused.source.value}"), kb.after_receipt(t)
        )
        return
    await query.answer()
    code = cancelled.amount.currency.code
    balance = await held_balance(balances, policy, player.id, code) or cancelled.amount
    # Shown in place of the question: a second tap shows the same, the money moved once.
    await show(
        query,
        t("withdraw_flow.cancelled", amount=cancelled.amount, balance=balance),
        kb.after_receipt(t),
    )
