from pathlib import Path

import pytest

from entrypoints.settings import DOCUMENTED, PREFIX, Environment, SettingsError, load_settings

CONFIGURATION = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_defaults_need_nothing():
    settings = load_settings({})
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.uses_embedded_postgres
    assert settings.uses_embedded_redis
    assert settings.http_port == 8080
    assert settings.grpc_port == 50051


def test_values_are_read_with_the_prefix():
    settings = load_settings(
        {
            "CROUPIER_DATABASE_URL": "postgresql://u:p@db:5432/c",
            "CROUPIER_REDIS_URL": "redis://r:6379/0",
            "CROUPIER_HTTP_PORT": "9000",
            "CROUPIER_HOUSE_SHARDS": "64",
            "CROUPIER_LOG_LEVEL": "debug",
        }
    )
    assert settings.database_url == "postgresql://u:p@db:5432/c"
    assert settings.http_port == 9000
    assert settings.house_shards == 64
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CROUPIER_HTTP_PORT": "eighty"}, "CROUPIER_HTTP_PORT"),
        ({"CROUPIER_GRPC_PORT": "70000"}, "CROUPIER_GRPC_PORT"),
        ({"CROUPIER_DATABASE_URL": "mysql://x"}, "CROUPIER_DATABASE_URL"),
        ({"CROUPIER_REDIS_URL": "localhost:6379"}, "CROUPIER_REDIS_URL"),
        ({"CROUPIER_ENV": "staging"}, "CROUPIER_ENV"),
        ({"CROUPIER_SECRET_KEY": "short"}, "CROUPIER_SECRET_KEY"),
        ({"CROUPIER_HOUSE_SHARDS": "0"}, "CROUPIER_HOUSE_SHARDS"),
        ({"CROUPIER_LOG_LEVEL": "LOUD"}, "CROUPIER_LOG_LEVEL"),
    ],
)
def test_a_bad_value_fails_naming_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_production_requires_urls_and_secret_naming_each():
    with pytest.raises(SettingsError) as caught:
        load_settings({"CROUPIER_ENV": "production"})
    message = str(caught.value)
    for name in (
        "CROUPIER_DATABASE_URL",
        "CROUPIER_REDIS_URL",
        "CROUPIER_SECRET_KEY",
        "CROUPIER_PII_KEYS",
        "CROUPIER_PII_INDEX_KEY",
    ):
        assert name in message


def test_personal_data_keys_are_checked_at_load_and_never_shown():
    ring = "2:" + "ab" * 32 + ",1:" + "cd" * 32
    settings = load_settings({"CROUPIER_PII_KEYS": ring, "CROUPIER_PII_INDEX_KEY": "ef" * 32})
    assert settings.pii_keys == ring
    assert "ab" * 32 not in repr(settings)
    assert "ef" * 32 not in repr(settings)
    with pytest.raises(SettingsError) as caught:
        load_settings({"CROUPIER_PII_KEYS": "1:short", "CROUPIER_PII_INDEX_KEY": "nothex"})
    assert "CROUPIER_PII_KEYS: key 1" in str(caught.value)
    assert "CROUPIER_PII_INDEX_KEY: the index key" in str(caught.value)


def test_secrets_are_not_in_the_repr():
    settings = load_settings({"CROUPIER_BOT_TOKEN": "123:SECRET", "CROUPIER_SECRET_KEY": "k" * 40})
    assert "SECRET" not in repr(settings)
    assert "k" * 40 not in repr(settings)


def test_the_docs_document_every_setting():
    text = CONFIGURATION.read_text()
    table = text.split("<!-- settings-table:start -->")[1].split("<!-- settings-table:end -->")[0]
    for name, default, meaning in DOCUMENTED:
        assert f"| `{PREFIX}{name}` | {default} | {meaning} |" in table
