"""The prompt at the first deposit (UKGC RTS 12) is a rule of the deposit use cases, so it holds
on every door that offers a deposit (the bot, the Mini App): `CreateStarsInvoice` and
`DepositInCrypto` refuse a player who never set a deposit limit nor chose "No limit for now"
with `DepositLimitPromptDue`, record no invoice and ask no provider; either answer lets the
same request through. A player who may not deposit at all hears that first, not the prompt.
The doors' own tests: tests/entrypoints/test_bot_deposit_prompt_roads.py and
test_http_miniapp_deposit.py."""

from __future__ import annotations

import pytest

from application.crypto_pay import DepositInCrypto
from application.onboarding import AcceptTerms, StartPlayer
from application.payments import CreateStarsInvoice, OfferStarsInvoiceLink
from application.ports import CryptoPayConfig
from application.responsible import ALWAYS_GUARDED, AnswerDepositPrompt, SetLimit, StartTimeout
from domain.money import USDT, XTR, Money
from domain.payments import InvoiceLinkUnavailable, InvoiceWording
from domain.players import PlayerStatus
from domain.responsible import (
    DepositLimitPromptDue,
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    TimeoutPeriod,
)
from domain.standing import PlayerBlocked, TermsNotAccepted
from tests.fake_crypto_pay import FakeCryptoPayGateway
from tests.fake_players import FakeStarsInvoiceLinks
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


class Doors:
    def __init__(self) -> None:
        self.db, self.clock, self.ids = FakeDatabase(), FakeClock(), SequentialIds()
        self.provider = FakeCryptoPayGateway()
        self.stars = CreateStarsInvoice(self.db, self.clock, self.ids, ALWAYS_GUARDED)
        self.crypto = DepositInCrypto(
            self.db,
            self.clock,
            self.ids,
            ALWAYS_GUARDED,
            self.provider,
            CryptoPayConfig(enabled=True),
        )

    async def player(self, telegram_id: int, *, terms: bool = True) -> int:
        started = await StartPlayer(self.db, self.clock)(telegram_id, username="p", language="en")
        if terms:
            await AcceptTerms(self.db, self.clock)(started.player.id)
        return started.player.id

    def nothing_offered(self) -> bool:
        return (
            self.db.state.invoices == {}
            and self.db.state.crypto_invoices == {}
            and self.provider.created == []
        )


@pytest.fixture
def doors() -> Doors:
    return Doors()


async def test_both_use_cases_refuse_until_the_prompt_is_answered(doors: Doors) -> None:
    player = await doors.player(1)
    with pytest.raises(DepositLimitPromptDue):
        await doors.stars(player, 100)
    with pytest.raises(DepositLimitPromptDue):
        await doors.crypto(player, "USDT", 5_000_000, "tap-1")
    assert doors.nothing_offered()

    await AnswerDepositPrompt(doors.db, doors.clock)(player)  # "No limit for now"
    invoice = await doors.stars(player, 100)
    assert invoice.amount == Money(100, XTR)
    made = await doors.crypto(player, "USDT", 5_000_000, "tap-1")  # the same key: a new offer
    assert made.invoice.amount == Money(5_000_000, USDT)
    assert not made.replayed
    assert len(doors.provider.created) == 1


async def test_a_deposit_limit_answers_the_prompt(doors: Doors) -> None:
    player = await doors.player(2)
    await SetLimit(doors.db, doors.clock)(
        player, LimitKind.DEPOSIT, LimitPeriod.DAY, Money(500, XTR)
    )
    assert (await doors.stars(player, 100)).amount == Money(100, XTR)
    # Any deposit limit answers it, in whichever currency: the crypto rail goes on too.
    assert (await doors.crypto(player, "USDT", 5_000_000, "k")).invoice.amount.currency == USDT


async def test_a_player_who_may_not_deposit_hears_why_not_the_prompt(doors: Doors) -> None:
    unconfirmed = await doors.player(3, terms=False)
    with pytest.raises(TermsNotAccepted):
        await doors.stars(unconfirmed, 100)
    blocked = await doors.player(4)
    doors.db.state.players[blocked].status = PlayerStatus.BLOCKED
    with pytest.raises(PlayerBlocked):
        await doors.crypto(blocked, "USDT", 5_000_000, "k")
    resting = await doors.player(5)
    await StartTimeout(doors.db, doors.clock)(resting, TimeoutPeriod.DAY)
    with pytest.raises(ResponsibleGamblingRefusal):
        await doors.stars(resting, 100)
    assert doors.nothing_offered()


async def test_the_mini_app_link_is_for_the_recorded_invoice_or_none(doors: Doors) -> None:
    """`OfferStarsInvoiceLink`: the bot's invoice, then Telegram's link with its payload; no
    link (Telegram away) is `InvoiceLinkUnavailable`, and the invoice left is never paid."""
    player = await doors.player(6)
    await AnswerDepositPrompt(doors.db, doors.clock)(player)
    wording = InvoiceWording("50 ⭐", "A top-up of 50 ⭐", "Top-up")
    links = FakeStarsInvoiceLinks()
    made = await OfferStarsInvoiceLink(doors.stars, links)(player, 50, wording)
    assert links.asked == [(made.invoice.payload, 50, wording)]
    assert made.url.endswith(made.invoice.payload)
    assert doors.db.state.invoices[made.invoice.payload] == made.invoice
    with pytest.raises(InvoiceLinkUnavailable):
        await OfferStarsInvoiceLink(doors.stars, FakeStarsInvoiceLinks(down=True))(
            player, 50, wording
        )
