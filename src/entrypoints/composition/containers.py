"""The container of each process kind: the shared infrastructure plus the provider groups its
doors use, and nothing else.

- HTTP: the admin API, the Mini App API and the Telegram webhook. The webhook runs the bot's
  handlers in the HTTP process, and finance staff refund Stars through the bot, so the HTTP
  kind holds every group.
- gRPC: the game integrators' wallet, betting, seamless and players services.
- The bot (long polling): its handlers, Stars deposits and withdrawal requests; a player's
  door, so not the staff's withdrawal decisions, which only the HTTP kind (the admin API)
  holds.
- The relay (`croupier run --only relay`, `croupier relay`): the outbox relay and the
  periodic outcome monitor.
- The CLI: the one-shot commands (staff, API keys, currencies, the personal data's re-sealing,
  the bankroll, reconciliation, risk scans).

`croupier run` serves the parts it is asked for from one container holding the union of their
groups: the bet queue must be one per process, whichever door a bet comes through.

Every container is built under dishka's strict validation: a group that needs a provider its
kind lacks fails the build, and a provider in `extra` (tests use it) that replaces one must
say so (`override=True`). tests/entrypoints/test_containers.py resolves what each kind's doors
ask for.

The groups that serve Telegram (the bot, Stars payments and refunds) import
aiogram, seconds of import: only the kinds that hold them import them, when their container is
built (`telegram_groups`), so the one-shot commands and the gRPC server never do."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from dishka import STRICT_VALIDATION, AsyncContainer, Provider, make_async_container

from entrypoints.composition.access import AccessProvider, ApiKeysProvider
from entrypoints.composition.aggregators import AggregatorsProvider
from entrypoints.composition.betting import BettingProvider
from entrypoints.composition.bonuses import BonusesProvider
from entrypoints.composition.budget_raises import BudgetRaisesProvider
from entrypoints.composition.campaigns import CampaignStaffProvider, PromoCodesProvider
from entrypoints.composition.crash import CrashProvider
from entrypoints.composition.crypto_pay import CryptoPayProvider
from entrypoints.composition.duels import DuelsProvider
from entrypoints.composition.endpoints import Endpoints
from entrypoints.composition.free_bets import FreeBetsProvider
from entrypoints.composition.infrastructure import InfrastructureProvider
from entrypoints.composition.ledger import LedgerProvider
from entrypoints.composition.live import LiveProvider
from entrypoints.composition.miniapp import MiniAppProvider
from entrypoints.composition.players import PlayersProvider
from entrypoints.composition.referrals import ReferralsProvider
from entrypoints.composition.reports import BankrollReportProvider, ReportsProvider
from entrypoints.composition.responsible import ResponsibleProvider
from entrypoints.composition.risk import RiskOversightProvider, RiskProvider
from entrypoints.composition.vip import VipProvider
from entrypoints.composition.withdrawals import (
    PayoutsProvider,
    WithdrawalDecisionsProvider,
    WithdrawalsProvider,
)
from entrypoints.settings import Settings

AreaGroups = tuple[type[Provider], ...]

# A bet passes the responsible-gambling guard, the velocity limits and the risk rules: every
# door that places bets or moves money holds these.
_MONEY: AreaGroups = (
    PlayersProvider,
    LedgerProvider,
    BettingProvider,
    CrashProvider,
    ResponsibleProvider,
    RiskProvider,
    BonusesProvider,
    FreeBetsProvider,
    ReferralsProvider,
)


def telegram_groups() -> AreaGroups:
    """Stars payments and the bot: imported only by the kinds that serve them."""
    from entrypoints.composition.bot import BotProvider
    from entrypoints.composition.notices import NoticesProvider
    from entrypoints.composition.payments import PaymentsProvider

    return PaymentsProvider, BotProvider, NoticesProvider


def http_areas() -> AreaGroups:
    """Every group: the webhook runs the bot's handlers in the HTTP process, and finance staff
    refund Stars through the bot."""
    return (
        ApiKeysProvider,
        AccessProvider,
        *_MONEY,
        RiskOversightProvider,
        ReportsProvider,
        LiveProvider,
        MiniAppProvider,
        VipProvider,
        WithdrawalsProvider,
        WithdrawalDecisionsProvider,
        PayoutsProvider,
        PromoCodesProvider,
        CampaignStaffProvider,
        BudgetRaisesProvider,
        DuelsProvider,
        CryptoPayProvider,
        BankrollReportProvider,
        AggregatorsProvider,
        *telegram_groups(),
    )


def grpc_areas() -> AreaGroups:
    return (ApiKeysProvider, *_MONEY)


def bot_areas() -> AreaGroups:
    # A player's door: withdrawal requests, never the staff's decisions on them.
    return (
        *_MONEY,
        WithdrawalsProvider,
        PromoCodesProvider,
        VipProvider,
        DuelsProvider,
        CryptoPayProvider,
        *telegram_groups(),
    )


def relay_areas() -> AreaGroups:
    # The outcome monitor reads the reports' read model; the referral job pays commissions.
    return (RiskProvider, RiskOversightProvider, ReportsProvider, ReferralsProvider)


def cli_areas() -> AreaGroups:
    # Funding the bankroll is a posting, which passes the guard and the velocity limits; the
    # personal data's re-sealing (`croupier pii`) is wired with the players.
    # The duels' expiry job runs in `croupier run` (entrypoints/cli/duel_jobs.py).
    return (
        ApiKeysProvider,
        AccessProvider,
        *_MONEY,
        RiskOversightProvider,
        ReportsProvider,
        BudgetRaisesProvider,
        DuelsProvider,
        CryptoPayProvider,
        BankrollReportProvider,
        PayoutsProvider,
        AggregatorsProvider,
    )


# The parts `croupier run --only` starts, and the groups each needs.
RUN_PARTS: dict[str, Callable[[], AreaGroups]] = {
    "http": http_areas,
    "grpc": grpc_areas,
    "bot": bot_areas,
    "relay": relay_areas,
}


def make_container(
    settings: Settings, endpoints: Endpoints, areas: Iterable[type[Provider]], *extra: Provider
) -> AsyncContainer:
    """The infrastructure, the given area groups (each once, in the order given) and `extra`.
    The order does not change what resolves: strict validation refuses two groups providing
    one type."""
    return make_async_container(
        InfrastructureProvider(settings, endpoints),
        *(provider() for provider in dict.fromkeys(areas)),
        *extra,
        validation_settings=STRICT_VALIDATION,
    )


def make_http_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The admin and Mini App API, with the Telegram webhook."""
    return make_container(settings, endpoints, http_areas(), *extra)


def make_grpc_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The gRPC server of the game integrators."""
    return make_container(settings, endpoints, grpc_areas(), *extra)


def make_bot_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The Telegram bot, long polling."""
    return make_container(settings, endpoints, bot_areas(), *extra)


def make_cli_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The one-shot `croupier` commands and the standalone relay."""
    return make_container(settings, endpoints, (*cli_areas(), *relay_areas()), *extra)


def make_run_container(
    settings: Settings, endpoints: Endpoints, parts: Iterable[str], *extra: Provider
) -> AsyncContainer:
    """`croupier run`: one container for the parts it starts (keys of RUN_PARTS)."""
    areas = [area for part in parts for area in RUN_PARTS[part]()]
    return make_container(settings, endpoints, areas, *extra)
