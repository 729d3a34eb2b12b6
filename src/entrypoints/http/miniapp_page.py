"""The Mini App page: static HTML, JS and CSS under /app/, talking to the player API under
/api/v1/app. No build step and nothing fetched from elsewhere: the page reads Telegram's
launch parameters (`tgWebAppData`, `tgWebAppThemeParams`) from its own URL fragment, as
Telegram passes them, or from `window.Telegram.WebApp` when an operator adds Telegram's
script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).parent / "static" / "miniapp"

# Only this origin's scripts, styles and API (WebSocket included: 'self' covers ws/wss of the
# same host); no inline code, so server data can never become script. Framed only by this
# origin and Telegram's web clients (Web A and Web K, at web.telegram.org, show Mini Apps in
# an iframe; the mobile and desktop apps use a web view, which is no frame): no other site can
# frame the page to trick a player into clicks.
TELEGRAM_WEB = "https://web.telegram.org"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src 'self'; base-uri 'none'; form-action 'none'; "
    f"frame-ancestors 'self' {TELEGRAM_WEB}"
)


def _security_headers(response: Response[bytes]) -> Response[bytes]:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _plain_path(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A NUL in the path makes the file lookup raise ValueError (a 500); no file has one."""
    if "\x00" in connection.url.path:
        raise NotFoundException("no such file")


MINIAPP_PAGE = create_static_files_router(
    path="/app",
    directories=[STATIC_DIR],
    html_mode=True,  # /app/ serves index.html
    name="miniapp",
    # Revalidate on every open (ETag): a new release reaches players at once.
    cache_control=CacheControlHeader(no_cache=True),
    after_request=_security_headers,
    guards=[_plain_path],
    include_in_schema=False,
)
