"""Game aggregators calling the wallet over HTTP, Hub88-style (docs/aggregators.md)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated

from pydantic.dataclasses import dataclass

from domain.game_sessions import DEFAULT_SESSION_TTL, MAX_SESSION_TTL
from entrypoints.settings.declaring import CONFIG, PREFIX, setting
from entrypoints.settings.keys import KeyFormatError, parse_key
from entrypoints.settings.values import url

_NAME = r"[a-z0-9][a-z0-9._-]{1,62}"
_URL = r"https?://[^\s,=]+"


def _named(listed: str | None) -> dict[str, str]:
    """`name=value,name=value` (the aggregator settings' shape, checked by their patterns)."""
    pairs = (item.split("=", 1) for item in (listed or "").split(",") if item)
    return {name.strip(): value.strip() for name, value in pairs}


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

    aggregator_api_urls: str | None = setting(
        doc="Each aggregator's operator API base URL, `name=https://...`, comma-separated "
        "(Hub88: the URL they give you, without `/operator/...`); Croupier asks it for the "
        "games list and for game URLs. Unset: no catalogue and no game launch.",
        shown="(none)",
        pattern=rf"^{_NAME}={_URL}(,{_NAME}={_URL})*$",
    )
    aggregator_operator_ids: str | None = setting(
        doc="Croupier's operator id at each aggregator, `name=id`, comma-separated (Hub88's "
        "`operator_id`); every aggregator in CROUPIER_AGGREGATOR_API_URLS needs one.",
        shown="(none)",
        pattern=rf"^{_NAME}=[0-9]{{1,18}}(,{_NAME}=[0-9]{{1,18}})*$",
    )
    aggregator_api_timeout_s: float = setting(
        5.0,
        doc="How long a call to an aggregator's operator API may take (seconds); then the "
        "launch is refused as the aggregator unavailable.",
        gt=0,
        le=60,
    )
    aggregator_games_refresh_s: int = setting(
        3600,
        doc="How often `croupier run` (its `http` part) refreshes every aggregator's games "
        "list (seconds, 0: never; `croupier aggregator games refresh NAME` does it by hand).",
        ge=0,
        le=86_400,
    )
    aggregator_games_cache_s: int = setting(
        30,
        doc="How long each process keeps the list of launchable games it shows players "
        "(seconds); a launch always checks the catalogue in PostgreSQL itself.",
        ge=0,
        le=3_600,
    )
    aggregator_lobby_url: Annotated[str | None, url("https", "http")] = setting(
        doc="Where a game's home button leads (Hub88's `lobby_url`): the Mini App's URL, "
        "e.g. `https://t.me/<bot>/<app>`. Unset: none is sent.",
        shown="(none)",
    )

    def aggregator_operator_apis(self) -> Mapping[str, tuple[str, int]]:
        """Each aggregator's operator API: (base URL, operator id)."""
        ids = _named(self.aggregator_operator_ids)
        return {
            name: (base.rstrip("/"), int(ids[name]))
            for name, base in _named(self.aggregator_api_urls).items()
            if name in ids
        }

    def aggregator_key_files(self) -> Mapping[str, Path]:
        return {name: Path(path) for name, path in _named(self.aggregator_keys).items()}

    def aggregators_problems(self) -> Iterator[str]:
        if self.game_session_key is not None:
            try:
                parse_key(self.game_session_key, "the game session key")
            except KeyFormatError as error:
                yield f"{PREFIX}GAME_SESSION_KEY: {error}"
        if self.aggregator_api_urls is not None:
            ids = _named(self.aggregator_operator_ids)
            for name in _named(self.aggregator_api_urls):
                if name not in ids:
                    yield f"{PREFIX}AGGREGATOR_OPERATOR_IDS needs an id for {name!r}"
            if self.aggregator_signing_key is None:
                yield (
                    f"{PREFIX}AGGREGATOR_SIGNING_KEY is required with {PREFIX}AGGREGATOR_API_URLS"
                    " (it signs the requests)"
                )
            if self.game_session_key is None:
                yield f"{PREFIX}GAME_SESSION_KEY is required with {PREFIX}AGGREGATOR_API_URLS"
        if self.aggregator_keys is None:
            return
        for name in (
            "aggregator_signing_key",
            "game_session_key",
        ):
            if getattr(self, name) is None:
                yield f"{PREFIX}{name.upper()} is required with {PREFIX}AGGREGATOR_KEYS"
