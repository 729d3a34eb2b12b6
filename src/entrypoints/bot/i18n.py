"""Translations: one TOML catalogue per language under locales/, looked up by message id.

Texts never live in handlers. A missing key in a language falls back to English; a key
missing from English is a bug the test suite catches."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(language: str) -> Mapping[str, str]:
    path = LOCALES / f"{language}.toml"
    with path.open("rb") as handle:
        return _flatten(tomllib.load(handle))


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def languages() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in LOCALES.glob("*.toml")))


def pick_language(code: str | None) -> str:
    """The supported language closest to a Telegram language code ("ru-RU" -> "ru")."""
    base = (code or "").split("-")[0].lower()
    return base if base in languages() else DEFAULT_LANGUAGE


class Translator:
    def __init__(self, language: str) -> None:
        self.language = pick_language(language)
        self._texts = catalogue(self.language)
        self._fallback = catalogue(DEFAULT_LANGUAGE)

    def __call__(self, key: str, **values: Any) -> str:
        template = self._texts.get(key) or self._fallback[key]
        return template.format(**values) if values else template
