"""Rotating the keys personal data is sealed with (`croupier pii`): the operator puts a new
key first in the ring and restarts, then re-seals what the old keys sealed, and checks that
nothing is left under them before the old key leaves the ring."""

from __future__ import annotations

from collections.abc import Mapping

from application.ports import PersonalDataRotation


class CountStaleSeals:
    """Per sealed column, the values still under an older key: all zero once a rotation is
    finished."""

    def __init__(self, rotation: PersonalDataRotation) -> None:
        self._rotation = rotation

    async def __call__(self) -> Mapping[str, int]:
        return await self._rotation.stale_counts()


class ResealPersonalData:
    """Re-seal every value under an older key with the sealing key; how many per column."""

    def __init__(self, rotation: PersonalDataRotation) -> None:
        self._rotation = rotation

    async def __call__(self) -> Mapping[str, int]:
        return await self._rotation.rotate()
