"""The job that refreshes the ledger totals exported at `/metrics`: it joins two adapters (the
SQL read and the Prometheus gauges) and nothing else, so it is wiring and lives here, where
adapters may be imported; `croupier run` repeats it (entrypoints.cli.supervisor)."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres.ledger_totals import SqlLedgerTotals
from adapters.prometheus.ledger import LEDGER_TOTALS, LedgerTotalsCollector


async def refresh_ledger_totals(
    engine: AsyncEngine, collector: LedgerTotalsCollector = LEDGER_TOTALS
) -> None:
    """Read the totals (one query) and hand them to the gauges. A failed read leaves the
    last totals, and their timestamp says how old they are."""
    totals = await SqlLedgerTotals(engine).read()
    collector.update(totals, time.time())
