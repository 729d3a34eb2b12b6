"""The bot's side of notices: each written in the player's language (the bot's message
catalogue) and sent through the Bot API, Telegram's answer told back to the sender
(`application.notices.send`) as a `Delivery`: a 429 with its retry_after, a 403 (the player
blocked the bot, or deleted their account) or a missing chat as blocked, another 400 as
rejected, anything else as a failure to try again. A big-wins post comes here with the
channel as its chat and the channel's language (`application.notices.send`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)

from application.ports import Delivery, DeliveryKind
from domain.games.base import format_hundredths
from domain.notices import CRASH_RESULT, DueNotice, NoticeValue
from entrypoints.bot.i18n import Translator
from entrypoints.bot.notification_texts import NOTIFICATION_TEXTS

log = logging.getLogger(__name__)


class TelegramMessenger:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, due: DueNotice) -> Delivery:
        try:
            text = notice_text(due.notice.kind, due.notice.data, Translator(due.language))
        except (KeyError, ValueError, TypeError) as error:  # a notice this bot cannot write
            return Delivery(DeliveryKind.FAILED, reason=f"cannot write it: {error!r}")
        try:
            await self._bot.send_message(due.chat_id, text)
        except TelegramRetryAfter as error:
            return Delivery(DeliveryKind.RETRY_AFTER, retry_after=float(error.retry_after))
        except TelegramForbiddenError as error:
            return Delivery(DeliveryKind.BLOCKED, reason=error.message)
        except TelegramBadRequest as error:
            if "chat not found" in error.message.lower():
                return Delivery(DeliveryKind.BLOCKED, reason=error.message)
            return Delivery(DeliveryKind.REJECTED, reason=error.message)
        except (TelegramAPIError, TelegramNetworkError) as error:
            return Delivery(DeliveryKind.FAILED, reason=str(error))
        return Delivery(DeliveryKind.SENT)


def notice_text(kind: str, data: Mapping[str, NoticeValue], t: Translator) -> str:
    if kind in NOTIFICATION_TEXTS:
        return NOTIFICATION_TEXTS[kind](data, t)
    if kind != CRASH_RESULT:
        raise ValueError(f"no text for a notice of kind {kind!r}")
    return crash_result_text(data, t)


def crash_result_text(data: Mapping[str, NoticeValue], t: Translator) -> str:
    """ "Round 123 crashed at 2.41×: you cashed out at 1.80×, +8 ⭐", and the round's hash
    with the line that checks it."""
    stake, payout = int(data["stake"] or 0), int(data["payout"] or 0)
    currency = str(data["currency"])
    values = {
        "round": data["round"],
        "point": _x(int(data["crash_point"] or 0)),
        "stake": stake,
        # Stars are shown as a star (the bot takes bets in Stars only).
        "unit": "⭐" if currency == "XTR" else currency,
    }
    state = data["state"]
    if state == "won" and payout > stake:
        lines = [t("crash.result_won", cashed=_x(int(data["cashed_out"] or 0)),
                   net=payout - stake, **values)]  # fmt: skip
    elif state == "won":
        lines = [t("crash.result_even", cashed=_x(int(data["cashed_out"] or 0)), **values)]
    elif state == "lost":
        lines = [t("crash.result_lost", **values)]
    else:
        lines = [t("crash.result_refunded", **values)]
    lines.append(t("crash.result_hash", hash=data["round_hash"]))
    lines.append(
        t("crash.verify", round=data["round"], hash=data["round_hash"], salt=data["salt"],
          end=data["chain_end"])
    )  # fmt: skip
    return "\n".join(lines)


def _x(hundredths: int) -> str:
    return format_hundredths(hundredths)
