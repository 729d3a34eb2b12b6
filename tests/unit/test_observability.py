"""Log lines and their ids, and tracing's configuration, without a server."""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from entrypoints.observability import context, tracing
from entrypoints.observability.logs import JsonFormatter, TextFormatter, log_handler
from entrypoints.settings import LogFormat, OtelProtocol, Settings, SettingsError, load_settings

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def lines():
    """Log through a real handler of each format into a buffer; yields a logger and the
    buffers."""
    streams = {fmt: io.StringIO() for fmt in LogFormat}
    logger = logging.getLogger(f"tests.observability.{uuid.uuid4().hex}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for fmt, stream in streams.items():
        logger.addHandler(log_handler(fmt, stream))
    yield logger, streams
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


def _ids(request: str | None, trace: str | None, bet: str | None) -> list:
    return [
        (context.request_id, context.request_id.set(request)),
        (context.trace_id, context.trace_id.set(trace)),
        (context.bet_id, context.bet_id.set(bet)),
    ]


def _reset(tokens: list) -> None:
    for var, token in reversed(tokens):
        var.reset(token)


def test_a_json_line_has_time_level_logger_message_exception_and_the_context_ids(lines):
    logger, streams = lines
    bet = uuid.uuid4()
    tokens = _ids("req-1", TRACE, str(bet))
    try:
        try:
            raise ValueError("the dice fell off the table")
        except ValueError:
            logger.exception("settling %s failed", "a bet")
    finally:
        _reset(tokens)
    logger.info("after the request")

    first, second = (json.loads(line) for line in streams[LogFormat.JSON].getvalue().splitlines())
    assert first["level"] == "ERROR"
    assert first["logger"] == logger.name
    assert first["message"] == "settling a bet failed"
    assert first["request_id"] == "req-1"
    assert first["trace_id"] == TRACE
    assert first["bet_id"] == str(bet)
    assert "Traceback" in first["exception"]
    assert "ValueError: the dice fell off the table" in first["exception"]
    stamp = datetime.fromisoformat(first["timestamp"].replace("Z", "+00:00"))
    assert first["timestamp"].endswith("Z")
    assert stamp.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    # Outside the request: no ids, no exception, and nothing else either.
    assert set(second) == {"timestamp", "level", "logger", "message"}
    assert second["message"] == "after the request"


_FORMATTER = JsonFormatter()


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))  # up to 2100
@example(1_733_270_400.9999996)  # rounds up to the next second's .000
@example(1_733_270_400.0005)
@example(1_733_270_400.123)
@example(1_733_270_459.9995)
def test_the_json_timestamp_is_datetimes_iso_text_to_the_millisecond(created):
    # The formatter makes the text up to the second once a second: character for character
    # what datetime wrote for every line before.
    expected = datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    assert _FORMATTER._timestamp(created) == expected


_TEXT_FORMATTER = TextFormatter()
_STANDARD = logging.Formatter()


def _record_at(created: float) -> logging.LogRecord:
    record = logging.LogRecord("t", logging.INFO, "", 0, "m", (), None)
    record.created = created
    record.msecs = int((created - int(created)) * 1000) + 0.0
    return record


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))  # up to 2100
@example(1_733_270_400.9999996)
@example(1_733_270_400.0)
@example(1_733_270_459.9995)
def test_the_text_time_is_loggings_own_to_the_millisecond(created):
    # The formatter makes the text up to the second once a second (one formatter, so the
    # examples hit and miss its cache): character for character logging's own text.
    record = _record_at(created)
    assert _TEXT_FORMATTER.formatTime(record) == _STANDARD.formatTime(record)
    assert _TEXT_FORMATTER.formatTime(record, "%Y %H") == _STANDARD.formatTime(record, "%Y %H")


def test_the_text_time_follows_a_changed_converter_within_the_second():
    formatter, standard = TextFormatter(), logging.Formatter()
    record = _record_at(1_733_270_400.5)
    assert formatter.formatTime(record) == standard.formatTime(record)
    formatter.converter = standard.converter = time.gmtime
    assert formatter.formatTime(record) == standard.formatTime(record)


def test_a_text_line_ends_with_the_ids_on_the_message_line(lines):
    logger, streams = lines
    tokens = _ids("req-2", None, "b-1")
    try:
        try:
            raise KeyError("x")
        except KeyError:
            logger.exception("oops")
    finally:
        _reset(tokens)
    text = streams[LogFormat.TEXT].getvalue()
    head, *rest = text.splitlines()
    assert head.endswith(f"ERROR {logger.name}: oops [request_id=req-2 bet_id=b-1]")
    assert rest[0] == "Traceback (most recent call last):"


