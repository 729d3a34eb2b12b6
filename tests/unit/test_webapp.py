"""Mini App initData validation, as Telegram specifies it."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from domain.errors import Unauthenticated
from domain.webapp import validate_init_data

TOKEN = "123456:ABC-secret-bot-token"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
USER = {"id": 777000, "first_name": "Ann", "username": "ann", "language_code": "ru"}


def _signed(fields: dict[str, str], token: str = TOKEN) -> str:
    # Written out from the facts file, independently of the code under test.
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def _fields(**overrides: str) -> dict[str, str]:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(USER, separators=(",", ":")),
        "auth_date": str(int((NOW - timedelta(minutes=5)).timestamp())),
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v != "<drop>"}


def test_valid_init_data_names_the_user():
    user = validate_init_data(_signed(_fields()), TOKEN, NOW)
    assert (user.telegram_user_id, user.first_name, user.username) == (777000, "Ann", "ann")
    assert user.language_code == "ru"
    assert user.auth_date == NOW - timedelta(minutes=5)


def test_unicode_values_are_checked_url_decoded():
    fields = _fields(user=json.dumps({**USER, "first_name": "Аня & Co=1"}, ensure_ascii=False))
    assert validate_init_data(_signed(fields), TOKEN, NOW).first_name == "Аня & Co=1"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: s.replace("777000", "777001"),  # another user
        lambda s: s.replace("query_id=AAH", "query_id=AAX"),
        lambda s: s + "&extra=1",  # a field added after signing
        lambda s: s.replace("hash=", "hash=0"),
    ],
)
def test_tampered_init_data_is_refused(tamper):
    with pytest.raises(Unauthenticated, match=r"signature|repeats"):
        validate_init_data(tamper(_signed(_fields())), TOKEN, NOW)


def test_another_bots_token_does_not_validate():
    with pytest.raises(Unauthenticated, match="signature"):
        validate_init_data(_signed(_fields(), token="999:OTHER"), TOKEN, NOW)


def test_stale_and_future_init_data_are_refused():
    old = str(int((NOW - timedelta(hours=1, seconds=1)).timestamp()))
    with pytest.raises(Unauthenticated, match="expired"):
        validate_init_data(_signed(_fields(auth_date=old)), TOKEN, NOW)
    edge = str(int((NOW - timedelta(hours=1)).timestamp()))
    assert validate_init_data(_signed(_fields(auth_date=edge)), TOKEN, NOW)
    ahead = str(int((NOW + timedelta(minutes=5)).timestamp()))
    with pytest.raises(Unauthenticated, match="future"):
        validate_init_data(_signed(_fields(auth_date=ahead)), TOKEN, NOW)
    short = timedelta(minutes=1)
    with pytest.raises(Unauthenticated, match="expired"):
        validate_init_data(_signed(_fields()), TOKEN, NOW, max_age=short)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (_fields(auth_date="<drop>"), "auth_date"),
        (_fields(auth_date="yesterday"), "auth_date"),
        (_fields(user="<drop>"), "no user"),
        (_fields(user="{not json"), "no user"),
        (_fields(user=json.dumps({"first_name": "x"})), "no user"),
        (_fields(user=json.dumps({"id": "777"})), "no user"),
        (_fields(user=json.dumps({"id": True})), "no user"),
        (_fields(user=json.dumps({"id": -5})), "no user"),
        (_fields(user=json.dumps({**USER, "is_bot": True})), "bots"),
    ],
)
def test_missing_or_malformed_fields_are_refused(fields, message):
    with pytest.raises(Unauthenticated, match=message):
        validate_init_data(_signed(fields), TOKEN, NOW)


@pytest.mark.parametrize(
    "raw",
    ["user=1&auth_date=2", "a" * 5000, "=&&=", "hash=abc&hash=abc", "%zz=%%"],
)
def test_garbage_is_refused_without_echoing_it(raw):
    with pytest.raises(Unauthenticated) as refused:
        validate_init_data(raw, TOKEN, NOW)
    assert raw[:8] not in refused.value.message


def test_empty_init_data_is_refused():
    with pytest.raises(Unauthenticated, match="missing"):
        validate_init_data("", TOKEN, NOW)


def test_a_repeated_field_is_refused_even_when_signed():
    signed = _signed(_fields())
    with pytest.raises(Unauthenticated):
        validate_init_data(signed + "&user=" + json.dumps({"id": 1}), TOKEN, NOW)
