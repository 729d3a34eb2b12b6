"""The `croupier` console script. `croupier health …` runs without importing the full CLI
(see entrypoints.health.commands): container health checks call it every few seconds."""

from __future__ import annotations

import os
import sys


def main() -> None:
    # Before grpc is imported: a development `croupier run` forks pg_ctl (the embedded
    # PostgreSQL) while its gRPC threads run, and gRPC's fork handlers can crash such a child
    # before its exec. Nothing of ours uses gRPC in a forked child.
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    if sys.argv[1:2] == ["health"]:
        from entrypoints.health.commands import health

        health.main(args=sys.argv[2:], prog_name="croupier health")
        return
    from entrypoints.cli import main as croupier

    croupier()
