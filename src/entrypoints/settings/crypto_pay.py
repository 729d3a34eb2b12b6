"""Crypto Pay deposits in USDT and TON (docs/payments-crypto.md). The defaults are the
domain's (`domain.crypto_pay`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated

from pydantic.dataclasses import dataclass

from domain.crypto_pay import CRYPTO_ASSETS, DEFAULT_INVOICE_EXPIRY
from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.values import url


@dataclass(frozen=True, config=CONFIG)
class CryptoPay:
    """Crypto Pay (USDT / TON deposits)"""

    crypto_pay_token: str | None = setting(
        doc="The Crypto Pay app's API token (from @CryptoBot, Crypto Pay, Create App; "
        "@CryptoTestnetBot for the testnet). Crypto deposits are offered only when it is set; "
        "it also keys the webhooks' signature.",
        shown="(none: off)",
        secret=True,
    )
    crypto_pay_host: Annotated[str, url("http")] = setting(
        "https://pay.crypt.bot",
        doc="The Crypto Pay API host: `https://pay.crypt.bot` (mainnet), "
        "`https://testnet-pay.crypt.bot` (testnet), or a local fake's URL in tests.",
    )
    crypto_pay_webhook_path: str | None = setting(
        doc="The secret last segment of the webhook URL, `/crypto-pay/webhook/<this>`, given "
        "to Crypto Pay in the app's Webhooks setting (16-128 of A-Z, a-z, 0-9, _ and -); "
        "unset: the webhook door answers 404 and only the poller credits.",
        shown="(none)",
        secret=True,
        pattern=r"^[A-Za-z0-9_-]{16,128}$",
    )
    crypto_pay_assets: str = setting(
        "USDT,TON",
        doc="The assets players may deposit, comma-separated, of USDT and TON.",
        pattern=r"^(USDT|TON)(,(USDT|TON))?$",
    )
    crypto_pay_invoice_expiry_s: int = setting(
        int(DEFAULT_INVOICE_EXPIRY.total_seconds()),
        doc="How long a player has to pay a crypto invoice (seconds).",
        ge=60,
        le=86_400,
    )
    crypto_pay_timeout_s: float = setting(
        10.0,
        doc="How long a call to Crypto Pay may take (seconds); then it counts as not answered. "
        "A payout's whole send is cut off after 4 calls' worth and 5 s (45 s by default), and "
        "its sending mark's lease is the longer of 5 minutes and 3 such sends.",
        gt=0,
        le=60,
    )
    crypto_pay_poll_interval_s: int = setting(
        60,
        doc="How often `croupier run` asks Crypto Pay about open invoices (a missed webhook, "
        "an expiry; seconds, 0: never).",
        ge=0,
        le=3_600,
    )

    def crypto_pay_asset_codes(self) -> frozenset[str]:
        return frozenset(a for a in self.crypto_pay_assets.split(",") if a in CRYPTO_ASSETS)

    def crypto_pay_expiry(self) -> timedelta:
        return timedelta(seconds=self.crypto_pay_invoice_expiry_s)

    def crypto_pay_problems(self) -> Iterator[str]:
        if self.crypto_pay_webhook_path is not None and self.crypto_pay_token is None:
            yield f"{PREFIX}CRYPTO_PAY_TOKEN is required with {PREFIX}CRYPTO_PAY_WEBHOOK_PATH"
