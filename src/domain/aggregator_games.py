"""The games an aggregator offers, as Croupier keeps them (docs/aggregators.md, "The catalogue").

A game is launchable only when three things hold at once: the aggregator listed it at its last
refresh (`listed`), the aggregator has it enabled (`provider_enabled`), and the operator turned
it on (`operator_enabled`, off for every game the catalogue first sees). The operator's switch
survives refreshes; the aggregator's facts are replaced by each one. A game gone from the list
keeps its row (and the operator's switch) but is not launchable until it comes back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from domain.errors import DomainError, GameUnavailable, InvalidRequest
from domain.quoting import excerpt
from domain.seamless import validate_external_id, validate_provider

MAX_NAME_LENGTH: Final = 200
MAX_CATEGORY_LENGTH: Final = 100
# What a game URL may be: an https page (http only for a local fake in tests and ./dev).
_URL = re.compile(r"^https?://[^\s]{1,2040}$")
# Hub88's `platform` values (their game/url request); the Mini App runs inside Telegram,
# on a phone or a desktop client.
PLATFORMS: Final = frozenset({"GPL_MOBILE", "GPL_DESKTOP"})


class AggregatorUnavailable(DomainError):
    """The aggregator's operator API did not answer in time, answered an error, or answered
    something that is no answer: nothing was launched (a session token issued for it expires
    unused). Asking again later is the remedy."""

    code = "aggregator_unavailable"


@dataclass(frozen=True, slots=True)
class ListedGame:
    """One game of the aggregator's list, as it said it."""

    game_code: str
    name: str
    category: str = ""
    product: str = ""  # the studio (Hub88's `product`)
    enabled: bool = True  # the aggregator's own switch

    def __post_init__(self) -> None:
        validate_external_id(self.game_code, "game code")
        for value, what, most in (
            (self.name, "game name", MAX_NAME_LENGTH),
            (self.category, "game category", MAX_CATEGORY_LENGTH),
            (self.product, "game product", MAX_CATEGORY_LENGTH),
        ):
            if not isinstance(value, str) or len(value) > most:
                raise InvalidRequest(f"{what} {excerpt(value)} is not text of {most} or fewer")


@dataclass(frozen=True, slots=True)
class AggregatorGame:
    """A game of the catalogue: the aggregator's facts at its last sighting, and the operator's
    switch."""

    aggregator: str
    game_code: str
    name: str
    category: str
    product: str
    provider_enabled: bool
    operator_enabled: bool
    listed: bool  # in the aggregator's list at the last refresh
    last_seen_at: datetime

    def __post_init__(self) -> None:
        validate_provider(self.aggregator)
        validate_external_id(self.game_code, "game code")

    @property
    def launchable(self) -> bool:
        return self.listed and self.provider_enabled and self.operator_enabled

    def require_launchable(self) -> None:
        if not self.launchable:
            raise GameUnavailable(f"game {self.game_code!r} is not available now")


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What a refresh did to one aggregator's catalogue."""

    aggregator: str
    listed: int  # games in the aggregator's list
    added: int  # seen for the first time (off until the operator turns them on)
    delisted: int  # gone from the list since the last refresh


@dataclass(frozen=True, slots=True)
class GameUrlRequest:
    """What Croupier asks the aggregator for a real-money game URL (Hub88's game/url body,
    less the operator id the adapter adds)."""

    user: str  # the player id, as the wallet's `user`
    token: str  # a fresh game session token (domain.game_sessions)
    game_code: str
    currency: str
    lang: str
    platform: str = "GPL_MOBILE"
    lobby_url: str = ""

    def __post_init__(self) -> None:
        validate_external_id(self.game_code, "game code")
        if self.platform not in PLATFORMS:
            raise InvalidRequest(f"platform must be one of {sorted(PLATFORMS)}")


def check_game_url(url: object) -> str:
    """The URL the aggregator answered, if it is one (`AggregatorUnavailable` otherwise: a
    player must never be sent to a `javascript:` link or an empty page)."""
    if not isinstance(url, str) or not _URL.match(url):
        raise AggregatorUnavailable("the aggregator answered no game URL")
    return url


def game_unknown(game_code: str) -> GameUnavailable:
    """The same refusal as a game switched off: a player learns nothing of the catalogue."""
    return GameUnavailable(f"game {excerpt(game_code)} is not available now")
