"""Credentials in URLs are redacted from every log line the process's handler writes."""

from __future__ import annotations

import io
import logging
import secrets

import pytest

from entrypoints.observability.logs import log_handler
from entrypoints.observability.redaction import redact_query_values
from entrypoints.settings import LogFormat

TOKEN = "eyJhbGciOiJIUzI1NiJ9." + secrets.token_urlsafe(40)
HEX = secrets.token_hex(32)


def _id(value: str) -> str:
    """The test's name without the random parts: every pytest-xdist worker collects the same."""
    return value.replace(TOKEN, "<token>").replace(HEX, "<hex>")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"WebSocket /api/v1/app/live?token={TOKEN}", "/api/v1/app/live?token=[redacted]"),
        (f"GET /x?page=2&access_token={TOKEN}&q=ok", "/x?page=2&access_token=[redacted]&q=ok"),
        ("GET /x?api-key=crp_abc", "/x?api-key=[redacted]"),
        ("GET /app/?tgWebAppData=user%3D1%26hash%3Dab", "/app/?tgWebAppData=[redacted]"),
        ("GET /x?password=hunter2&init_data=q", "/x?password=[redacted]&init_data=[redacted]"),
        # A long token-like value is redacted whatever its parameter's name.
        (f"GET /x?t={TOKEN}", "/x?t=[redacted]"),
        (f"GET /x?t={HEX}", "/x?t=[redacted]"),
        # Ordinary values stay readable.
        ("GET /x?limit=50&currency=XTR", "/x?limit=50&currency=XTR"),
        ("GET /x?from=2026-01-01T00:00:00Z", "/x?from=2026-01-01T00:00:00Z"),
    ],
    ids=_id,
)
def test_credential_query_values_are_redacted_and_others_kept(line, expected):
    assert redact_query_values(line) == line.split(" ")[0] + " " + expected


def test_the_process_handler_redacts_a_url_logged_with_arguments():
    stream = io.StringIO()
    logger = logging.getLogger("tests.redaction")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(log_handler(LogFormat.JSON, stream))
    try:
        # As uvicorn logs a WebSocket: the path and query are an argument of the message.
        logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5000", f"/live?token={TOKEN}")
    finally:
        logger.handlers.clear()
    written = stream.getvalue()
    assert TOKEN not in written
    assert "/live?token=[redacted]" in written
