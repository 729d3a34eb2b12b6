"""What an entrypoint does around placing a bet: name the bet in the context (log lines
from deep inside the placement carry its id), time it, and trace it."""

from __future__ import annotations

import contextlib
import functools
import time
import uuid
from collections.abc import Iterator

from prometheus_client import Histogram

from domain.errors import DomainError
from entrypoints.observability import context, tracing
from entrypoints.observability.metrics import BET_PLACEMENT_SECONDS


@contextlib.contextmanager
def placing(bet_id: uuid.UUID, entrypoint: str, method: str) -> Iterator[None]:
    """Around one bet's placement by `entrypoint` ("grpc", "http", "bot") in `method`."""
    context.bind_bet(bet_id)
    started = time.perf_counter()
    seconds = placement_seconds(entrypoint, method)
    if tracing.active() is None:  # no span to open: the common case, kept cheap
        try:
            yield
        finally:
            seconds.observe(time.perf_counter() - started)
        return
    with tracing.internal_span(
        "bet.place",
        {
            "croupier.bet_id": str(bet_id),
            "croupier.entrypoint": entrypoint,
            "croupier.method": method,
        },
    ) as span:
        try:
            yield
        except DomainError as error:
            span.set("croupier.bet.refused", error.code)  # an answer, not a failure
            raise
        except Exception as error:
            span.fail(type(error).__name__)
            raise
        finally:
            seconds.observe(time.perf_counter() - started)


# The histogram's child for an entrypoint and method, found once: `labels()` costs more than
# the observation. Bounded by the code's (entrypoint, method) pairs, which are constants.
@functools.cache
def placement_seconds(entrypoint: str, method: str) -> Histogram:
    return BET_PLACEMENT_SECONDS.labels(entrypoint, method)
