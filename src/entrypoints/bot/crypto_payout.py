"""Where a USDT or TON withdrawal goes when Crypto Pay pays it (docs/payments-crypto.md,
"Payouts"): to the player's own wallet in @CryptoBot, since its `transfer` pays a Telegram
account, the one the player is using, whatever address they might type. The withdrawal flow
then asks for no address: it says so on the confirm screen and records "@CryptoBot"."""

from __future__ import annotations

from application.ports import CryptoPayConfig
from domain.money import Currency

CRYPTOBOT = "@CryptoBot"


def paid_to_cryptobot(config: CryptoPayConfig, currency: Currency) -> bool:
    """Crypto Pay is on and pays this currency: the payout goes to the player's @CryptoBot."""
    return config.enabled and currency.code in config.assets
