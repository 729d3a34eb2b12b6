"""Refusals in the Mini App in the player's language (issue 23): every problem the player's
routes answer names a `reason` and the numbers its text needs, and every language's table
(static/miniapp/locales/<language>.json) has that text with exactly those placeholders.

A new `DomainError` class fails here until `entrypoints/http/player_problems.py` decides it
(a reason, or `NOT_ON_THE_PAGE`); its representative comes from test_bot_words.py, which
already asks one of every class."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from litestar.exceptions import NotFoundException, ValidationException

from domain.errors import DomainError, LimitExceeded
from domain.money import XTR, Money
from entrypoints.http.player_problems import (
    NOT_ON_THE_PAGE,
    REASONS,
    TEXTS,
    player_reason,
    stars_for_players,
)
from entrypoints.http.problems import (
    domain_error_handler,
    http_error_handler,
    unexpected_error_handler,
)
from tests.unit.test_bot_words import REPRESENTATIVES, _all_domain_errors
from tests.unit.test_i18n import EXPECTED, miniapp_table

PLACEHOLDER = re.compile(r"{(\w+)}")
ON_THE_PAGE = SimpleNamespace(url=SimpleNamespace(path="/api/v1/app/play"), method="POST")
STAFF = SimpleNamespace(url=SimpleNamespace(path="/api/v1/bets"), method="POST")


def _body(error: DomainError, request: Any = ON_THE_PAGE) -> dict[str, Any]:
    return json.loads(json.dumps(domain_error_handler(request, error).content))


def _representatives() -> list[DomainError]:
    return [
        error
        for cls, cases in REPRESENTATIVES.items()
        if cls not in NOT_ON_THE_PAGE
        for error, _numbers in cases
    ]


def test_every_domain_error_is_decided():
    undecided = {
        cls for cls in _all_domain_errors() if cls not in REASONS and cls not in NOT_ON_THE_PAGE
    }
    assert not undecided, f"decide these in entrypoints/http/player_problems.py: {undecided}"


@pytest.mark.parametrize("error", _representatives(), ids=lambda error: f"{type(error).__name__}")
def test_every_refusal_on_the_page_names_a_reason_and_its_numbers(error: DomainError):
    body = _body(error)
    reason = body.get("reason")
    assert reason in TEXTS, f"{type(error).__name__} answers reason {reason!r}, not in TEXTS"
    for field in TEXTS[reason]:
        assert body.get(field) is not None, f"{reason} needs {field}: {body}"
    assert not re.search(r"\d XTR\b", body["detail"]), body["detail"]


def test_the_reasons_are_what_a_player_meets():
    # The player's own numbers travel as numbers, in minor units with their currency.
    bankroll = _body(LimitExceeded("the house cannot cover a win of 19 XTR right now",
                                   rule="bankroll", limit=Money(19, XTR)))  # fmt: skip
    assert bankroll["reason"] == "limit_exceeded.bankroll"
    assert bankroll["limit"] == {"amount": 19, "currency": "XTR"}
    assert bankroll["detail"] == "the house cannot cover a win of 19 ⭐ right now"
    assert bankroll["code"] == "limit_exceeded"  # the stable code staff and clients read


def test_staff_and_game_servers_read_the_problem_as_before():
    staff = _body(LimitExceeded("a win of 19 XTR", rule="bankroll"), STAFF)
    assert "reason" not in staff
    assert staff["detail"] == "a win of 19 XTR"


def test_the_doors_own_refusals_name_a_reason_too():
    for error in (NotFoundException("no such route"), ValidationException("bad body")):
        body = http_error_handler(ON_THE_PAGE, error).content  # type: ignore[arg-type]
        assert body["reason"] == "request_refused"
        assert body["reason"] in TEXTS
    crashed = unexpected_error_handler(ON_THE_PAGE, RuntimeError("boom"))  # type: ignore[arg-type]
    assert crashed.content["reason"] == "internal_error"
    assert "internal_error" in TEXTS
    assert "reason" not in http_error_handler(STAFF, NotFoundException()).content  # type: ignore[arg-type]


def test_a_class_the_page_never_meets_names_no_reason():
    for cls in NOT_ON_THE_PAGE:
        for error, _ in REPRESENTATIVES[cls]:
            assert player_reason(error) == {}, cls


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_every_reason_has_a_text_in_every_language_with_its_placeholders(language: str):
    table = miniapp_table(language)
    for reason, fields in TEXTS.items():
        key = f"problem.{reason}"
        assert key in table, f"{language}.json has no {key}"
        assert set(PLACEHOLDER.findall(table[key])) == fields, f"{key} [{language}]"
        assert "XTR" not in table[key]
    unknown = {k for k in table if k.startswith("problem.")} - {f"problem.{r}" for r in TEXTS}
    assert not unknown, f"{language}.json words reasons the server never sends: {unknown}"


def test_stars_are_written_as_players_read_them():
    assert stars_for_players("a win of 19 XTR; -5 XTR back") == "a win of 19 ⭐; -5 ⭐ back"
    assert stars_for_players("12.50 USDT and XTRA 7") == "12.50 USDT and XTRA 7"
