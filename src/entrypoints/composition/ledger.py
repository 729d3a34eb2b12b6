"""The ledger: the house book, balances and postings, staff adjustments under four eyes, the
bankroll, seamless wallet calls, the books' reconciliation, the staff's ledger search and the
currency catalogue."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.admin_queries import SqlLedgerQueries
from adapters.postgres.currency_catalog import SqlCurrencyCatalog
from adapters.postgres.reconcile import SqlBooksAudit
from adapters.postgres.uow import SqlUnitOfWorkFactory
from adapters.seed_cipher import SeedCipher
from application.adjustments import DecideAdjustment, ListAdjustments, RequestAdjustment
from application.balances import GetBalances
from application.bankroll import FundBankroll
from application.bankroll_balance import GetBankrollBalance
from application.currencies import AddCurrency, ListCurrencies
from application.history import ListHistory
from application.house import HouseBook
from application.ledger_queries import (
    ExportTransactions,
    GetTransaction,
    LedgerReadModel,
    SearchTransactions,
)
from application.ports import BooksAudit, CurrencyCatalog
from application.postings import CreditDeposit
from application.reconciliation import Reconcile
from application.seamless import SeamlessCredit, SeamlessDebit, SeamlessRollback
from domain.adjustments import FourEyesPolicy
from entrypoints.settings import Settings


class LedgerProvider(Provider):
    """The house book, the four-eyes policy and the read models (one per process); the money
    use cases (one per request)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def house(self, settings: Settings) -> HouseBook:
        return HouseBook(shards=settings.house_shards)

    @provide(scope=Scope.APP)
    def four_eyes(self, settings: Settings) -> FourEyesPolicy:
        return settings.four_eyes_policy

    @provide(scope=Scope.APP)
    def books_audit(
        self, engine: AsyncEngine, factory: SqlUnitOfWorkFactory, cipher: SeedCipher
    ) -> BooksAudit:
        return SqlBooksAudit(engine, factory.currencies, cipher)

    @provide(scope=Scope.APP)
    def ledger_read_model(self, engine: AsyncEngine) -> LedgerReadModel:
        return SqlLedgerQueries(engine)

    @provide(scope=Scope.APP)
    def currency_catalog(self, engine: AsyncEngine) -> CurrencyCatalog:
        return SqlCurrencyCatalog(engine)

    get_balances = provide(GetBalances)
    credit_deposit = provide(CreditDeposit)
    # AdjustBalance, DebitWallet and Transfer move money with no four-eyes rule of their own:
    # they are ledger tools for tests and seeds, and no container offers them, so a staff
    # adjustment has one road (RequestAdjustment, counted in the four-eyes window).
    list_history = provide(ListHistory)
    fund_bankroll = provide(FundBankroll)
    get_bankroll_balance = provide(GetBankrollBalance)

    @provide
    def reconcile(self, audit: BooksAudit) -> Reconcile:
        return Reconcile(audit)  # its page sizes are its own, not settings

    request_adjustment = provide(RequestAdjustment)
    decide_adjustment = provide(DecideAdjustment)
    list_adjustments = provide(ListAdjustments)
    seamless_debit = provide(SeamlessDebit)
    seamless_credit = provide(SeamlessCredit)
    seamless_rollback = provide(SeamlessRollback)
    search_transactions = provide(SearchTransactions)
    export_transactions = provide(ExportTransactions)
    get_transaction = provide(GetTransaction)
    list_currencies = provide(ListCurrencies)
    add_currency = provide(AddCurrency)
