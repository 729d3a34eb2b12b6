"""Log lines: one JSON object per line for a log pipeline, or one readable line for a person.

Every line carries the ids of the context it was logged in (`context`): a filter on the
handler stamps them onto the record in the task that logged it, so they are right even when
the line comes from a library deep under a request."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

import msgspec

from entrypoints.observability import context
from entrypoints.observability.batched_lines import BatchedStreamHandler
from entrypoints.observability.redaction import RedactingFilter
from entrypoints.settings import LogFormat, Settings

ACCESS_LOGGER = "croupier.access"
CONTEXT_FIELDS = ("request_id", "trace_id", "bet_id")
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With several server processes writing to one output, each line says which process wrote it.
_TEXT_WITH_PID = "%(asctime)s %(levelname)s %(name)s [pid %(process)d]: %(message)s"


_CONTEXT_VARS = tuple((var.name, var) for var in context.VARS)


class ContextFilter(logging.Filter):
    """Copies the context's ids onto each record; ids passed in `extra=` win."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _CONTEXT_VARS:
            value = var.get()
            if value is not None and getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


class JsonFormatter(logging.Formatter):
    """`timestamp` (ISO-8601, UTC), `level`, `logger`, `message`, with `pid` the process's id
    when asked (several server processes), then `exception` (the traceback) and the context ids
    when there are any."""

    def __init__(self, *, pid: bool = False) -> None:
        super().__init__()
        self._pid = pid
        # The timestamp's text up to the second, made once a second (a line a call: building
        # a datetime and its ISO text for each was a tenth of the line's cost).
        self._second = -1
        self._second_text = ""

    def _timestamp(self, created: float) -> str:
        """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")` with a
        Z, character for character: rounded to the microsecond (half to even), as datetime
        does, then truncated to the millisecond."""
        second = int(created)
        micro = round((created - second) * 1_000_000)
        if micro == 1_000_000:
            second, micro = second + 1, 0
        if second != self._second:
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._second_text}.{micro // 1000:03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self._pid:
            entry["pid"] = record.process
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info and not record.exc_text:
            # Cached like the standard formatter does, so other handlers reuse the text.
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return msgspec.json.encode(entry).decode()


class TextFormatter(logging.Formatter):
    """The classic line, with the context ids at the end when there are any."""

    def __init__(self, *, pid: bool = False) -> None:
        super().__init__(_TEXT_WITH_PID if pid else _TEXT)
        # The time's text up to the second, made once a second (a line a call: logging's
        # `localtime` and `strftime` for each were ~1.3 µs of an access line's ~8).
        self._second: tuple[int, Any] | None = None
        self._second_text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """`logging.Formatter.formatTime`, character for character: `converter`'s time of
        the record's second in `default_time_format`, then the milliseconds."""
        if datefmt:
            return super().formatTime(record, datefmt)
        second = int(record.created)  # what `converter` (localtime) takes of a float: its floor
        key = (second, self.converter)
        if key != self._second:
            self._second_text = time.strftime(self.default_time_format, self.converter(second))
            self._second = key
        if self.default_msec_format:
            return self.default_msec_format % (self._second_text, record.msecs)
        return self._second_text

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [
            f"{name}={value}"
            for name in CONTEXT_FIELDS
            if (value := getattr(record, name, None)) is not None
        ]
        if not ids:
            return line
        head, newline, rest = line.partition("\n")  # the ids stay on the message's line
        return f"{head} [{' '.join(ids)}]{newline}{rest}"


def log_handler(
    log_format: LogFormat,
    stream: TextIO | None = None,
    *,
    pid: bool = False,
    batched: bool = False,
) -> logging.Handler:
    """A handler writing `log_format` lines with the context ids (and the process id, with
    `pid`) to `stream` (stderr); with `batched`, the lines of one turn of the event loop in
    one write (`batched_lines`)."""
    kind = BatchedStreamHandler if batched else logging.StreamHandler
    handler = kind(stream if stream is not None else sys.stderr)
    formatter = JsonFormatter if log_format is LogFormat.JSON else TextFormatter
    handler.setFormatter(formatter(pid=pid))
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    return handler


def configure_logging(settings: Settings) -> None:
    """The process's logging: one handler on the root logger, replacing any other, at the
    configured level; the access lines on or off."""
    # Several gRPC processes write to one output: each line names its process.
    pid = settings.grpc_processes > 1
    handler = log_handler(settings.log_format, pid=pid, batched=settings.log_batch_writes)
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    lean_records(pid=pid)
    # Access lines are INFO: above INFO they are off, whatever the process's level.
    logging.getLogger(ACCESS_LOGGER).setLevel(
        logging.NOTSET if settings.access_log else logging.WARNING
    )


def lean_records(*, pid: bool) -> None:
    """Leave out of every log record what no line of ours shows (the logging documentation's
    "Optimization" section): the caller's file, function and line (a frame walk a record),
    the thread and the multiprocessing names, and the process id unless the lines show it.
    A record is made on every call for its access line, so this is paid per call."""
    logging._srcfile = None  # documented: no findCaller
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging.logProcesses = pid
