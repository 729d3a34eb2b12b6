"""The texts of the notifications (issue 23, docs/notifications.md): each in the player's
language from locales/*/notifications.toml, amounts the player's way ("127 ⭐")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from domain.big_wins import BIG_WIN
from domain.errors import UnknownCurrency
from domain.money import CurrencyRegistry, Money
from domain.notices import NoticeValue
from domain.notifications import (
    BONUS_EXPIRING,
    DEPOSIT_CREDITED,
    LIMIT_CONFIRMABLE,
    WITHDRAWAL_APPROVED,
    WITHDRAWAL_FAILED,
    WITHDRAWAL_PAID,
    WITHDRAWAL_PAYOUT_DELAYED,
    WITHDRAWAL_REJECTED,
)
from entrypoints.bot.game_texts import game_name
from entrypoints.bot.i18n import Translator

_CURRENCIES = CurrencyRegistry()

Data = Mapping[str, NoticeValue]


def _amount(data: Data, t: Translator, key: str = "amount") -> str:
    code, amount = str(data["currency"]), int(data[key] or 0)
    try:
        return t.money(Money(amount, _CURRENCIES.get(code)))
    except UnknownCurrency:  # a currency added as a row since: its minor units and code
        return f"{amount} {code}"


def _deposit(data: Data, t: Translator) -> str:
    return t(
        "notifications.deposit_credited",
        amount=_amount(data, t),
        balance=_amount(data, t, "balance"),
    )


def _withdrawal(kind: str) -> Callable[[Data, Translator], str]:
    """A withdrawal's notice; paid or failed through Crypto Pay (`rail`) says where the money
    went and names the withdrawal (support finds it by its id), as a delayed payout does."""
    key = f"notifications.{kind.replace('.', '_')}"

    def text(data: Data, t: Translator) -> str:
        if kind == WITHDRAWAL_PAYOUT_DELAYED:
            return t(key, amount=_amount(data, t), withdrawal=str(data["withdrawal_id"]))
        if data.get("rail") == "cryptopay":
            withdrawal = str(data["withdrawal_id"])
            return t(f"{key}_crypto", amount=_amount(data, t), withdrawal=withdrawal)
        return t(key, amount=_amount(data, t))

    return text


def _bonus_expiring(data: Data, t: Translator) -> str:
    ends = datetime.fromisoformat(str(data["expires_at"])).astimezone(UTC)
    return t("notifications.bonus_expiring", amount=_amount(data, t), when=f"{ends:%d.%m %H:%M}")


def _limit_confirmable(data: Data, t: Translator) -> str:
    what = {
        "kind": t(f"care.kind.{data['kind']}"),
        "period": t(f"care.period.{data['period']}"),
    }
    if data["amount"] is None:
        return t("notifications.limit_removal_confirmable", **what)
    return t("notifications.limit_raise_confirmable", amount=_amount(data, t), **what)


def _big_win(data: Data, t: Translator) -> str:
    """The channel's post: no name (domain.big_wins), the bet's id as its proof reference."""
    return t(
        "notifications.big_win_post",
        payout=_amount(data, t, "payout"),
        stake=_amount(data, t, "stake"),
        game=game_name(t, str(data["game"])),
        multiplier=str(data["multiplier"]),
        bet=str(data["bet_id"]),
    )


NOTIFICATION_TEXTS: dict[str, Callable[[Data, Translator], str]] = {
    DEPOSIT_CREDITED: _deposit,
    WITHDRAWAL_APPROVED: _withdrawal(WITHDRAWAL_APPROVED),
    WITHDRAWAL_PAID: _withdrawal(WITHDRAWAL_PAID),
    WITHDRAWAL_REJECTED: _withdrawal(WITHDRAWAL_REJECTED),
    WITHDRAWAL_FAILED: _withdrawal(WITHDRAWAL_FAILED),
    WITHDRAWAL_PAYOUT_DELAYED: _withdrawal(WITHDRAWAL_PAYOUT_DELAYED),
    BONUS_EXPIRING: _bonus_expiring,
    LIMIT_CONFIRMABLE: _limit_confirmable,
    BIG_WIN: _big_win,
}
