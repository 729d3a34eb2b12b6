"""The bankroll report on in-memory fakes: per currency the bankroll summed over its shards,
what the house owes players (wallets, bets in play, withdrawals in flight; bonus money apart),
and for Crypto Pay's assets the books against the provider's balance, agreeing, differing, or
not answered when the provider is down (the rest answered all the same); without Crypto Pay
the column is empty. On PostgreSQL, through the HTTP door and the CLI:
tests/entrypoints/test_http_bankroll_report.py."""

from __future__ import annotations

from application.bankroll import FundBankroll, FundBankrollCommand
from application.bankroll_report import BankrollReport, ProviderState
from domain.bankroll_report import AccountTotal, house_money
from domain.money import USDT, XTR, Money
from tests.fake_reports import FakeReportReads
from tests.unit.test_crypto_payouts_on_fakes import STAFF, Books

USDT_1 = 1_000_000


async def _books() -> Books:
    """A player who deposited 20 USDT through Crypto Pay and asked to withdraw 12.5 of it,
    staff approved it (paid: the app then holds 7.5), and 50 USDT of operator capital."""
    books = Books()
    asked = await books.withdrawal()
    uses = (books.db, books.clock, books.ids, books.house)
    await FundBankroll(*uses)(FundBankrollCommand(Money(50 * USDT_1, USDT), "ops", "fund-1"))
    await FundBankroll(*uses)(FundBankrollCommand(Money(1000, XTR), "ops", "fund-2"))
    paid = await books.approve(asked.id, STAFF)
    assert paid.payout_reference is not None
    return books


def _report(books: Books, *, crypto: bool = True) -> BankrollReport:
    reads = FakeReportReads(books.db, ("XTR", "USDT"))
    return BankrollReport(reads, books.clock, books.balances if crypto else None)


async def test_the_report_sums_the_bankroll_and_the_liability_per_currency() -> None:
    books = await _books()
    books.provider.balance["USDT"] = "7.5"  # 20 in, 12.5 paid out
    made = await _report(books)()
    assert made.generated_at == books.clock.now()
    lines = {line.money.currency: line for line in made.lines}
    assert set(lines) == {"USDT", "XTR"}
    usdt = lines["USDT"]
    assert usdt.money.bankroll == 50 * USDT_1
    assert usdt.money.player_balances == 7_500_000
    assert usdt.money.withdrawals_in_flight == 0  # paid: out of the books
    assert usdt.money.liability == 7_500_000
    assert usdt.crypto_pay is not None
    assert usdt.crypto_pay.books == Money(7_500_000, USDT)
    assert usdt.crypto_pay.provider == Money(7_500_000, USDT)
    assert usdt.crypto_pay_state is ProviderState.AGREE
    stars = lines["XTR"]
    assert stars.money.bankroll == 1000
    assert stars.crypto_pay is None  # not a Crypto Pay asset
    assert stars.crypto_pay_state is None


async def test_a_difference_and_a_provider_down_are_shown_and_the_rest_answered() -> None:
    books = await _books()
    books.provider.balance["USDT"] = "7.4"
    (usdt,) = [x for x in (await _report(books)()).lines if x.money.currency == "USDT"]
    assert usdt.crypto_pay is not None
    assert usdt.crypto_pay.difference == Money(-100_000, USDT)
    assert usdt.crypto_pay_state is ProviderState.DIFFERENCE

    books.provider.mode = "down"
    (down,) = [x for x in (await _report(books)()).lines if x.money.currency == "USDT"]
    assert down.crypto_pay is not None
    assert down.crypto_pay.books == Money(7_500_000, USDT)  # the books still say
    assert down.crypto_pay.provider is None
    assert down.crypto_pay_state is ProviderState.NOT_ANSWERED
    assert down.money.bankroll == 50 * USDT_1  # and the ledger's side is all there


async def test_without_crypto_pay_the_column_is_empty() -> None:
    books = await _books()
    made = await _report(books, crypto=False)()
    assert [line.crypto_pay for line in made.lines] == [None, None]
    assert books.provider.mode == "ok"


def test_the_columns_sum_their_kinds_over_shards_and_leave_the_others_out() -> None:
    totals = [
        AccountTotal("USDT", "house_bankroll", 30),  # two shards' worth, in two rows
        AccountTotal("USDT", "house_bankroll", 20),
        AccountTotal("USDT", "player_wallet", 7),
        AccountTotal("USDT", "bets_in_play", 3),
        AccountTotal("USDT", "duel_escrow", 2),
        AccountTotal("USDT", "withdrawals_pending", 4),
        AccountTotal("USDT", "payout_clearing", 1),
        AccountTotal("USDT", "player_bonus", 9),
        AccountTotal("USDT", "deposits_clearing", -100),  # not shown
        AccountTotal("USDT", "crypto_pay_held", -8),  # the provider's column, not here
        AccountTotal("USDT", "a_kind_of_a_newer_migration", 5),
    ]
    (ton, line) = house_money(totals, ["TON"])
    assert (line.currency, line.bankroll, line.player_balances) == ("USDT", 50, 7)
    assert (line.bets_in_play, line.withdrawals_in_flight, line.bonus_balances) == (5, 5, 9)
    assert line.liability == 7 + 5 + 5
    assert (ton.currency, ton.bankroll, ton.liability) == ("TON", 0, 0)  # asked for: zeros
