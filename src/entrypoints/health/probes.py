"""The probes behind `croupier health`: small clients of the services' own health endpoints,
usable from the application image (which has no curl or grpc_health_probe)."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ProbeResult:
    healthy: bool
    detail: str


def http_ready(url: str, timeout: float) -> ProbeResult:
    if not url.startswith(("http://", "https://")):
        return ProbeResult(False, f"{url!r} is not an http:// or https:// URL")
    try:
        # Only http(s), checked above: never file:// or another scheme.
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310
            body = response.read(4096).decode("utf-8", "replace")
            return ProbeResult(response.status == 200, f"{response.status} {body.strip()}")
    except urllib.error.HTTPError as error:
        body = error.read(4096).decode("utf-8", "replace")
        return ProbeResult(False, f"{error.code} {body.strip()}")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return ProbeResult(False, f"no answer from {url}: {reason}")


def grpc_serving(
    target: str, timeout: float, *, service: str = "", tls_root: Path | None = None
) -> ProbeResult:
    """The standard grpc.health.v1 Check. With `tls_root` the channel is TLS, trusting that
    certificate (the server's own, or its CA)."""
    # Imported here: the other probes, and the rest of the CLI, need no gRPC.
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    if tls_root is None:
        channel = grpc.insecure_channel(target)
    else:
        try:
            root = tls_root.read_bytes()
        except OSError as error:
            return ProbeResult(False, f"cannot read {tls_root}: {error.strerror}")
        channel = grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=root))
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
    except grpc.RpcError as error:
        return ProbeResult(False, f"{target}: {error.code().name} {error.details() or ''}".strip())
    finally:
        channel.close()
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)
    return ProbeResult(answer.status == health_pb2.HealthCheckResponse.SERVING, status)


def heartbeat_fresh(seconds_old: float | None, path: Path, max_age: float) -> ProbeResult:
    if seconds_old is None:
        return ProbeResult(False, f"no heartbeat at {path} (not started, stopped, or never well)")
    verdict = "fresh" if seconds_old <= max_age else "stale"
    return ProbeResult(
        seconds_old <= max_age, f"last beat {seconds_old:.1f}s ago ({verdict}, limit {max_age}s)"
    )
