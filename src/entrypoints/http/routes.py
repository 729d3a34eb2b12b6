"""Every HTTP route handler of the application, in one list."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from entrypoints.http.adjustments import AdjustmentsController
from entrypoints.http.audit import AuditController
from entrypoints.http.games import GamesController
from entrypoints.http.health import HealthController
from entrypoints.http.staff import AuthController, MeController

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    HealthController,
    AuthController,
    MeController,
    AdjustmentsController,
    GamesController,
    AuditController,
]
