"""Prometheus metrics kept by adapters, in prometheus_client's default registry (served by
the HTTP app at `/metrics`)."""
