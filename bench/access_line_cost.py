"""What an access line costs the serving process, in-process: the gRPC interceptor's
`access.info(...)` through the service's own handler (`configure_logging`'s: context ids,
redaction, the JSON or text formatter) into a file, as a container's log file receives it,
with a request id and a bet id bound. CPU µs a line (`time.process_time`, the process's own
counter, so other processes on the machine count less than in wall time), five rounds.

    .venv/bin/python bench/access_line_cost.py
    # another commit's code: export it (`bench/door_cost.py --ref main` leaves it in
    # bench/.data/src-<hash>/src), then
    PYTHONPATH=bench/.data/src-<hash>/src .venv/bin/python bench/access_line_cost.py
"""

from __future__ import annotations

import logging
import tempfile
import time

from entrypoints.observability import context
from entrypoints.observability.logs import ACCESS_LOGGER, lean_records, log_handler
from entrypoints.settings import LogFormat

LINES = 50_000


def main() -> None:
    context.request_id.set("0af7651916cd43dd8448eb211c80319c")
    context.bet_id.set("9b2c1a4e-1f7c-4c1e-9b61-6f1b7e0a3d11")
    access = logging.getLogger(ACCESS_LOGGER)
    method = "/croupier.v1.BettingService/PlayInstant"
    for log_format in (LogFormat.JSON, LogFormat.TEXT):
        with tempfile.TemporaryFile("w") as out:
            logging.basicConfig(level="INFO", handlers=[log_handler(log_format, out)], force=True)
            lean_records(pid=False)
            rounds = []
            for _ in range(5):
                out.seek(0)
                out.truncate()
                started = time.process_time()
                for _ in range(LINES):
                    access.info("gRPC %s %s %.1f ms", method, "OK", 7.93)
                rounds.append((time.process_time() - started) / LINES * 1e6)
        print(f"{log_format.value:4}: " + ", ".join(f"{r:.2f}" for r in rounds) + " µs a line")


if __name__ == "__main__":
    main()
