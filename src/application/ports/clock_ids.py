"""The time and fresh identifiers: what every use case may ask for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """The current time, timezone-aware (UTC)."""

    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    """Fresh, globally unique identifiers for new records."""

    def new_id(self) -> uuid.UUID: ...
