"""Every language has every text, and every text the bot uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from entrypoints.bot.i18n import Translator, catalogue, languages, pick_language

BOT = Path(__file__).resolve().parents[2] / "src" / "entrypoints" / "bot"


def test_english_and_russian_at_least():
    assert {"en", "ru"} <= set(languages())


def test_every_language_has_the_same_keys_and_placeholders():
    english = catalogue("en")
    for language in languages():
        texts = catalogue(language)
        assert set(texts) == set(english), language
        for key, value in texts.items():
            assert set(re.findall(r"{(\w+)}", value)) == set(re.findall(r"{(\w+)}", english[key]))


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
