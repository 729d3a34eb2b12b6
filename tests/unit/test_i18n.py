"""Every language has every text, and every text the bot uses exists."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from entrypoints.bot.i18n import LOCALES, Translator, catalogue, languages, pick_language

BOT = Path(__file__).resolve().parents[2] / "src" / "entrypoints" / "bot"

# The languages the bot and the Mini App speak (docs/languages.md): English, Russian, and
# three more of Telegram's large audiences.
EXPECTED = {"en", "ru", "es", "pt", "tr"}
PLACEHOLDER = re.compile(r"{(\w+)}")


def test_the_five_languages():
    assert set(languages()) == EXPECTED


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_every_toml_file_of_english_exists_in_every_language(language: str):
    english = {p.name for p in (LOCALES / "en").glob("*.toml")}
    theirs = {p.name for p in (LOCALES / language).glob("*.toml")}
    assert english - theirs == set(), f"{language}/ lacks {sorted(english - theirs)}"
    extra = sorted(theirs - english)
    assert extra == [], f"{language}/ has files English lacks: {extra}"


def _like_english(name: str, texts: Mapping[str, str], english: Mapping[str, str]) -> None:
    """The same keys as English, each with the same placeholders."""
    assert set(english) - set(texts) == set(), f"{name} lacks these texts"
    assert set(texts) - set(english) == set(), f"{name} has texts English lacks"
    wrong = {
        key: value
        for key, value in texts.items()
        if set(PLACEHOLDER.findall(value)) != set(PLACEHOLDER.findall(english[key]))
    }
    assert wrong == {}, f"{name}: placeholders differ from English"


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_every_language_has_the_same_keys_and_placeholders(language: str):
    _like_english(language, catalogue(language), catalogue("en"))


def test_every_key_used_in_the_code_exists():
    used = set()
    for path in BOT.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_]+)["']""", path.read_text()))
    assert used, "no translated texts found"
    assert used <= set(catalogue("en")), used - set(catalogue("en"))


def test_language_fallbacks():
    assert pick_language("ru-RU") == "ru"
    assert pick_language("de") == "en"
    assert pick_language(None) == "en"
    assert Translator("ru")("menu.back") == "⬅️ Назад"


@pytest.mark.parametrize(
    ("telegram", "language"),
    [
        ("es", "es"),
        ("es-419", "es"),
        ("pt-br", "pt"),
        ("pt-BR", "pt"),
        ("tr", "tr"),
        ("TR-tr", "tr"),
    ],
)
def test_a_telegram_language_code_picks_its_language(telegram: str, language: str):
    assert pick_language(telegram) == language
    assert Translator(telegram).language == language


# -- the Mini App's words: static/miniapp/locales/<language>.json, one table per language ------

MINIAPP = (
    Path(__file__).resolve().parents[2] / "src" / "entrypoints" / "http" / "static" / "miniapp"
)
# t("key"), and a key chosen between two: t(cond ? "a.b" : "c.d")
MINIAPP_USED = re.compile(
    r"""\bt\(\s*(?:[^()"'`]*\?\s*)?["']([a-z_]+\.[\w.]+)["'](?:\s*:\s*["']([a-z_]+\.[\w.]+)["'])?"""
)
MINIAPP_MARKED = re.compile(r"""data-t(?:-placeholder|-aria-label)?="([^"]+)\"""")


def miniapp_table(language: str) -> dict[str, str]:
    return json.loads((MINIAPP / "locales" / f"{language}.json").read_text())


def test_the_miniapp_speaks_the_bots_languages():
    said = re.search(r"LANGUAGES = \[([^\]]*)\]", (MINIAPP / "i18n.js").read_text())
    assert said, "i18n.js names its languages"
    assert set(re.findall(r'"(\w+)"', said.group(1))) == set(languages())
    tables = {p.stem for p in (MINIAPP / "locales").glob("*.json")}
    assert tables == set(languages())


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_every_miniapp_text_in_every_language_with_the_same_placeholders(language: str):
    texts = miniapp_table(language)
    _like_english(f"{language}.json", texts, miniapp_table("en"))
    assert "XTR" not in " ".join(texts.values())


def test_every_miniapp_key_the_page_uses_exists():
    used: set[str] = set()
    for path in MINIAPP.glob("*.js"):
        for pair in MINIAPP_USED.findall(path.read_text()):
            used |= {key for key in pair if key}
    used |= set(MINIAPP_MARKED.findall((MINIAPP / "index.html").read_text()))
    assert len(used) > 100, "the page's texts were not found"
    assert used - set(miniapp_table("en")) == set()
