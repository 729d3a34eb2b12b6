"""The door x rule matrix's cases of Crypto Pay deposits (issue 24): the bot's amount tap,
which creates the invoice (`Operation.DEPOSIT`: refused for a protected player before the
provider is asked), and Crypto Pay's webhook, which credits an invoice made in good standing
(`Operation.SETTLE`: the money was paid, it is credited whatever the standing since). The
provider is an in-memory fake (tests/fake_crypto_pay.py) in both the bot's and the world's
containers; the webhook is signed with the matrix's token, as Crypto Pay signs."""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from dishka import Provider, Scope, provide

from application.crypto_pay import CryptoDeposit, DepositInCrypto
from application.ports import CryptoPayGateway
from application.responsible import AnswerDepositPrompt
from entrypoints.bot.crypto_deposit import CryptoAmount, CryptoType
from tests.entrypoints.door_world import Answer, Cell, bot_answer, http_answer
from tests.fake_crypto_pay import FakeCryptoPayGateway
from tests.fake_crypto_pay_server import sign

TOKEN = "4242:matrix-crypto-pay-token"
WEBHOOK_PATH = "matrix-" + secrets.token_hex(10)
GATEWAY = FakeCryptoPayGateway()
CRYPTO_SETTINGS: dict[str, Any] = {
    "crypto_pay_token": TOKEN,
    "crypto_pay_webhook_path": WEBHOOK_PATH,
    # Never reached: the gateway below stands for it.
    "crypto_pay_host": "http://127.0.0.1:9",
}


class FakeCryptoPay(Provider):
    @provide(scope=Scope.APP, override=True)
    def gateway(self) -> CryptoPayGateway:
        return GATEWAY


async def bot_crypto_invoice(cell: Cell) -> Answer:
    tap = CryptoAmount(asset="USDT", amount=5, press=secrets.token_hex(4)).pack()

    def offered(calls: list[Any]) -> bool:  # the invoice's screen with its pay link
        alerts = [c for c in calls if isinstance(c, AnswerCallbackQuery) and c.show_alert]
        links = [
            b.url
            for c in calls
            if isinstance(c, SendMessage | EditMessageText) and c.reply_markup
            for row in c.reply_markup.inline_keyboard  # type: ignore[union-attr]
            for b in row
            if b.url
        ]
        return not alerts and bool(links)

    return await bot_answer(cell, cell.subject.user.tap(tap), offered)


async def crypto_invoice(cell: Cell) -> CryptoDeposit:
    """A 5 USDT invoice the player asked for in good standing, then paid at the provider."""
    await crypto_prompt_answered(cell)
    made: CryptoDeposit = await cell.world.use(
        DepositInCrypto, cell.subject.player_id, "USDT", 5_000_000, secrets.token_hex(6)
    )
    assert made.invoice.provider_invoice_id is not None
    GATEWAY.pay(made.invoice.provider_invoice_id)
    return made


async def http_crypto_webhook(cell: Cell) -> Answer:
    made: CryptoDeposit = cell.prepared
    paid = GATEWAY.invoices_by_id[made.invoice.provider_invoice_id or 0]
    body = json.dumps(
        {
            "update_id": 1,
            "update_type": "invoice_paid",
            "payload": {
                "invoice_id": paid.invoice_id,
                "status": paid.status,
                "asset": paid.asset,
                "amount": paid.amount,
                "payload": paid.payload,
            },
        }
    ).encode()
    response = await cell.world.http.post(
        f"/crypto-pay/webhook/{WEBHOOK_PATH}",
        content=body,
        headers={"crypto-pay-api-signature": sign(TOKEN, body)},
    )
    return http_answer(response, 200, ("ok", True))


async def crypto_prompt_answered(cell: Cell) -> None:
    """The player answered the prompt at the first deposit ("No limit for now"): without it
    an amount button shows the prompt instead of an invoice (issue 23, on this rail too)."""
    await cell.world.use(AnswerDepositPrompt, cell.subject.player_id)


async def crypto_amount_asked(cell: Cell) -> None:
    """The player, the prompt answered, tapped "Type an amount" under the USDT amounts, in
    good standing."""
    await crypto_prompt_answered(cell)
    await cell.send(cell.subject.user.tap(CryptoType(asset="USDT").pack()))


async def bot_crypto_typed(cell: Cell) -> Answer:
    def offered(calls: list[Any]) -> bool:  # the invoice's message with its pay link
        return any(
            isinstance(c, SendMessage)
            and c.reply_markup is not None
            and any(b.url for row in c.reply_markup.inline_keyboard for b in row)  # type: ignore[union-attr]
            for c in calls
        )

    return await bot_answer(cell, cell.subject.user.message("5 USDT"), offered)
