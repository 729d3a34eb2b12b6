"""Every HTTP route handler of the application, in one list."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from entrypoints.http.adjustments import AdjustmentsController
from entrypoints.http.aggregator_games import AggregatorGamesController
from entrypoints.http.aggregators import AggregatorWalletController
from entrypoints.http.audit import AuditController
from entrypoints.http.bankroll_report import BankrollReportController
from entrypoints.http.bets import BetsController
from entrypoints.http.budget_raises import BudgetRaisesController
from entrypoints.http.campaigns import CampaignsController
from entrypoints.http.crypto_pay import CryptoPayWebhookController
from entrypoints.http.games import GamesController
from entrypoints.http.health import HealthController
from entrypoints.http.ledger import LedgerController
from entrypoints.http.live import LIVE_HANDLERS
from entrypoints.http.miniapp import MiniAppController, MiniAppSessionController
from entrypoints.http.miniapp_aggregator_games import MiniAppAggregatorGamesController
from entrypoints.http.miniapp_bonus import MiniAppBonusController
from entrypoints.http.miniapp_bonus_actions import MiniAppBonusActionsController
from entrypoints.http.miniapp_crash import MiniAppCrashCashOutController, MiniAppCrashController
from entrypoints.http.miniapp_deposit import MiniAppDepositController
from entrypoints.http.miniapp_free_bets import MiniAppFreeBetsController
from entrypoints.http.miniapp_mines import MiniAppMinesController
from entrypoints.http.miniapp_notifications import MiniAppNotificationsController
from entrypoints.http.miniapp_page import MINIAPP_PAGE
from entrypoints.http.miniapp_promo import MiniAppPromoController
from entrypoints.http.miniapp_referral import MiniAppReferralController
from entrypoints.http.miniapp_rules import MiniAppRulesController
from entrypoints.http.miniapp_vip import MiniAppVipController
from entrypoints.http.payments import StarsPaymentsController
from entrypoints.http.players import PlayersController
from entrypoints.http.promotion_reports import (
    PromotionBudgetsController,
    PromotionReportsController,
)
from entrypoints.http.reports import ReportsController
from entrypoints.http.responsible import ResponsibleGamblingController
from entrypoints.http.risk import RiskController
from entrypoints.http.staff import AuthController, MeController, StaffAccountsController
from entrypoints.http.telegram import TelegramWebhookController
from entrypoints.http.withdrawals import KycController, WithdrawalsController

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    HealthController,
    AuthController,
    MeController,
    StaffAccountsController,
    AdjustmentsController,
    GamesController,
    AuditController,
    TelegramWebhookController,
    CryptoPayWebhookController,
    AggregatorWalletController,
    AggregatorGamesController,
    PlayersController,
    ResponsibleGamblingController,
    LedgerController,
    BetsController,
    ReportsController,
    BankrollReportController,
    PromotionReportsController,
    PromotionBudgetsController,
    BudgetRaisesController,
    RiskController,
    StarsPaymentsController,
    MiniAppSessionController,
    MiniAppController,
    MiniAppMinesController,
    MiniAppCrashController,
    MiniAppCrashCashOutController,
    MiniAppBonusController,
    MiniAppBonusActionsController,
    MiniAppFreeBetsController,
    MiniAppAggregatorGamesController,
    MiniAppVipController,
    MiniAppRulesController,
    MiniAppReferralController,
    MiniAppDepositController,
    MINIAPP_PAGE,  # the Mini App page itself, at /app/
    *LIVE_HANDLERS,
    WithdrawalsController,
    KycController,
    CampaignsController,
    MiniAppPromoController,
    MiniAppNotificationsController,
]
