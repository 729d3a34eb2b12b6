"""Game aggregators calling the wallet over HTTP, Hub88-style (docs/aggregators.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from pydantic.dataclasses import dataclass

from domain.game_sessions import DEFAULT_SESSION_TTL, MAX_SESSION_TTL
from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.keys import KeyFormatError, parse_key

_NAME = r"[a-z0-9][a-z0-9._-]{1,62}"


@dataclass(frozen=True, config=CONFIG)
class Aggregators:
    """Game aggregators (Hub88-style wallet)"""

    aggregator_keys: str | None = setting(
        doc="Each aggregator's RSA public key, `name=/path/to/public.pem`, comma-separated; the "
        "name is the aggregator's in `/aggregators/<name>/...` and its service key's "
        "(`croupier apikey create <name> --service seamless --cap XTR=...`). Unset: no aggregator.",
        shown="(none)",
        pattern=rf"^{_NAME}=[^,=]+(,{_NAME}=[^,=]+)*$",
    )
    aggregator_signing_key: str | None = setting(
        doc="The PEM file of Croupier's RSA private key (2048 bits or more), which signs every "
        "answer to an aggregator (`X-Hub88-Signature`); give its public key to the aggregators.",
        shown="(none)",
    )
    game_session_key: str | None = setting(
        doc="The key (64 hex characters or base64 of 32 bytes) that signs game session tokens; "
        "changing it ends every open game session.",
        shown="(none: no game sessions)",
        secret=True,
    )
    game_session_ttl_s: int = setting(
        int(DEFAULT_SESSION_TTL.total_seconds()),
        doc="How long a game session token lets an aggregator read a player's balance and take "
        "bets (seconds); wins and rollbacks are taken after it too.",
        ge=60,
        le=int(MAX_SESSION_TTL.total_seconds()),
    )

    aggregator_answer_retention_days: int = setting(
        30,
        doc="How many days `croupier aggregator forget-answers` keeps the answers given to "
        "aggregators by `request_uuid` (a repeat within them gets the very same answer; after "
        "them it is answered anew, and still moves no money twice).",
        ge=1,
        le=36_500,
    )
    aggregator_forget_interval_s: int = setting(
        3_600,
        doc="How often `croupier run` (beside its `http` part) forgets the answers kept longer "
        "than the retention, as `croupier aggregator forget-answers` does (seconds, 0: never).",
        ge=0,
        le=86_400,
    )

    def aggregator_key_files(self) -> Mapping[str, Path]:
        if not self.aggregator_keys:
            return {}
        pairs = (item.split("=", 1) for item in self.aggregator_keys.split(","))
        return {name.strip(): Path(path.strip()) for name, path in pairs}

    def aggregators_problems(self) -> Iterator[str]:
        if self.game_session_key is not None:
            try:
                parse_key(self.game_session_key, "the game session key")
            except KeyFormatError as error:
                yield f"{PREFIX}GAME_SESSION_KEY: {error}"
        if self.aggregator_keys is None:
            return
        for name in (
            "aggregator_signing_key",
            "game_session_key",
        ):
            if getattr(self, name) is None:
                yield f"{PREFIX}{name.upper()} is required with {PREFIX}AGGREGATOR_KEYS"
