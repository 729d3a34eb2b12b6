"""The Litestar application: admin API, Mini App API and health probes."""

from __future__ import annotations

from dishka import AsyncContainer
from dishka.integrations.litestar import setup_dishka
from litestar import Litestar
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from entrypoints.http.api_docs import OPENAPI, assets_router
from entrypoints.http.observability import RequestContextMiddleware, echo_request_id
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.routes import ROUTE_HANDLERS
from entrypoints.http.security_headers import secure_headers


def create_app(container: AsyncContainer, *, production: bool = False) -> Litestar:
    """In production the app serves neither `/metrics` (the bankroll totals are nobody's
    business: `croupier run` serves them on the private `CROUPIER_METRICS_PORT`) nor the
    OpenAPI document and its pages (a map of every door for whoever asks)."""
    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS]
        if production
        else [*ROUTE_HANDLERS, PrometheusController, assets_router()],
        middleware=[
            # Request ids, traces and access lines around everything below, metrics included.
            RequestContextMiddleware,
            # Request counts and latencies per route, for Prometheus to scrape.
            PrometheusConfig(app_name="croupier", group_path=True).middleware,
        ],
        before_send=[echo_request_id, secure_headers],
        # Logging belongs to the process (`croupier run` configures it); Litestar's default
        # would replace the root handler with its own text format.
        logging_config=None,
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        openapi_config=None if production else OPENAPI,
        on_shutdown=[container.close],
        debug=False,
    )
    setup_dishka(container, app)
    return app
