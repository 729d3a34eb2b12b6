"""The uvicorn configuration of the HTTP part: where it listens, and whom it believes about
the client's address."""

from __future__ import annotations

import uvicorn
from litestar import Litestar

from entrypoints.settings import Settings


def http_server_config(app: Litestar, settings: Settings) -> uvicorn.Config:
    """uvicorn's own default believes `X-Forwarded-For` from 127.0.0.1, so any local process
    (or a proxy that passes the header on unchecked) could pick the address the login
    throttle and the audit log see. Here it is believed only from `CROUPIER_TRUSTED_PROXIES`,
    and with none configured, never."""
    proxies = list(settings.trusted_proxies)
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        # Our own access lines carry the request ids (entrypoints/http/observability.py);
        # without a config of its own, uvicorn's lines go through our handler too.
        access_log=False,
        log_config=None,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or [],
    )
