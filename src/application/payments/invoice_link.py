"""A Stars deposit offered as a payment link (the Mini App's road): the invoice, then Telegram's
link to its payment form."""

from __future__ import annotations

from dataclasses import dataclass

from application.payments.invoice import CreateStarsInvoice
from application.ports import StarsInvoiceLinks
from domain.payments import InvoiceWording, StarsInvoice


@dataclass(frozen=True, slots=True)
class StarsInvoiceLink:
    invoice: StarsInvoice
    url: str  # https://t.me/$... : opened by Telegram.WebApp.openInvoice


class OfferStarsInvoiceLink:
    """The same road as the bot's invoice (`CreateStarsInvoice`: the standing, the deposit
    limits and the prompt at the first deposit, decided there), then Telegram's
    `createInvoiceLink` for that invoice, with its recorded payload and its price in Stars.
    Nothing is credited here: the money comes, as from the chat, only with Telegram's
    `successful_payment` (`CreditStarsPayment`), after the pre-checkout has read the same
    invoice. When Telegram gives no link the recorded invoice is simply never paid (an offer,
    not money); the player asks again."""

    def __init__(self, create: CreateStarsInvoice, links: StarsInvoiceLinks) -> None:
        self._create = create
        self._links = links

    async def __call__(
        self, player_id: int, amount: int, wording: InvoiceWording
    ) -> StarsInvoiceLink:
        invoice = await self._create(player_id, amount)
        return StarsInvoiceLink(invoice, await self._links.invoice_link(invoice, wording))
