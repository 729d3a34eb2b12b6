"""The secret keys: their declarations and their text forms. A key's text form is
configuration's business, so it is parsed here, once; the ciphers (adapters.seed_cipher,
adapters.personal_data) take bytes, and the composition root hands them these parsers' output
(for the generated development keys as well)."""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic.dataclasses import dataclass

from entrypoints.settings.declaring import CONFIG, PREFIX, setting

KEY_BYTES = 32  # AES-256 and HMAC-SHA256 keys; the ciphers check the length again
MAX_KEY_ID = 255  # a sealed value names its key in one byte


# A random 32-byte key has about 30 distinct bytes (fewer than 16: odds below 10^-12); an
# all-zero or repeated-digit placeholder has one or two.
MIN_DISTINCT_KEY_BYTES = 16
# A random signing key's text (token_urlsafe, hex, base64) has 16 distinct characters or more;
# "change-me-change-me-…" has 8.
MIN_DISTINCT_SECRET_CHARACTERS = 12
# Words that mark a value written to be replaced (compared without case, dashes or spaces).
PLACEHOLDER_MARKS = (
    "changeme",
    "replaceme",
    "placeholder",
    "example",
    "secret",
    "password",
    "default",
    "dummy",
    "notsecure",
    "insecure",
    "xxxxxxxx",
    "01234567",
    "12345678",
    "abcdefgh",
)
GENERATE_HINT = "write fresh keys with `croupier secrets generate`"


class KeyFormatError(ValueError):
    """A key's text is not a key of the expected form (the message never quotes it)."""


def parse_key(text: str, what: str = "the key") -> bytes:
    """A 32-byte key written as 64 hex characters or as base64."""
    text = text.strip()
    try:
        key = (
            bytes.fromhex(text)
            if len(text) == 2 * KEY_BYTES
            else base64.b64decode(text, validate=True)
        )
    except (ValueError, binascii.Error):
        raise KeyFormatError(f"{what} is not hex or base64") from None
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"{what} must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def parse_key_ring(text: str) -> tuple[int, dict[int, bytes]]:
    """``"2:<key>,1:<key>"``: key ids 1-255 with 32-byte keys (hex or base64); the first one
    seals, all of them open. Returns the sealing id and the ring."""
    ring: dict[int, bytes] = {}
    current: int | None = None
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key_id_text, sep, key_text = part.partition(":")
        if not sep or not key_id_text.strip().isdigit():
            raise KeyFormatError("each key is written <id>:<key>, e.g. 1:<64 hex digits>")
        key_id = int(key_id_text)
        if not 1 <= key_id <= MAX_KEY_ID:
            raise KeyFormatError(f"key ids are 1 to {MAX_KEY_ID}, got {key_id}")
        if key_id in ring:
            raise KeyFormatError(f"key id {key_id} appears twice")
        ring[key_id] = parse_key(key_text, f"key {key_id}")
        current = key_id if current is None else current
    if current is None:
        raise KeyFormatError("the key ring is empty")
    return current, ring


def parse_index_key(text: str) -> bytes:
    return parse_key(text, "the index key")


def looks_like_a_placeholder(text: str) -> bool:
    """Text written to be replaced: a marker word in it (`change-me`, `example`, …)."""
    squeezed = "".join(c for c in text.lower() if c.isalnum())
    return any(mark in squeezed for mark in PLACEHOLDER_MARKS)


def weak_key(key: bytes) -> bool:
    """Too few distinct bytes to have been drawn at random (all zeros, one digit repeated)."""
    return len(set(key)) < MIN_DISTINCT_KEY_BYTES


def weak_secret(text: str) -> bool:
    return looks_like_a_placeholder(text) or len(set(text.strip())) < MIN_DISTINCT_SECRET_CHARACTERS


def _seed_key(value: Any) -> Any:
    return parse_key(value, "the seed key") if isinstance(value, str) else value


def _checked(parse: Callable[[str], object]) -> AfterValidator:
    """Kept as text (the composition root parses it, with the generated development keys),
    but parsed once at load so a bad key fails at start."""

    def check(value: str | None) -> str | None:
        if value is not None:
            parse(value)
        return value

    return AfterValidator(check)


def _key_length(value: bytes | None) -> bytes | None:
    if value is not None and len(value) != KEY_BYTES:
        raise KeyFormatError(f"the seed key must be {KEY_BYTES} bytes, got {len(value)}")
    return value


@dataclass(frozen=True, config=CONFIG)
class Keys:
    """Secret keys"""

    secret_key: str | None = setting(
        doc="Signing key for tokens. Required in production.",
        shown="(none)",
        secret=True,
        min_length=32,
    )
    seed_key: Annotated[bytes | None, BeforeValidator(_seed_key), AfterValidator(_key_length)] = (
        setting(
            doc="32-byte key (64 hex characters or base64) that encrypts provably fair server "
            "seeds at rest; keep it outside the database. Required in production; in development "
            "one is generated into `CROUPIER_DATA_DIR/seed.key`.",
            shown="(development: generated)",
            secret=True,
        )
    )
    pii_keys: Annotated[str | None, _checked(parse_key_ring)] = setting(
        doc="Key ring sealing players' personal data at rest (usernames, withdrawal "
        "destinations, TOTP secrets): `<id>:<key>` pairs separated by commas, ids 1-255, keys "
        "32 bytes in hex or base64; the first seals, all open. Rotate by putting a new key "
        "first, then `croupier pii rotate`. Required in production; in development generated "
        "into `CROUPIER_DATA_DIR/personal.keys`.",
        shown="(development: generated)",
        secret=True,
    )
    pii_index_key: Annotated[str | None, _checked(parse_index_key)] = setting(
        doc="32-byte key (hex or base64) of the blind indexes: staff's username search and the "
        "payment-identity digests. Keep it stable (changing it unlinks identities recorded "
        "before). Required in production; in development generated into "
        "`CROUPIER_DATA_DIR/personal-index.key`.",
        shown="(development: generated)",
        secret=True,
    )

    def key_problems(self) -> Iterator[str]:
        """Production's refusals of keys anyone could guess: the placeholders of a compose
        file or a README, keys with too few distinct bytes, one key serving two purposes.
        Each names its variable and never its value."""
        weak = f"is a placeholder or a low-entropy key; {GENERATE_HINT}"
        keys: dict[str, list[bytes]] = {}
        if self.secret_key is not None:
            if weak_secret(self.secret_key):
                yield f"{PREFIX}SECRET_KEY {weak}"
            keys["SECRET_KEY"] = [self.secret_key.strip().encode()]
            with contextlib.suppress(KeyFormatError):  # written as a key: compared as one too
                keys["SECRET_KEY"].append(parse_key(self.secret_key))
        if self.seed_key is not None:
            keys["SEED_KEY"] = [self.seed_key]
        if self.pii_keys is not None:
            keys["PII_KEYS"] = list(parse_key_ring(self.pii_keys)[1].values())
        if self.pii_index_key is not None:
            keys["PII_INDEX_KEY"] = [parse_index_key(self.pii_index_key)]
        for name in ("SEED_KEY", "PII_KEYS", "PII_INDEX_KEY"):
            if any(weak_key(key) for key in keys.get(name, ())):
                yield f"{PREFIX}{name} {weak}"
        seen: dict[bytes, str] = {}
        for name, ring in keys.items():
            for key in ring:
                if key in seen and seen[key] != name:
                    yield f"{PREFIX}{name} repeats the key of {PREFIX}{seen[key]}; {GENERATE_HINT}"
                seen.setdefault(key, name)
