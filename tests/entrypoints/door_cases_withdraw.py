"""The door × rule matrix's requests at the bot's withdrawal flow (test_door_rule_matrix.py):
Confirm on a drafted withdrawal (a request), and the cancel of a requested one (held money
back to the wallet, never refused)."""

from __future__ import annotations

import uuid

from aiogram.methods import EditMessageText, SendMessage

from entrypoints.bot.withdraw_keyboards import (
    CancelWithdrawalButton,
    WithdrawAmount,
    WithdrawConfirm,
)
from tests.entrypoints.door_cases import _messages
from tests.entrypoints.door_world import Answer, Cell, bot_answer


async def bot_withdrawal_draft(cell: Cell) -> str:
    """500 ⭐ drafted in the chat in good standing, to a destination of its own (a shared one
    is a risk flag), waiting on its confirm screen: the screen's press."""
    user = cell.subject.user
    await cell.send(user.tap(WithdrawAmount(code="XTR", amount=500).pack()))
    await cell.send(user.message(f"@m{uuid.uuid4().hex[:16]}"))
    screen = next(c for c in reversed(cell.telegram.calls) if isinstance(c, SendMessage))
    first = screen.reply_markup.inline_keyboard[0][0].callback_data
    return WithdrawConfirm.unpack(first).press


async def bot_withdrawal_confirm(cell: Cell) -> Answer:
    update = cell.subject.user.tap(WithdrawConfirm(press=cell.prepared, go=True).pack())
    return await bot_answer(cell, update, lambda calls: _messages(calls, "🏧"))


async def bot_withdrawal_cancel(cell: Cell) -> Answer:
    button = CancelWithdrawalButton(withdrawal=cell.prepared.hex, sure=True)

    def cancelled(calls: list[object]) -> bool:
        return any(isinstance(c, EditMessageText) and c.text.startswith("↩️") for c in calls)

    return await bot_answer(cell, cell.subject.user.tap(button.pack()), cancelled)
