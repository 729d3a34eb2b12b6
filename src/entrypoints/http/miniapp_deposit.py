"""The Mini App's deposit screen (docs/miniapp.md, "Deposit"): Telegram Stars through a payment
link the page opens with `Telegram.WebApp.openInvoice`, and USDT / TON through Crypto Pay when
the operator configured it. The same use cases as the bot's deposit (one road):
`CreateStarsInvoice` (through `OfferStarsInvoiceLink`) and `DepositInCrypto`, so the standing,
the deposit limits, the deposits-per-hour cap and the prompt at the first deposit (UKGC RTS
12: `DepositLimitPromptDue`, 409) refuse here as they refuse in the chat. The page never
credits anything: Stars arrive with Telegram's `successful_payment` (the bot's handler), crypto
with Crypto Pay's webhook or the poller.

The prompt's answers are the existing ones: a deposit limit (`PUT /api/v1/app/limits/...`),
or "No limit for now" (`POST /api/v1/app/deposit/no-limit`, `AnswerDepositPrompt`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from application.crypto_pay import DepositInCrypto
from application.miniapp import GetMe
from application.payments import OfferStarsInvoiceLink
from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt, DepositPromptDue
from domain.crypto_pay import CRYPTO_ASSETS, DEPOSIT_BOUNDS, decimal_text, parse_amount
from domain.crypto_pay import DEPOSIT_CHOICES as CRYPTO_AMOUNTS
from domain.errors import DomainError, InvalidField
from domain.money import Money
from domain.payments import DEPOSIT_CHOICES as DEPOSITS
from domain.payments import MAX_INVOICE_STARS, InvoiceWording

# The bot's texts (no aiogram: an HTTP process without a bot never imports it).
from entrypoints.bot.i18n import Translator
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id
from entrypoints.http.miniapp_wire import Amount, amount_view

# The key a request id becomes: the Mini App's own, never equal to a key the bot makes.
KEY_PREFIX = "app:"


class StarsOffer(msgspec.Struct):
    amounts: list[int]  # the bot's amount buttons, in Stars
    min: int
    max: int


class CryptoOffer(msgspec.Struct):
    asset: str  # USDT | TON
    amounts: list[str]  # the bot's amount buttons, in whole units as decimal text
    min: str  # decimal text, as typed
    max: str
    exponent: int  # decimals the asset allows


class DepositOptionsView(msgspec.Struct):
    prompt_due: bool  # the prompt at the first deposit is owed: ask before any deposit
    stars: StarsOffer
    crypto: list[CryptoOffer]  # empty when Crypto Pay is not configured
    crypto_expiry_minutes: int


class StarsBody(msgspec.Struct, forbid_unknown_fields=True):
    amount: Annotated[int, msgspec.Meta(ge=1, le=MAX_INVOICE_STARS, description="Stars")]


class StarsInvoiceView(msgspec.Struct):
    payload: str  # the invoice's own payload, as the payment will carry it
    amount: Amount
    link: str  # open with Telegram.WebApp.openInvoice(link, callback)


class CryptoBody(msgspec.Struct, forbid_unknown_fields=True):
    asset: Annotated[str, msgspec.Meta(min_length=1, max_length=8, description="USDT or TON")]
    amount: Annotated[
        str, msgspec.Meta(min_length=1, max_length=32, description="decimal text, e.g. 12.5")
    ]
    # One per deposit the player starts: a repeat (a double tap, a retry after a lost answer)
    # answers the first invoice, never a second one.
    request_id: Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[\w-]+$")]


class CryptoInvoiceView(msgspec.Struct):
    reference: str
    amount: Amount
    amount_text: str  # the amount in whole units as decimal text, "12.5"
    pay_url: str  # a t.me link to @CryptoBot: Telegram.WebApp.openTelegramLink
    expires_at: datetime
    replayed: bool  # this request id had made the invoice before


class PromptView(msgspec.Struct):
    prompt_due: bool


def _crypto_offer(asset: str) -> CryptoOffer:
    currency = CRYPTO_ASSETS[asset]
    low, high = DEPOSIT_BOUNDS[asset]
    return CryptoOffer(
        asset=asset,
        amounts=[str(amount) for amount in CRYPTO_AMOUNTS[asset]],
        min=decimal_text(Money(low, currency)),
        max=decimal_text(Money(high, currency)),
        exponent=currency.exponent,
    )


def _crypto_amount(asset: str, typed: str) -> int:
    currency = CRYPTO_ASSETS.get(asset.upper())
    if currency is None:
        raise InvalidField("asset", f"asset is one of {', '.join(sorted(CRYPTO_ASSETS))}")
    try:
        return parse_amount(typed.strip().replace(",", "."), currency).amount
    except DomainError as error:
        raise InvalidField("amount", error.message) from None


class MiniAppDepositController(Controller):
    path = "/api/v1/app/deposit"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get("/", summary="What the deposit screen offers, and whether the prompt comes first")
    @inject
    async def options(
        self,
        player_id: NamedDependency[int],
        due: FromDishka[DepositPromptDue],
        config: FromDishka[CryptoPayConfig],
    ) -> DepositOptionsView:
        assets = sorted(config.assets, key=list(CRYPTO_AMOUNTS).index) if config.enabled else []
        return DepositOptionsView(
            prompt_due=await due(player_id),
            stars=StarsOffer(amounts=list(DEPOSITS), min=1, max=MAX_INVOICE_STARS),
            crypto=[_crypto_offer(a) for a in assets if a in CRYPTO_AMOUNTS],
            crypto_expiry_minutes=int(config.invoice_expiry.total_seconds()) // 60,
        )

    @post(
        "/no-limit",
        status_code=200,
        summary='The prompt at the first deposit answered "No limit for now"',
        description="Idempotent: a repeat keeps the first answer. Setting a deposit limit "
        "(PUT /api/v1/app/limits/deposit/{period}) answers the prompt too.",
    )
    @inject
    async def no_limit(
        self,
        player_id: NamedDependency[int],
        answer: FromDishka[AnswerDepositPrompt],
        due: FromDishka[DepositPromptDue],
    ) -> PromptView:
        await answer(player_id)
        return PromptView(prompt_due=await due(player_id))

    @post(
        "/stars",
        status_code=201,
        summary="A Stars invoice and its payment link (Telegram.WebApp.openInvoice)",
        description="Refused as the bot's invoice is: 403 blocked or unconfirmed, 409 on a "
        "break, over a deposit limit, or owing the prompt at the first deposit "
        "(`deposit_limit_prompt_due`); 503 when Telegram gives no link. The Stars are "
        "credited only when Telegram reports the payment.",
    )
    @inject
    async def stars(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[StarsBody],
        offer: FromDishka[OfferStarsInvoiceLink],
        get_me: FromDishka[GetMe],
    ) -> StarsInvoiceView:
        t = Translator((await get_me(player_id)).preferences.language)
        wording = InvoiceWording(
            title=t("deposit.invoice_title", amount=data.amount),
            description=t("deposit.invoice_description", amount=data.amount),
            price_label=t("deposit.price_label"),
        )
        made = await offer(player_id, data.amount, wording)
        return StarsInvoiceView(
            payload=made.invoice.payload, amount=amount_view(made.invoice.amount), link=made.url
        )

    @post(
        "/crypto",
        status_code=201,
        summary="A Crypto Pay invoice (USDT, TON) and its pay link in @CryptoBot",
        description="Idempotent per `request_id`: a repeat answers the same invoice with "
        "`replayed: true`; the same id for another amount is 409. Refused as the bot's "
        "crypto deposit is; 409 `crypto_deposit_unavailable` when Crypto Pay is off, 503 "
        "when it does not answer; 409 `crypto_invoice_being_created` while a twin request "
        "of the same id is creating it (ask again in a moment for its link).",
    )
    @inject
    async def crypto(
        self,
        player_id: NamedDependency[int],
        data: JSONBody[CryptoBody],
        deposit: FromDishka[DepositInCrypto],
    ) -> CryptoInvoiceView:
        asset = data.asset.upper()
        minor = _crypto_amount(asset, data.amount)
        made = await deposit(player_id, asset, minor, KEY_PREFIX + data.request_id)
        invoice = made.invoice
        return CryptoInvoiceView(
            reference=invoice.reference,
            amount=amount_view(invoice.amount),
            amount_text=decimal_text(invoice.amount),
            pay_url=made.pay_url,
            expires_at=invoice.expires_at,
            replayed=made.replayed,
        )
