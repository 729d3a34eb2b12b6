"""Every port has an in-memory fake, and every fake keeps its port's shape (tests/port_shape.py:
the members, coroutine or not, the parameters). mypy checks the adapters against the ports but
not tests/, so without this a port could grow a method its fake lacks and the use-case tests on
fakes would only fail when a use case first called it."""

from __future__ import annotations

import inspect

import pytest

import application.ports
from adapters.aggregator_signatures import RsaAggregatorSignatures
from adapters.redis_client import RedisPing
from application.live import LiveHub
from application.risk import RiskReview
from application.withdrawals import NoWithdrawalHolds
from domain.risk import RiskPolicy
from tests import (
    fake_access,
    fake_aggregator_games,
    fake_betting,
    fake_bonuses,
    fake_books,
    fake_campaigns,
    fake_crash,
    fake_crypto_pay,
    fake_duels,
    fake_free_bets,
    fake_live,
    fake_money,
    fake_notices,
    fake_outbox,
    fake_players,
    fake_promotion_reports,
    fake_promotions,
    fake_reads,
    fake_referrals,
    fake_reports,
    fake_staff,
    fake_vip,
    fakes,
)
from tests.casino_on_fakes import FixedSeeds
from tests.port_shape import mismatches

P = application.ports

# Port -> the fakes (or, where a test uses the real thing, the implementation) standing for it.
FAKES: dict[type, tuple[object, ...]] = {
    # The real one: pure RSA (tests/entrypoints/test_aggregator_wallet.py drives it).
    P.AggregatorSignatures: (RsaAggregatorSignatures,),
    P.AccountRepository: (fakes._Accounts,),
    P.AdjustmentRequestRepository: (fake_players.FakeAdjustments,),
    P.ApiKeyStore: (fake_access.FakeApiKeys,),
    P.KeyUsage: (fake_access.FakeKeyUsage,),
    P.AuditLog: (fake_money.FakeAuditLog,),
    P.BetMetrics: (fakes.RecordingBetMetrics,),
    P.BetQueueWaits: (fakes.RecordingQueueWaits,),
    P.BetReadModel: (fake_reads.FakeBetReads,),
    P.BetRepository: (fake_betting.FakeBets,),
    P.BonusRepository: (fake_bonuses.FakeBonuses,),
    P.MinesRepository: (fake_betting.FakeMines,),
    P.BooksAudit: (fake_books.FakeBooksAudit,),
    P.Clock: (fakes.FakeClock,),
    P.CrashRounds: (fake_crash.FakeCrashRounds,),
    P.CurrencyCatalog: (fake_access.FakeCurrencies,),
    P.EventSource: (fake_notices.FakeEventSource,),
    P.Messenger: (fake_notices.FakeMessenger,),
    P.NoticeStore: (fake_notices.FakeNoticeStore,),
    P.NoticeChoiceStore: (fake_notices.FakeNoticeChoiceStore,),
    P.PromotionBudgets: (fake_promotions.FakePromotionBudgets,),
    P.DuelRepository: (fake_duels.FakeDuels,),
    P.LobbyRepository: (fake_duels.FakeLobbies,),
    P.DuelGroupRepository: (fake_duels.FakeDuelGroups,),
    P.CryptoInvoiceRepository: (fake_crypto_pay.FakeCryptoInvoices,),
    P.CryptoPayGateway: (fake_crypto_pay.FakeCryptoPayGateway,),
    P.CryptoPayWebhooks: (fake_crypto_pay.CryptoPayWebhookReader,),
    P.PromotionReportReads: (fake_promotion_reports.FakePromotionReports,),
    P.CampaignRepository: (fake_campaigns.FakeCampaigns,),
    P.FreeBetRepository: (fake_free_bets.FakeFreeBets,),
    P.VipBook: (fake_vip.FakeVipBook,),
    P.AggregatorApi: (fake_aggregator_games.FakeAggregatorApi,),
    P.AggregatorGames: (fake_aggregator_games.FakeAggregatorGames,),
    P.ReferralBook: (fake_referrals.FakeReferrals,),
    P.EventPublisher: (fake_outbox.FakePublisher,),
    P.GameConfigRepository: (fake_betting.FakeGameConfigs,),
    P.IdGenerator: (fakes.SequentialIds,),
    P.Ledger: (fakes._Ledger,),
    P.LeaderLock: (fake_crash.FakeLeaderLock,),
    P.LedgerReadModel: (fake_reads.FakeLedgerReads,),
    P.LiveFeed: (fake_live.FakeLiveFeed,),
    P.LiveSink: (LiveHub,),  # the hub is the one sink; tests drive it through a fake feed
    P.LoginThrottle: (fake_staff.FakeThrottle,),
    P.OneTimeCodes: (fake_staff.FakeCodes,),
    P.OutboxFeed: (fake_outbox.FakeOutbox,),
    P.PasswordHasher: (fake_staff.FakeHasher,),
    P.PayoutGateway: (fake_money.FakePayoutGateway,),
    P.PayoutLookup: (fake_money.FakePayoutGateway,),
    P.PersonalDataRotation: (fake_access.FakePersonalDataRotation,),
    P.PlacementReads: (fake_betting.FakePlacements,),
    P.PlayerDirectory: (fake_reads.FakePlayerDirectory,),
    P.PlayerRepository: (fakes._Players,),
    P.PlayerSessions: (fake_live.FakePlayerSessions,),
    P.PreferencesRepository: (fake_players.FakePreferences,),
    P.ProviderTransactionRepository: (fake_betting.FakeProviderTransactions,),
    P.KeptAnswerRepository: (fake_betting.FakeKeptAnswers,),
    # The real probe: readiness asks it on a real Redis (tests/entrypoints/test_http_health.py).
    P.RedisProbe: (RedisPing,),
    P.RelaySession: (fake_outbox.FakeOutbox,),
    P.ReportReadModel: (fake_reports.FakeReportReads,),
    P.ResponsibleGamblingRepository: (fake_money.FakeResponsibleGambling,),
    P.RiskRepository: (fake_money.FakeRiskFlags,),
    P.SeedPairRepository: (fake_betting.FakeSeedPairs,),
    P.SeedSource: (FixedSeeds,),
    P.StaffRepository: (fake_staff.FakeStaff,),
    P.StarsPaymentRepository: (fake_players.FakeStars,),
    P.StarsRefunds: (fake_players.FakeStarsRefunds,),
    P.StarsInvoiceLinks: (fake_players.FakeStarsInvoiceLinks,),
    P.TokenCodec: (fake_staff.FakeTokens,),
    P.UnitOfWork: (),  # an entered unit of work sets its repositories: checked below
    P.UnitOfWorkFactory: (fakes.FakeDatabase,),
    P.VelocityLimiter: (fakes.FakeLimiter,),
    P.WithdrawalHolds: (NoWithdrawalHolds, RiskReview(RiskPolicy())),
    P.WithdrawalRepository: (fake_money.FakeWithdrawals,),
}


