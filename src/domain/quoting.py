"""How a refusal quotes what the client sent: a short, escaped excerpt, never the whole input.

An error message travels back in a gRPC trailer, an HTTP problem document or a bot message; a
message that repeats a megabyte of input is itself an attack (default gRPC clients reject
trailers over 8 KB) and a log-injection vector, so every domain error that quotes input quotes
it through `excerpt`."""

from __future__ import annotations

from typing import Final

# Long enough to recognise a typo, short enough that a refusal stays a few hundred bytes even
# when every character is escaped (repr turns one character into at most ten).
EXCERPT_CHARS: Final = 32
# The doors' safety net: no refusal's text is longer than this, whatever built it.
MAX_MESSAGE_CHARS: Final = 500


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """`value` as an escaped, quoted excerpt of at most `limit` characters, marked when cut."""
    text = value if isinstance(value, str) else _bounded_str(value, limit)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text)} characters)"


def _bounded_str(value: object, limit: int) -> str:
    # A huge int's str() is itself expensive (and refused past 4,300 digits); say how big it is.
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<a {value.bit_length()}-bit integer>"
    return str(value)


def bounded_message(message: str) -> str:
    """A refusal's text cut to MAX_MESSAGE_CHARS: what every door sends, so a message that
    quotes input without `excerpt` still cannot grow with it."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"
