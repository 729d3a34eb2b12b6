"""The ledger totals as gauges, from the last snapshot a periodic job took.

A scrape only reads that snapshot: the database is read by the job (see
`entrypoints.observability.ledger_totals`), never in the scrape, which runs in the HTTP
server's event loop (or a thread) and must stay quick whatever the database does."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from adapters.postgres.ledger_totals import LedgerTotal


class LedgerTotalsCollector(Collector):
    """`croupier_ledger_balance` and `croupier_ledger_accounts` per currency and account
    kind, and when they were taken (`croupier_ledger_totals_timestamp_seconds`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # scrapes may come from another thread
        self._totals: tuple[LedgerTotal, ...] = ()
        self._taken_at: float | None = None

    def update(self, totals: Sequence[LedgerTotal], taken_at: float) -> None:
        with self._lock:
            self._totals = tuple(totals)
            self._taken_at = taken_at

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            totals, taken_at = self._totals, self._taken_at
        if taken_at is None:
            return  # nothing read yet: no gauges rather than false zeros
        balance = GaugeMetricFamily(
            "croupier_ledger_balance",
            "Sum of the balances of the ledger's accounts, in minor units of the currency "
            "(each currency sums to zero over all kinds).",
            labels=["currency", "kind"],
        )
        accounts = GaugeMetricFamily(
            "croupier_ledger_accounts",
            "Number of ledger accounts.",
            labels=["currency", "kind"],
        )
        for total in totals:
            balance.add_metric([total.currency, total.kind], total.balance)
            accounts.add_metric([total.currency, total.kind], total.accounts)
        yield balance
        yield accounts
        taken = GaugeMetricFamily(
            "croupier_ledger_totals_timestamp_seconds",
            "When the ledger totals were last read (Unix time).",
        )
        taken.add_metric([], taken_at)
        yield taken


# The process's one collector, served with every other metric.
LEDGER_TOTALS = LedgerTotalsCollector()
REGISTRY.register(LEDGER_TOTALS)
