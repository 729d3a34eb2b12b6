"""The Prometheus metrics the entrypoints keep. They live in prometheus_client's default
registry, which the HTTP app serves at `/metrics` next to Litestar's request metrics, the
bets counted by the application (`adapters.prometheus.bets`) and the ledger totals
(`adapters.prometheus.ledger`)."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Histogram, start_http_server

# Latency buckets from a bet alone on an idle database (a few ms) to a bet queued behind
# batches under load (see docs/throughput.md), in seconds.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# The names and labels of go-grpc-prometheus, so existing gRPC dashboards and alerts work.
GRPC_STARTED = Counter(
    "grpc_server_started_total",
    "gRPC calls started on the server.",
    ["grpc_type", "grpc_service", "grpc_method"],
)
GRPC_HANDLED = Counter(
    "grpc_server_handled_total",
    "gRPC calls finished on the server, by status code.",
    ["grpc_type", "grpc_service", "grpc_method", "grpc_code"],
)
GRPC_HANDLING_SECONDS = Histogram(
    "grpc_server_handling_seconds",
    "Time from the start of a gRPC call to its status (a whole stream for a streaming call).",
    ["grpc_type", "grpc_service", "grpc_method"],
    buckets=_LATENCY_BUCKETS,
)

BET_PLACEMENT_SECONDS = Histogram(
    "croupier_bet_placement_seconds",
    "Time to place one bet (answer or refusal), from the entrypoint's point of view: a bet "
    "that waits for a batch counts its wait.",
    ["entrypoint", "method"],
    buckets=_LATENCY_BUCKETS,
)

DOMAIN_ERRORS = Counter(
    "croupier_domain_errors_total",
    "Requests refused by a domain rule, by entrypoint and the error's stable code.",
    ["entrypoint", "code"],
)


def serve_metrics(host: str, port: int) -> WSGIServer:
    """A bare `/metrics` endpoint (prometheus_client's own, in a thread) for a process that has
    no HTTP app to serve them: the gRPC, relay or bot part run alone."""
    server, _thread = start_http_server(port, addr=host)
    return server
