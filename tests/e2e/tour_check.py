"""What a player must never read in the bot's tour: code (snake_case ids such as `tg_dice`,
`bet_stake`), an internal id ("account 385"), the currency code "XTR" where Stars are ⭐, a
stack trace; and, in the Russian tour, a line in Latin letters only (the allow-list: button
emoji, numbers, /commands, hashes and seeds, "Croupier", the player's own words echoed) or an
English word in a Russian line (names such as Telegram and Stars aside).

Only the bot's lines are read: what the player typed is theirs."""

from __future__ import annotations

import re

from tests.e2e.journey import Line

# A stack trace or an internal error's text is never acceptable, whatever STRICT says.
BROKEN = re.compile(r"Traceback|Exception|INTERNAL|\bNone\b|\{[a-z_]+\}|object at 0x")

_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_INTERNAL_ID = re.compile(r"\b(?:account|player|wallet|счёт|счет|игрок|кошел[её]к)\s*#?\d+", re.I)
_XTR = re.compile(r"\bXTR\b")
# What a Russian line may hold in Latin letters: /commands, hex hashes and seeds, multipliers
# (2x), the bot's name, the player's wallet address echoed back, transcript stage directions.
_RUSSIAN_ALLOWED = re.compile(
    r"/[a-z_]+(?:\s+\S+)*|\b[0-9a-f]{8,}\b|\b\d+(?:[.,]\d+)?\s*[x×]\b|Croupier|UQBx\S*"
    r"|^\((?:alert|notice|invoice|checkout accepted|checkout refused|a message is deleted"
    r"|the message above changes to|the buttons above change|no answer)\)$"
    r"|Telegram's dice shows \d+|\[Pay ⭐ \d+\]"
)
_LATIN = re.compile(r"[A-Za-z]")
_ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
# Names a Russian text keeps as they are (XTR has a rule of its own).
_NAMES = frozenset({"Croupier", "Telegram", "Stars", "UTC", "TON", "USDT", "XTR"})
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def broken_lines(transcript: list[Line]) -> list[str]:
    return [line.text for line in transcript if line.who == "bot" and BROKEN.search(line.text)]


def tour_problems(transcript: list[Line], language: str) -> list[str]:
    """Every line of the bot a player should not read, with what is wrong with it."""
    problems = []
    asked = "?"
    for line in transcript:
        if line.who == "player":
            asked = line.text
            continue
        text = line.text.strip()
        for code in _SNAKE.findall(text):
            problems.append(f"raw code {code!r}: {text}")
        if found := _INTERNAL_ID.search(text):
            problems.append(f"internal id {found.group(0)!r}: {text}")
        if _XTR.search(text):
            problems.append(f"'XTR' instead of ⭐: {text}")
        if text == "(no answer)":
            problems.append(f"no answer to: {asked}")
        if language == "ru" and _latin_only(text):
            problems.append(f"Latin-only line in the Russian tour: {text}")
        elif language == "ru" and (words := _english_words(text)):
            problems.append(f"English {', '.join(words)} in the Russian tour: {text}")
    return list(dict.fromkeys(problems))  # a screen shown twice is one problem


def _english_words(text: str) -> list[str]:
    rest = _RUSSIAN_ALLOWED.sub("", text)
    return [w for w in _ENGLISH_WORD.findall(rest) if w not in _NAMES]


def _latin_only(text: str) -> bool:
    # A keyboard row: each button on its own (a row of Russian buttons and one in English
    # still has a button in English).
    if text.startswith("[") and not text.startswith("[Pay"):
        return any(_latin_only(b) for b in re.findall(r"\[([^\]]*)\]", text))
    rest = _RUSSIAN_ALLOWED.sub("", text)
    return not _CYRILLIC.search(rest) and bool(_LATIN.search(rest))
