"""The admin reports: their read model on the reports' engine (a replica's when
CROUPIER_REPORTS_DATABASE_URL is set) and their use cases."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.postgres.promotion_reports import SqlPromotionReports
from adapters.postgres.reports import SqlReports
from application.bankroll_report import BankrollReport
from application.crypto_pay import CryptoPayBalances
from application.ports import Clock, CryptoPayConfig, PromotionReportReads
from application.promotion_budgets import ListPromotionBudgets
from application.promotion_reports import PromotionBudgetReport, PromotionCostReport
from application.reports import CashflowReport, GgrReport, OutcomeReport, ReportReadModel, RtpReport
from entrypoints.composition.endpoints import ReportsEngine


class ReportsProvider(Provider):
    """The reports' read model (one per process) and their use cases (one per request)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def report_read_model(self, engine: ReportsEngine) -> ReportReadModel:
        return SqlReports(engine)

    ggr_report = provide(GgrReport)
    rtp_report = provide(RtpReport)
    cashflow_report = provide(CashflowReport)
    outcome_report = provide(OutcomeReport)

    @provide(scope=Scope.APP)
    def promotion_report_reads(self, engine: ReportsEngine) -> PromotionReportReads:
        return SqlPromotionReports(engine)

    promotion_cost_report = provide(PromotionCostReport)
    promotion_budget_report = provide(PromotionBudgetReport)
    list_promotion_budgets = provide(ListPromotionBudgets)


class BankrollReportProvider(Provider):
    """The bankroll report: the reports' read model and Crypto Pay's balances, so only the
    kinds holding both (HTTP for the admin API, the CLI for `croupier bankroll show`)."""

    scope = Scope.REQUEST

    @provide
    def bankroll_report(
        self,
        reads: ReportReadModel,
        clock: Clock,
        config: CryptoPayConfig,
        balances: CryptoPayBalances,
    ) -> BankrollReport:
        return BankrollReport(reads, clock, balances if config.enabled else None)
