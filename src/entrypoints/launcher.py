"""The `croupier` console script. `croupier health …` runs without importing the full CLI
(see entrypoints.health_commands): container health checks call it every few seconds."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["health"]:
        from entrypoints.health_commands import health

        health.main(args=sys.argv[2:], prog_name="croupier health")
        return
    from entrypoints.cli import main as croupier

    croupier()
