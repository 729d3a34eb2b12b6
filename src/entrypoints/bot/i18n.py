"""Translations: one directory of TOML files per language under locales/ (a file per area of
the bot, so work on one screen never touches another's texts), looked up by message id.

Texts never live in handlers. A missing key in a language falls back to English; a key
missing from English is a bug the test suite catches. Money passed to a text is shown the
player's way (`money_text`): Stars as "127 ⭐", never "127 XTR"."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from domain.money import XTR, Money

LOCALES = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(language: str) -> Mapping[str, str]:
    texts: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.toml")):
        with path.open("rb") as handle:
            found = _flatten(tomllib.load(handle))
        repeated = set(found) & set(texts)
        if repeated:  # two files of one language must not fight over a text
            raise ValueError(f"{path} repeats {sorted(repeated)}")
        texts.update(found)
    return texts


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
    return tuple(sorted(p.name for p in LOCALES.iterdir() if (p / "language.toml").is_file()))


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
        if not values:
            return template
        shown = {k: money_text(v) if isinstance(v, Money) else v for k, v in values.items()}
        return template.format(**shown)

    def money(self, amount: Money) -> str:
        return money_text(amount)


def money_text(amount: Money) -> str:
    """Money as a player reads it: Stars with the ⭐ sign ("127 ⭐"), other currencies with
    their decimals and code ("12.50 USDT")."""
    if amount.currency.code == XTR.code:
        return f"{amount.amount} ⭐"
    # Exact, without the trailing zeros of the currency's minor units: "7 TON", "12.5 USDT".
    shown = format(amount.to_decimal().normalize(), "f")
    return f"{shown} {amount.currency.code}"
