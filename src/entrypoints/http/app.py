"""The Litestar application: admin API, Mini App API and health probes."""

from __future__ import annotations

from dishka import AsyncContainer
from dishka.integrations.litestar import setup_dishka
from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from entrypoints.http.health import HealthController
from entrypoints.http.problems import EXCEPTION_HANDLERS


def create_app(container: AsyncContainer) -> Litestar:
    app = Litestar(
        route_handlers=[HealthController],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=OpenAPIConfig(title="Croupier", version="1.0.0", path="/schema"),
        on_shutdown=[container.close],
        debug=False,
    )
    setup_dishka(container, app)
    return app
