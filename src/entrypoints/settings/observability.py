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


class RequestIdEcho(enum.StrEnum):
    """Where a gRPC call's request id is sent back."""

    TRAILING = "trailing"  # with the status, in the batch that ends the call: no extra frame
    INITIAL = "initial"  # before the answer, in a frame (and a sendmsg) of its own
    OFF = "off"


# The boolean this setting was before it had three values: `true` meant the initial metadata.
_ECHO_BOOLEANS = {
    "true": RequestIdEcho.INITIAL,
    "1": RequestIdEcho.INITIAL,
    "yes": RequestIdEcho.INITIAL,
    "on": RequestIdEcho.INITIAL,
    "false": RequestIdEcho.OFF,
    "0": RequestIdEcho.OFF,
    "no": RequestIdEcho.OFF,
}


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
    log_batch_writes: bool = setting(
        True,
        doc="Write the INFO and DEBUG lines logged in one turn of the event loop together, "
        "in one write at the turn's end, rather than one write (a system call) each; a "
        "WARNING or worse is written at once with all before it, and a clean stop writes "
        "everything held. `false`: every line written as it is logged. See "
        'docs/operations.md, "Observability".',
    )
    grpc_echo_request_id: Annotated[RequestIdEcho, LOWERED] = setting(
        RequestIdEcho.TRAILING,
        doc="Where each gRPC call's request id is sent back (`x-request-id`). `trailing`: in "
        "the trailing metadata, with the status (every ending: answers, refusals, a stream's "
        "end), costing no frame of its own. `initial`: in the initial metadata, before the "
        "answer, for callers that read headers; grpc.aio sends that as a frame of its own, "
        "~45 µs of server CPU a unary bet (bench/README.md). `off`: not sent (the id is "
        "still logged). `true` and `false`, this setting's old values, still mean `initial` "
        "and `off`.",
    )
    slow_batch_ms: int = setting(
        1000,
        doc="A bet batch (the bets one transaction placed, or one bet alone) whose snapshot "
        "read, decisions and write took this long in all (ms) gets a WARNING line (logger "
        "`adapters.slow_batches`): its bets, its three parts and the one that held it; at "
        "most one line every 10 s, counting the slow batches it stands for. 0: no such line "
        "(the `croupier_bet_batch_seconds` histogram is kept either way).",
        ge=0,
        le=3_600_000,
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

    @field_validator("grpc_echo_request_id", mode="before")
    @classmethod
    def _old_boolean(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return RequestIdEcho.INITIAL if value else RequestIdEcho.OFF
        if isinstance(value, str):
            return _ECHO_BOOLEANS.get(value.strip().lower(), value)
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_of_the_environment(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        production = info.data.get("environment") is Environment.PRODUCTION
        return LogFormat.JSON if production else LogFormat.TEXT
