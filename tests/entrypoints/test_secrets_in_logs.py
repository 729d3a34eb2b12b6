"""Secrets never reach the logs: passwords (right and wrong), access tokens, API keys, the
signing and seed keys — whatever the log level, on success and on refusal."""

from __future__ import annotations

import contextlib
import logging
import secrets

import grpc
import pytest

from croupier.v1 import wallet_pb2, wallet_pb2_grpc

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"  # the staff fixture's
WRONG = f"wrong-{secrets.token_hex(8)}"


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_text:
            parts.append(record.exc_text)
        parts.append(repr(record.__dict__.get("args")))
    return "\n".join(parts)


async def test_no_secret_is_ever_logged(
    api, staff, channel, issue_key, http_settings, grpc_settings, caplog
):
    caplog.set_level(logging.DEBUG)
    headers = await staff("admin")
    token = headers["Authorization"].removeprefix("Bearer ")
    assert (await api.get("/api/v1/auth/me", headers=headers)).status_code == 200
    refused = await api.post("/api/v1/auth/login", json={"username": "nobody", "password": WRONG})
    assert refused.status_code == 401
    forged = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}x"})
    assert forged.status_code == 401

    key = await issue_key("wallet")
    wallet = wallet_pb2_grpc.WalletServiceStub(channel)
    request = wallet_pb2.GetBalanceRequest(player_id="1")
    for presented in (key, key + "x", "crp_" + secrets.token_hex(8)):
        # Refused, or an unknown player: the logs are what is tested here.
        with contextlib.suppress(grpc.aio.AioRpcError):
            await wallet.GetBalance(request, metadata=(("x-api-key", presented),))

    logged = _logged(caplog)
    assert caplog.records  # something was logged at all
    # The secret may hold '_' itself (URL-safe base64): split off the prefix and key id only.
    secret_part = key.split("_", 2)[2]
    assert len(secret_part) >= 32
    for secret in (PASSWORD, WRONG, token, secret_part):
        assert secret not in logged
    for settings in (http_settings, grpc_settings):
        shown = repr(settings)
        assert settings.secret_key is None or settings.secret_key not in shown
        assert settings.seed_key is None or settings.seed_key.hex() not in shown
        assert settings.seed_key is None or repr(settings.seed_key) not in shown
