"""The headers every HTTP response carries for the browser's sake, set in one `before_send`
hook so that no route, error or unknown path goes without them.

- `Cache-Control: no-store` unless a route chose its own caching (only the Mini App's static
  files do): API answers carry tokens (login, Mini App session) and personal data, which no
  browser or proxy cache should keep.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
- Framing: nothing but the Mini App page may be framed (`X-Frame-Options: DENY` and
  `frame-ancestors 'none'`). The Mini App page sets its own policy, which lets Telegram's web
  clients frame it (entrypoints.http.miniapp_page); X-Frame-Options cannot name another site,
  so that page goes without it.
- `Strict-Transport-Security` on requests that came over TLS (uvicorn reports the scheme a
  trusted proxy forwarded), never over plain HTTP, where browsers ignore it anyway."""

from __future__ import annotations

from litestar.types import Message, Scope

HSTS = "max-age=31536000; includeSubDomains"
NO_FRAMING_POLICY = "frame-ancestors 'none'"

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


async def secure_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: adds what the response does not already set."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}

    def add(name: bytes, value: bytes) -> None:
        if name not in present:
            headers.append((name, value))
            present.add(name)

    for name, value in _ALWAYS:
        add(name, value)
    add(b"cache-control", b"no-store")
    if b"content-security-policy" not in present:
        add(b"content-security-policy", NO_FRAMING_POLICY.encode())
        add(b"x-frame-options", b"DENY")
    if scope.get("scheme") in ("https", "wss"):
        add(b"strict-transport-security", HSTS.encode())
    message["headers"] = headers