def _ports() -> set[type]:
    # Every port the package re-exports (its imports: tests/unit/test_ports_package.py).
    return {
        value
        for value in vars(P).values()
        if inspect.isclass(value) and getattr(value, "_is_protocol", False)
    }


def test_every_port_has_a_fake() -> None:
    without = sorted(port.__name__ for port in _ports() - set(FAKES))
    assert without == [], f"ports without a fake in FAKES: {without}"


@pytest.mark.parametrize(
    ("port", "fake"),
    [(port, fake) for port, found in FAKES.items() for fake in found],
    ids=lambda value: getattr(value, "__name__", type(value).__name__),
)
def test_a_fake_keeps_its_ports_shape(port: type, fake: object) -> None:
    assert mismatches(fake, port) == []


async def test_the_fake_unit_of_work_holds_every_repository() -> None:
    async with fakes.FakeDatabase()() as uow:
        assert mismatches(uow, P.UnitOfWork) == []
        for name, member in vars(P.UnitOfWork).items():
            if isinstance(member, property):
                repository = getattr(uow, name)
                port = inspect.get_annotations(member.fget, eval_str=True)["return"]
                assert mismatches(type(repository), port) == [], name


def test_the_check_sees_a_missing_method_and_a_changed_signature() -> None:
    class Incomplete:
        async def find(self, key_id: str) -> None: ...

        def revoke(self, name: str) -> bool:  # not a coroutine, and without the clock
            return False

    problems = mismatches(Incomplete, P.ApiKeyStore)
    assert "Incomplete lacks add" in problems
    assert "Incomplete.revoke should be a coroutine" in problems
    assert any(p.startswith("Incomplete.revoke(") and "clock" in p for p in problems)
