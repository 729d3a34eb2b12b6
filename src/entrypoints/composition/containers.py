"""The container of each process kind, all built by `make_container` from the same providers.

Every kind gets the whole graph: `croupier run` serves every door (HTTP, gRPC, the bot, the
relay) from one container, and the bet queue must be one per process whatever the door. The
functions per kind say which process a caller builds, and are where a kind would drop a
provider group it never uses. `extra` providers override or add (tests use it)."""

from __future__ import annotations

from dishka import AsyncContainer, Provider, make_async_container

from entrypoints.composition.access import AccessProvider
from entrypoints.composition.betting import BettingProvider
from entrypoints.composition.bot import BotProvider
from entrypoints.composition.endpoints import Endpoints
from entrypoints.composition.infrastructure import InfrastructureProvider
from entrypoints.composition.ledger import LedgerProvider
from entrypoints.composition.live import LiveProvider
from entrypoints.composition.miniapp import MiniAppProvider
from entrypoints.composition.payments import PaymentsProvider, WithdrawalsProvider
from entrypoints.composition.players import PlayersProvider
from entrypoints.composition.reports import ReportsProvider
from entrypoints.composition.responsible import ResponsibleProvider
from entrypoints.composition.risk import RiskProvider
from entrypoints.settings import Settings

# The provider of each area, in the order a reader meets them; none takes arguments.
AREA_PROVIDERS: tuple[type[Provider], ...] = (
    AccessProvider,
    PlayersProvider,
    LedgerProvider,
    BettingProvider,
    ResponsibleProvider,
    RiskProvider,
    PaymentsProvider,
    WithdrawalsProvider,
    ReportsProvider,
    LiveProvider,
    MiniAppProvider,
    BotProvider,
)


def make_container(settings: Settings, endpoints: Endpoints, *extra: Provider) -> AsyncContainer:
    return make_async_container(
        InfrastructureProvider(settings, endpoints),
        *(provider() for provider in AREA_PROVIDERS),
        *extra,
    )


def make_http_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The admin and Mini App API, and `croupier run` (every door in one process)."""
    return make_container(settings, endpoints, *extra)


def make_grpc_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The gRPC server of the game integrators."""
    return make_container(settings, endpoints, *extra)


def make_bot_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The Telegram bot."""
    return make_container(settings, endpoints, *extra)


def make_cli_container(
    settings: Settings, endpoints: Endpoints, *extra: Provider
) -> AsyncContainer:
    """The one-shot `croupier` commands and the standalone relay."""
    return make_container(settings, endpoints, *extra)
