"""The ports the use cases own, one module an area (the unit of work in `unit_of_work`), each
re-exported here; none knows SQL, Redis or Telegram (tests/unit/test_ports_package.py).

A port is re-exported by its import line alone: this module is the one where mypy's
implicit_reexport is on and ruff's F401 off (pyproject.toml), so no `__all__` repeats the
names; the test checks the imports name every port, and nothing else."""

from application.ports.accounts import AccountRepository
from application.ports.adjustments import AdjustmentRequestRepository
from application.ports.aggregators import AggregatorApi, AggregatorSignatures, GameSessionConfig
from application.ports.api_keys import ApiKeyStore, KeyUsage
from application.ports.audit import AuditLog, AuditQuery
from application.ports.bet_queue_waits import BetQueueWaits
from application.ports.bet_reads import BetFilter, BetReadModel, BetSummary
from application.ports.bets import BetMetrics, BetRepository
from application.ports.bonuses import BonusRepository
from application.ports.campaigns import CampaignRepository
from application.ports.clock_ids import Clock, IdGenerator
from application.ports.crash import CrashRounds, LeaderLock, RoundSeating
from application.ports.crypto_pay import (
    BadWebhookSignature,
    CryptoInvoiceRepository,
    CryptoPayConfig,
    CryptoPayGateway,
    CryptoPayRefused,
    CryptoPayUnavailable,
    CryptoPayWebhooks,
    InvoiceRequest,
)
from application.ports.currencies import CurrencyCatalog
from application.ports.duel_groups import DuelGroupRepository
from application.ports.duel_lobbies import LobbyRepository
from application.ports.duels import DuelRepository
from application.ports.free_bets import FreeBetCounts, FreeBetRepository
from application.ports.games import AggregatorGames, GameConfigRepository
from application.ports.health import RedisProbe
from application.ports.ledger import HistoryEntry, Ledger
from application.ports.ledger_reads import LedgerFilter, LedgerReadModel, LegView, TransactionView
from application.ports.live import LiveFeed, LiveMessage, LiveSink
from application.ports.mines import MinesRepository
from application.ports.notice_choices import NoticeChoiceStore
from application.ports.notices import (
    Delivery,
    DeliveryKind,
    EventSource,
    Messenger,
    NoticeStore,
    ReceivedEvent,
)
from application.ports.outbox import (
    EventEnvelope,
    EventPublisher,
    OutboxFeed,
    PendingEvent,
    RelaySession,
    StoredEvent,
)
from application.ports.payments import StarsInvoiceLinks, StarsPaymentRepository, StarsRefunds
from application.ports.personal_data import PersonalDataRotation
from application.ports.placements import (
    BatchPlacementContext,
    PlacementContext,
    PlacementReads,
    PlacementWrite,
    RoundSeats,
    SnapshotStale,
)
from application.ports.player_directory import (
    PlayerDirectory,
    PlayerFilter,
    PlayerNote,
    PlayerSummary,
    WalletBalance,
)
from application.ports.players import PlayerRepository
from application.ports.preferences import PreferencesRepository
from application.ports.promotion_reports import PromotionData, PromotionReportReads
from application.ports.promotions import PromotionBudgets
from application.ports.reconciliation import BooksAudit, CrashedRoundBook, Discrepancy
from application.ports.referrals import ReferralBook
from application.ports.report_reads import ReportReadModel, RtpData
from application.ports.responsible import ResponsibleGamblingRepository
from application.ports.risk import RiskFlagQuery, RiskRepository
from application.ports.seamless import KeptAnswerRepository, ProviderTransactionRepository
from application.ports.seeds import SeedPairRepository, SeedSource
from application.ports.sessions import PlayerSessions
from application.ports.staff import StaffRepository
from application.ports.staff_login import LoginThrottle, OneTimeCodes, PasswordHasher, TokenCodec
from application.ports.unit_of_work import LockContended, UnitOfWork, UnitOfWorkFactory
from application.ports.velocity import VelocityLimiter, VelocityStoreDown
from application.ports.vip import VipBook
from application.ports.withdrawals import (
    PayoutGateway,
    PayoutLookup,
    WithdrawalHolds,
    WithdrawalRepository,
)
