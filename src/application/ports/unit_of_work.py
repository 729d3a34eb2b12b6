"""One database transaction and the repositories it holds."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from application.ports.accounts import AccountRepository
from application.ports.adjustments import AdjustmentRequestRepository
from application.ports.api_keys import KeyUsage
from application.ports.audit import AuditLog
from application.ports.bets import BetRepository
from application.ports.bonuses import BonusRepository
from application.ports.campaigns import CampaignRepository
from application.ports.crash import CrashRounds
from application.ports.crypto_pay import CryptoInvoiceRepository
from application.ports.duel_groups import DuelGroupRepository
from application.ports.duel_lobbies import LobbyRepository
from application.ports.duels import DuelRepository
from application.ports.free_bets import FreeBetRepository
from application.ports.games import AggregatorGames, GameConfigRepository
from application.ports.ledger import Ledger
from application.ports.mines import MinesRepository
from application.ports.notice_choices import NoticeChoiceStore
from application.ports.notices import NoticeStore
from application.ports.payments import StarsPaymentRepository
from application.ports.placements import PlacementReads
from application.ports.players import PlayerRepository
from application.ports.preferences import PreferencesRepository
from application.ports.promotions import PromotionBudgets
from application.ports.referrals import ReferralBook
from application.ports.responsible import ResponsibleGamblingRepository
from application.ports.risk import RiskRepository
from application.ports.seamless import KeptAnswerRepository, ProviderTransactionRepository
from application.ports.seeds import SeedPairRepository
from application.ports.staff import StaffRepository
from application.ports.vip import VipBook
from application.ports.withdrawals import WithdrawalRepository
from domain.events import DomainEvent


class LockContended(Exception):
    """A write waited for a lock longer than it allows (or was chosen as a deadlock's victim);
    nothing it meant to write was written."""


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without `commit()` rolls everything back."""

    @property
    def players(self) -> PlayerRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def bets(self) -> BetRepository: ...

    @property
    def placements(self) -> PlacementReads: ...

    @property
    def mines(self) -> MinesRepository: ...

    @property
    def seeds(self) -> SeedPairRepository: ...

    @property
    def games(self) -> GameConfigRepository: ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def adjustments(self) -> AdjustmentRequestRepository: ...

    @property
    def preferences(self) -> PreferencesRepository: ...

    @property
    def provider_transactions(self) -> ProviderTransactionRepository: ...

    @property
    def key_usage(self) -> KeyUsage: ...

    @property
    def responsible(self) -> ResponsibleGamblingRepository: ...

    @property
    def stars(self) -> StarsPaymentRepository: ...

    @property
    def withdrawals(self) -> WithdrawalRepository: ...

    @property
    def risk(self) -> RiskRepository: ...

    @property
    def crash(self) -> CrashRounds: ...

    @property
    def notices(self) -> NoticeStore: ...

    @property
    def notice_choices(self) -> NoticeChoiceStore: ...

    @property
    def budgets(self) -> PromotionBudgets: ...

    @property
    def campaigns(self) -> CampaignRepository: ...

    @property
    def bonuses(self) -> BonusRepository: ...

    @property
    def vip(self) -> VipBook: ...

    @property
    def referrals(self) -> ReferralBook: ...

    @property
    def free_bets(self) -> FreeBetRepository: ...

    @property
    def duels(self) -> DuelRepository: ...

    @property
    def lobbies(self) -> LobbyRepository: ...

    @property
    def duel_groups(self) -> DuelGroupRepository: ...

    @property
    def crypto_invoices(self) -> CryptoInvoiceRepository: ...

    @property
    def kept_answers(self) -> KeptAnswerRepository: ...

    @property
    def aggregator_games(self) -> AggregatorGames: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def raise_events(self, *events: DomainEvent) -> None:
        """What this transaction's changes caused. They are written to the outbox with the
        commit (and only then published), dropped with a rollback,."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work; use cases that need several transactions ask for one each."""

    def __call__(self) -> UnitOfWork: ...
