"""The tour's reader (tour_check.py) catches what a player should not read, and lets through
what a player may: checked on lines written for it, so that a strict tour fails for the right
reasons."""

from __future__ import annotations

from tests.e2e.journey import Line
from tests.e2e.tour_check import broken_lines, tour_problems


def _bot(*texts: str) -> list[Line]:
    return [Line("player", "/start"), *(Line("bot", t) for t in texts)]


def test_code_ids_xtr_and_silence_are_found_in_any_language():
    found = tour_problems(
        _bot("Stake on tg_dice", "Balance of account 385", "100 XTR", "(no answer)"), "en"
    )
    assert found == [
        "raw code 'tg_dice': Stake on tg_dice",
        "internal id 'account 385': Balance of account 385",
        "'XTR' instead of ⭐: 100 XTR",
        "no answer to: /start",
    ]


def test_the_players_own_words_are_not_the_bots():
    assert tour_problems([Line("player", "/withdraw 100 my_wallet XTR")], "en") == []


def test_english_in_the_russian_tour_is_found_but_names_numbers_and_commands_pass():
    fine = _bot(
        "Добро пожаловать в Croupier!",
        "  [🎲] [10 ⭐] [✅ Мне 18+]",
        "Проверка: /fairness, хеш 60a16810422f901c…",
        "Пополнение через Telegram Stars",
        "(checkout accepted)",
    )
    assert tour_problems(fine, "ru") == []
    found = tour_problems(_bot("  [Назад] [Heads]", "Ставка на Even"), "ru")
    assert found == [
        "Latin-only line in the Russian tour: [Назад] [Heads]",
        "English Even in the Russian tour: Ставка на Even",
    ]


def test_a_trace_is_broken_whatever_the_language():
    assert broken_lines(_bot("Traceback (most recent call last):", "Всё хорошо")) == [
        "Traceback (most recent call last):"
    ]
