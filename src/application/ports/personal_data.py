"""Personal data sealed at rest (usernames, withdrawal destinations, TOTP secrets), and the
re-sealing that finishes a rotation of its keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PersonalDataRotation(Protocol):
    """The sealed columns, each named `table.column`, against the key ring's sealing key."""

    async def stale_counts(self) -> Mapping[str, int]:
        """How many values each column still holds under a key other than the sealing one."""
        ...

    async def rotate(self) -> Mapping[str, int]:
        """Re-seal every such value under the sealing key (in batches, beside live traffic,
        safe to run again); how many were re-sealed per column."""
        ...
