"""Log lines written once per turn of the event loop (`CROUPIER_LOG_BATCH_WRITES`): none lost,
none reordered, a warning at once."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from entrypoints.observability.batched_lines import BatchedStreamHandler
from entrypoints.observability.logs import configure_logging, log_handler
from entrypoints.settings import LogFormat, load_settings

ROOT = Path(__file__).resolve().parents[2]


class _Writes(io.StringIO):
    """A stream that keeps each `write` it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@pytest.fixture
def batched():
    stream = _Writes()
    handler = log_handler(LogFormat.TEXT, stream, batched=True)
    logger = logging.getLogger(f"tests.batched.{uuid.uuid4().hex}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(handler)
    yield logger, stream, handler
    logger.removeHandler(handler)
    handler.close()


def _messages(text: str) -> list[str]:
    return [line.rsplit(": ", 1)[1] for line in text.splitlines()]


def test_the_lines_of_one_turn_go_out_together_on_the_next_turn_in_order(batched):
    logger, stream, _ = batched

    async def main() -> list[str]:
        for n in range(5):
            logger.info("line %d", n)
        held = stream.getvalue()
        await asyncio.sleep(0)  # the loop's next turn
        return [held]

    [held] = asyncio.run(main())
    assert held == ""
    assert len(stream.writes) == 1
    assert _messages(stream.getvalue()) == [f"line {n}" for n in range(5)]


def test_a_warning_is_written_at_once_with_every_line_before_it(batched):
    logger, stream, _ = batched

    async def main() -> str:
        logger.info("first")
        logger.debug("second")
        logger.warning("the wheel is stuck")
        written = stream.getvalue()  # before the loop turns again
        logger.info("after")
        await asyncio.sleep(0)
        return written

    written = asyncio.run(main())
    assert _messages(written) == ["first", "second", "the wheel is stuck"]
    assert _messages(stream.getvalue()) == ["first", "second", "the wheel is stuck", "after"]


def test_a_line_logged_off_the_loop_is_written_at_once_after_the_held_ones(batched):
    logger, stream, _ = batched
    logger.info("no loop")
    assert _messages(stream.getvalue()) == ["no loop"]

    async def main() -> str:
        logger.info("on the loop")
        thread = threading.Thread(target=logger.info, args=("from a thread",))
        thread.start()
        thread.join()
        return stream.getvalue()

    written = asyncio.run(main())
    assert _messages(written) == ["no loop", "on the loop", "from a thread"]


def test_flush_and_close_write_what_is_held(batched):
    logger, stream, handler = batched

    async def main() -> str:
        logger.info("held")
        handler.flush()  # as logging.shutdown does, before the loop turns
        flushed = stream.getvalue()
        logger.info("held too")
        handler.close()
        return flushed

    flushed = asyncio.run(main())
    assert _messages(flushed) == ["held"]
    assert _messages(stream.getvalue()) == ["held", "held too"]


def test_a_process_that_stops_cleanly_loses_no_line_and_keeps_their_order(tmp_path):
    # The last lines are logged in the loop's very last turn, then the process exits: the
    # held ones must be written by the loop's wind-down or by logging's shutdown at exit.
    script = tmp_path / "logs.py"
    script.write_text(
        "import asyncio, logging, sys\n"
        "from entrypoints.observability.logs import log_handler\n"
        "from entrypoints.settings import LogFormat\n"
        "logging.basicConfig(level='INFO', force=True,\n"
        "    handlers=[log_handler(LogFormat.JSON, sys.stderr, batched=True)])\n"
        "log = logging.getLogger('croupier.access')\n"
        "async def main():\n"
        "    for n in range(999):\n"
        "        log.info('line %d', n)\n"
        "        if n % 100 == 0:\n"
        "            await asyncio.sleep(0)\n"
        "    log.info('last')\n"
        "asyncio.run(main())\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    messages = [line.split('"message":"')[1].split('"')[0] for line in done.stderr.splitlines()]
    assert messages == [f"line {n}" for n in range(999)] + ["last"]


def test_a_forked_child_does_not_write_its_parents_held_lines_again(tmp_path):
    out = tmp_path / "lines.txt"
    stream = out.open("a")
    handler = log_handler(LogFormat.TEXT, stream, batched=True)
    logger = logging.getLogger(f"tests.batched.{uuid.uuid4().hex}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    async def main() -> int:
        logger.info("held at the fork")
        child = os.fork()
        if child == 0:  # the child: logs a line of its own and writes it at once
            logger.warning("the child's")
            os._exit(0)
        return child

    os.waitpid(asyncio.run(main()), 0)
    handler.close()
    stream.close()
    assert sorted(_messages(out.read_text())) == ["held at the fork", "the child's"]


def test_an_error_writing_is_reported_and_logging_goes_on(batched, capsys):
    logger, stream, _ = batched

    def broken(text: str) -> int:
        raise OSError("disk full")

    async def main() -> None:
        stream.write = broken  # type: ignore[method-assign]
        logger.info("lost")
        await asyncio.sleep(0)
        del stream.write
        logger.info("kept")
        await asyncio.sleep(0)

    asyncio.run(main())
    assert "disk full" in capsys.readouterr().err
    assert _messages(stream.getvalue()) == ["kept"]


@pytest.mark.parametrize(("value", "batched_kind"), [(None, True), ("false", False)])
def test_the_setting_chooses_the_handler(monkeypatch, value, batched_kind):
    monkeypatch.setenv("CROUPIER_ENVIRONMENT", "development")
    if value is None:
        monkeypatch.delenv("CROUPIER_LOG_BATCH_WRITES", raising=False)
    else:
        monkeypatch.setenv("CROUPIER_LOG_BATCH_WRITES", value)
    # What configure_logging changes beside the root's handler, put back after.
    for name in ("_srcfile", "logThreads", "logMultiprocessing", "logProcesses"):
        monkeypatch.setattr(logging, name, getattr(logging, name))
    access = logging.getLogger("croupier.access")
    monkeypatch.setattr(access, "level", access.level)
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        configure_logging(load_settings())
        [handler] = root.handlers
        assert isinstance(handler, BatchedStreamHandler) is batched_kind
    finally:
        root.handlers[:] = before
        root.setLevel(level)