def test_ids_passed_in_extra_win_over_the_context(lines):
    logger, streams = lines
    tokens = _ids("from-context", None, None)
    try:
        logger.warning("explicit", extra={"request_id": "from-extra"})
    finally:
        _reset(tokens)
    line = json.loads(streams[LogFormat.JSON].getvalue())
    assert line["request_id"] == "from-extra"


@pytest.mark.parametrize(
    "presented", ["abc", "0af7651916cd43dd8448eb211c80319c", "req.1:2-3_4", "x" * 64]
)
def test_a_sane_request_id_is_kept(presented):
    assert context.request_id_from(presented) == presented


@pytest.mark.parametrize(
    "presented", [None, "", "x" * 65, "a b", "a\nb", "<script>", "é", b"bytes-id", "a;b=c"]
)
def test_any_other_request_id_is_replaced_by_a_new_one(presented):
    chosen = context.request_id_from(presented)
    assert chosen != presented
    assert len(chosen) == 32
    assert set(chosen) <= set("0123456789abcdef")
    assert context.request_id_from(presented) != chosen  # a new one each time


def test_new_request_ids_are_unique_and_a_forked_child_draws_its_own():
    """A random prefix a process and a counter: never the same id twice in a process, and a
    forked child (several gRPC processes) starts from a prefix of its own, not its parent's."""
    ids = [context.new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and set(i) <= set("0123456789abcdef") for i in ids)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits
        os.write(write, context.new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    theirs = os.read(read, 64).decode()
    os.close(read)
    ours = context.new_request_id()
    assert len(theirs) == 32
    assert theirs[:16] != ours[:16]


def test_a_valid_traceparent_gives_its_trace_id():
    assert context.trace_id_from(f"00-{TRACE}-00f067aa0ba902b7-01") == TRACE
    # A later version may add fields; its first four still count.
    assert context.trace_id_from(f"01-{TRACE}-00f067aa0ba902b7-00-extra") == TRACE


@pytest.mark.parametrize(
    "traceparent",
    [
        None,
        "",
        f"00-{TRACE}-00f067aa0ba902b7",  # no flags
        f"00-{TRACE.upper()}-00f067aa0ba902b7-01",  # upper-case hex
        f"00-{'0' * 32}-00f067aa0ba902b7-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"ff-{TRACE}-00f067aa0ba902b7-01",  # the forbidden version
        f"00-{TRACE}-00f067aa0ba902b7-01-extra",  # version 00 has four fields
        f"00-{TRACE[:-1]}-00f067aa0ba902b7-01",
        b"00-bytes",
    ],
)
def test_an_invalid_traceparent_gives_no_trace_id(traceparent):
    assert context.trace_id_from(traceparent) is None


def test_log_format_defaults_to_json_in_production_and_text_otherwise():
    production = {
        "CROUPIER_ENV": "production",
        "CROUPIER_DATABASE_URL": "postgresql://u:p@db/c",
        "CROUPIER_REDIS_URL": "redis://r:6379/0",
        "CROUPIER_SECRET_KEY": secrets.token_urlsafe(48),
        "CROUPIER_SEED_KEY": secrets.token_hex(32),
        "CROUPIER_PII_KEYS": "1:" + secrets.token_hex(32),
        "CROUPIER_PII_INDEX_KEY": secrets.token_hex(32),
    }
    assert load_settings(production).log_format is LogFormat.JSON
    assert load_settings({}).log_format is LogFormat.TEXT
    assert load_settings({"CROUPIER_LOG_FORMAT": "JSON"}).log_format is LogFormat.JSON
    assert load_settings({**production, "CROUPIER_LOG_FORMAT": "text"}).log_format is (
        LogFormat.TEXT
    )


def test_observability_settings_are_read_and_checked():
    settings = load_settings(
        {
            "CROUPIER_ACCESS_LOG": "false",
            "CROUPIER_OTEL_ENDPOINT": "http://collector:4317",
            "CROUPIER_OTEL_PROTOCOL": "grpc",
            "CROUPIER_OTEL_SERVICE_NAME": "croupier-eu",
            "CROUPIER_LEDGER_METRICS_INTERVAL_S": "15",
        }
    )
    assert settings.access_log is False
    assert settings.otel_endpoint == "http://collector:4317"
    assert settings.otel_protocol is OtelProtocol.GRPC
    assert settings.otel_service_name == "croupier-eu"
    assert settings.ledger_metrics_interval_s == 15
    defaults = load_settings({})
    assert defaults.access_log is True
    assert defaults.otel_endpoint is None
    for name, value in (
        ("LOG_FORMAT", "xml"),
        ("ACCESS_LOG", "sometimes"),
        ("OTEL_ENDPOINT", "collector:4317"),
        ("OTEL_PROTOCOL", "thrift"),
        ("LEDGER_METRICS_INTERVAL_S", "-1"),
    ):
        with pytest.raises(SettingsError, match=f"CROUPIER_{name}"):
            load_settings({f"CROUPIER_{name}": value})


def test_tracing_is_off_without_an_endpoint():
    assert tracing.configure_tracing(Settings()) is None
    assert tracing.active() is None


def test_an_endpoint_without_the_packages_fails_with_a_clear_message(monkeypatch):
    # As if the `otel` extra were not installed: every opentelemetry module fails to import.
    for name in [m for m in sys.modules if m == "opentelemetry" or m.startswith("opentelemetry.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    settings = Settings(otel_endpoint="http://collector:4318")
    with pytest.raises(SettingsError) as caught:
        tracing.configure_tracing(settings)
    message = str(caught.value)
    assert "CROUPIER_OTEL_ENDPOINT" in message
    assert "croupier[otel]" in message
    assert tracing.active() is None


@pytest.mark.parametrize(
    ("protocol", "endpoint", "module", "exported_to"),
    [
        (
            OtelProtocol.HTTP,
            "http://collector:4318",
            "opentelemetry.exporter.otlp.proto.http.trace_exporter",
            "http://collector:4318/v1/traces",
        ),
        (
            OtelProtocol.HTTP,
            "https://collector/otlp/v1/traces/",
            "opentelemetry.exporter.otlp.proto.http.trace_exporter",
            "https://collector/otlp/v1/traces",
        ),
        (
            OtelProtocol.GRPC,
            "http://collector:4317",
            "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
            "collector:4317",
        ),
    ],
)
def test_an_endpoint_builds_the_otlp_exporter_of_its_protocol(
    protocol, endpoint, module, exported_to
):
    settings = Settings(
        otel_endpoint=endpoint, otel_protocol=protocol, otel_service_name="croupier-test"
    )
    exporter = tracing._otlp_exporter(settings)
    assert type(exporter).__module__ == module
    assert exporter._endpoint == exported_to
    configured = tracing.configure_tracing(settings)
    try:
        assert configured is not None
        assert tracing.active() is configured
        assert configured.provider.resource.attributes["service.name"] == "croupier-test"
    finally:
        tracing.shutdown_tracing()
    assert tracing.active() is None


@pytest.mark.parametrize("pid", [False, True], ids=["one process", "several"])
def test_a_record_leaves_out_what_no_line_shows(monkeypatch, pid):
    """The caller's frame, thread and process are looked up for every record unless turned
    off (`lean_records`, per call: its access line): off, except the process id when the
    lines show it; the lines themselves are unchanged."""
    from entrypoints.observability.logs import lean_records

    for name in ("_srcfile", "logThreads", "logMultiprocessing", "logProcesses"):
        monkeypatch.setattr(logging, name, getattr(logging, name))
    lean_records(pid=pid)
    stream = io.StringIO()
    logger = logging.getLogger(f"tests.observability.{uuid.uuid4().hex}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = log_handler(LogFormat.JSON, stream, pid=pid)
    records: list[logging.LogRecord] = []
    handler.addFilter(lambda record: records.append(record) or True)
    logger.addHandler(handler)
    logger.info("gRPC %s %s %.1f ms", "/croupier.v1.BettingService/PlayInstant", "OK", 1.25)
    (record,) = records
    assert (record.funcName, record.lineno) == ("(unknown function)", 0)  # no frame walk
    assert record.thread is None
    assert record.threadName is None
    line = json.loads(stream.getvalue())
    assert line["message"] == "gRPC /croupier.v1.BettingService/PlayInstant OK 1.2 ms"
    if pid:
        assert line["pid"] == record.process == os.getpid()
    else:
        assert record.process is None
        assert "pid" not in line
