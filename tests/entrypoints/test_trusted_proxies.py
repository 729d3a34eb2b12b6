"""Whom the HTTP server believes about the client's address: `X-Forwarded-For` only from the
configured proxies (CROUPIER_TRUSTED_PROXIES), never from anyone by default, loopback
included (uvicorn's own default trusts 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import pytest

from entrypoints.cli.http_server import http_server_config
from entrypoints.settings import Settings
from entrypoints.settings.declaring import SettingsError
from entrypoints.settings.loading import load_settings


async def _client_seen(settings: Settings, peer: str, forwarded: str) -> str:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    config = http_server_config(app, settings)  # type: ignore[arg-type]
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8080),
    }
    await config.loaded_app(scope, None, None)
    return seen[0]


async def test_x_forwarded_for_is_ignored_without_configured_proxies(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert await _client_seen(settings, "127.0.0.1", "203.0.113.9") == "127.0.0.1"
    assert await _client_seen(settings, "198.51.100.4", "203.0.113.9") == "198.51.100.4"


async def test_x_forwarded_for_is_believed_only_from_a_configured_proxy(tmp_path):
    settings = Settings(data_dir=tmp_path, trusted_proxies="10.0.0.0/8, 192.0.2.1")
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.1/32")
    assert await _client_seen(settings, "10.1.2.3", "203.0.113.9") == "203.0.113.9"
    assert await _client_seen(settings, "192.0.2.1", "203.0.113.9") == "203.0.113.9"
    assert await _client_seen(settings, "127.0.0.1", "203.0.113.9") == "127.0.0.1"


def test_a_proxy_that_is_no_address_is_refused_at_start():
    with pytest.raises(SettingsError, match="CROUPIER_TRUSTED_PROXIES"):
        load_settings({"CROUPIER_TRUSTED_PROXIES": "10.0.0.0/8,my-proxy"})
