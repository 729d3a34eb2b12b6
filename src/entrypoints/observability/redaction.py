"""Credentials never reach a log line through a URL: whatever logs a URL (uvicorn's WebSocket
lines log the path with its query string, and a client may put a token there however the
API asks it not to), a query value that names or looks like a credential is replaced by
`[redacted]` before the line is written."""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# Query parameter names that carry credentials (compared without case, `-` or `_`).
_SECRET_NAMES = re.compile(
    r"token|key|secret|passw|auth|session|jwt|signature|^hash$|initdata|tgwebappdata|^code$"
)
# A value that looks like a credential whatever its name: a long run of token characters
# (JWTs, API keys, hex and base64 keys); ids, page numbers and dates are shorter.
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-.~+/=%]{24,}")
_QUERY_PAIR = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&#\s\"']+)=(?P<value>[^&#\s\"']*)")


def _redact_pair(match: re.Match[str]) -> str:
    name, value = match["name"], match["value"]
    squeezed = name.lower().replace("-", "").replace("_", "")
    if value and (_SECRET_NAMES.search(squeezed) or _TOKEN_LIKE.fullmatch(value)):
        value = REDACTED
    return f"{match['lead']}{name}={value}"


def redact_query_values(text: str) -> str:
    """`text` with every credential-like `name=value` after a `?`, `&` or `;` redacted."""
    if "=" not in text:
        return text
    return _QUERY_PAIR.sub(_redact_pair, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with its query values redacted (once, for every handler
    after this one). The message it formatted is kept as the record's, redacted or not, so
    the formatter does not format it again (the access line's `%` formatting, on every
    call)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_query_values(record.getMessage()), None
        return True
