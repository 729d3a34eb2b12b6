"""The Mini App page: static HTML, JS and CSS under /app/, talking to the player API under
/api/v1/app. No build step. The page itself (index.html) is served by a handler of its own,
which adds Telegram's Mini App script before the page's (`CROUPIER_MINIAPP_TELEGRAM_SCRIPT`,
by default https://telegram.org/js/telegram-web-app.js, loaded `async`) and names that
script's origin in the page's CSP; every other file is served as it is. The page works with
or without that script: it reads Telegram's launch parameters (`tgWebAppData`,
`tgWebAppThemeParams`) from `window.Telegram.WebApp` when the script has loaded, else from its
own URL fragment, as Telegram passes them (docs/miniapp.md, "Mini App page")."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dishka.integrations.litestar import FromDishka, inject
from litestar import Response, get
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.static_files import create_static_files_router

from entrypoints.settings import Settings

STATIC_DIR = Path(__file__).parent / "static" / "miniapp"

# Only this origin's scripts (and Telegram's one script, below), styles and API (WebSocket
# included: 'self' covers ws/wss of the same host); no inline code, so server data can never
# become script. Framed only by this origin and Telegram's web clients (Web A and Web K, at
# web.telegram.org, show Mini Apps in an iframe; the mobile and desktop apps use a web view,
# which is no frame): no other site can frame the page to trick a player into clicks.
TELEGRAM_WEB = "https://web.telegram.org"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src 'self'; base-uri 'none'; form-action 'none'; "
    f"frame-ancestors 'self' {TELEGRAM_WEB}"
)
# Where Telegram's script goes: before the page's own module, which waits for it (briefly).
_APP_SCRIPT = '<script type="module" src="/app/app.js"></script>'


def page_policy(script: str) -> str:
    """The page's CSP: an `https://` script's origin joins `script-src`, exactly that origin
    (a path of this host is 'self' already; none adds nothing)."""
    if not script.startswith("https://"):
        return CONTENT_SECURITY_POLICY
    parts = urlsplit(script)
    origin = f"https://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' {origin}")


@cache
def page_html(script: str) -> str:
    """index.html with Telegram's script tag (`async`: the page never waits on telegram.org
    to render, and works if it does not load) before the page's own module; unchanged when
    `script` is empty."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    if not script:
        return page
    tag = f'<script id="telegram-web-app" src="{html.escape(script, quote=True)}" async></script>'
    return page.replace(_APP_SCRIPT, f"{tag}\n  {_APP_SCRIPT}", 1)


def _security_headers(response: Response[bytes]) -> Response[bytes]:
    if "Content-Security-Policy" not in response.headers:  # the page sets its own
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _plain_path(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A NUL in the path makes the file lookup raise ValueError (a 500); no file has one."""
    if "\x00" in connection.url.path:
        raise NotFoundException("no such file")


@get(["/", "/index.html"], name="miniapp/index", include_in_schema=False)
@inject
async def _page(settings: FromDishka[Settings]) -> Response[str]:
    script = settings.miniapp_telegram_script
    return Response(
        page_html(script),
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": page_policy(script)},
    )


MINIAPP_PAGE = create_static_files_router(
    path="/app",
    directories=[STATIC_DIR],
    html_mode=False,  # /app/ is the page's own handler, above
    name="miniapp",
    # Revalidate on every open (ETag): a new release reaches players at once.
    cache_control=CacheControlHeader(no_cache=True),
    after_request=_security_headers,
    guards=[_plain_path],
    include_in_schema=False,
)
MINIAPP_PAGE.register(_page)
