"""Showing a screen: navigation edits the message whose button was tapped (the hub), so the chat
does not grow by one message per tap; results and anything the player must keep (a bet's
outcome, a withdrawal's receipt) are sent as messages of their own with `post`.

Editing can fail for reasons that are not errors: the text did not change (Telegram answers
"message is not modified"), the message is too old to edit (48 hours), or it was deleted. The
screen is then sent as a new message, which becomes the hub."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)


async def show(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Replace the tapped message with this screen (or send it, when it cannot be edited).
    The tap itself must still be answered by the caller (`query.answer`)."""
    message = query.message
    if not isinstance(message, Message):
        return None  # an inaccessible message (too old): nothing to edit or answer under
    try:
        edited = await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" in str(error):
            return message
        log.info("screen not edited (%s); sent anew", error.message)
        return await message.answer(text, reply_markup=markup)
    return edited if isinstance(edited, Message) else message


async def post(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send a message of its own under the tapped one (a result, a receipt)."""
    message = query.message
    if not isinstance(message, Message):
        return None
    return await message.answer(text, reply_markup=markup)
