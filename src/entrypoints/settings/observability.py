"""What a process tells its operators: logs, traces, metrics and the heartbeat file."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ValidationInfo, field_validator
from pydantic.dataclasses import dataclass

from entrypoints.settings.declaring import CONFIG, setting
from entrypoints.settings.servers import Environment
from entrypoints.settings.values import LOWERED, UPPERED, url


class LogFormat(enum.StrEnum):
    JSON = "json"  # one object per line, for a log pipeline
    TEXT = "text"  # for a person at a terminal


class OtelProtocol(enum.StrEnum):
    HTTP = "http/protobuf"
    GRPC = "grpc"


@dataclass(frozen=True, config=CONFIG)
class Observability:
    """Logs, traces, metrics and heartbeat"""

    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], UPPERED] = setting(
        "INFO", doc="How much the logs say."
    )
    # None: chosen by the environment (validate_default runs the validator below on it).
    log_format: Annotated[LogFormat, LOWERED] = setting(
        doc="`json`: one JSON object per line (time, level, logger, message, exception, "
        "request, trace and bet ids); `text`: one readable line. See docs/operations.md, "
        '"Observability".',
        shown="(production: `json`, else `text`)",
        validate_default=True,
    )
    access_log: bool = setting(
        True,
        doc="One INFO line per HTTP request and gRPC call (logger `croupier.access`; health "
        "probes and `/metrics` are left out).",
    )
    grpc_echo_request_id: bool = setting(
        True,
        doc="Send each gRPC call's request id back in its initial metadata (`x-request-id`). "
        "grpc.aio sends that as a frame of its own before the answer: ~60 µs of server CPU a "
        "call, about 6% of a unary bet's (bench/README.md). Off: the id is still logged; a "
        "caller that needs it sends its own.",
    )
    # Unset: no tracing, and OpenTelemetry is never imported.
    otel_endpoint: Annotated[str | None, url("http", "https")] = setting(
        doc="OpenTelemetry collector to send traces to, e.g. `http://collector:4318` "
        "(OTLP/HTTP) or `http://collector:4317` (gRPC); needs the `otel` extra "
        "(`pip install 'croupier[otel]'`).",
        shown="(none: no tracing)",
    )
    otel_protocol: Annotated[OtelProtocol, LOWERED] = setting(
        OtelProtocol.HTTP, doc="How traces are sent."
    )
    otel_service_name: str = setting("croupier", doc="The `service.name` of this process's spans.")
    ledger_metrics_interval_s: int = setting(
        60,
        doc="How often `croupier run` refreshes the ledger totals it exports at `/metrics` "
        "(seconds, 0: never; one aggregate query over the accounts).",
        ge=0,
        le=86_400,
    )
    metrics_port: int = setting(
        0,
        doc="The port of a bare `/metrics` endpoint on `CROUPIER_HTTP_HOST` with this "
        "process's metrics (gRPC calls, bets, ledger totals), for a process run without the "
        "HTTP part (`croupier run --only grpc`, `relay`, `bot`) and for every process in "
        "production, whose HTTP port serves no `/metrics`; keep it off public networks. 0: "
        "none. In development the HTTP part serves `/metrics` on its own port.",
        ge=0,
        le=65535,
    )
    # A `croupier run` process touches this file while its parts run and the database
    # answers; `croupier health heartbeat` checks it (the probe of the bot and relay services).
    heartbeat_file: Path | None = setting(
        doc="A `croupier run` process rewrites this file every `CROUPIER_HEARTBEAT_INTERVAL_S` "
        "while its parts run and the database answers, and removes it when stopping; "
        "`croupier health heartbeat` reads it (the health check of the relay and the bot).",
        shown="(none)",
    )
    heartbeat_interval_s: int = setting(
        10,
        doc="Seconds between heartbeats; the probe's default limit is three of them.",
        ge=1,
        le=300,
    )

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_of_the_environment(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        production = info.data.get("environment") is Environment.PRODUCTION
        return LogFormat.JSON if production else LogFormat.TEXT
