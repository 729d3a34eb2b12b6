import base64
import dataclasses
import secrets

import pytest

from domain.adjustments import FOUR_EYES_THRESHOLDS
from domain.risk import LARGE_WAGER_THRESHOLDS, LARGE_WIN_THRESHOLDS, RiskPolicy
from domain.withdrawal_policy import WITHDRAWAL_POLICY
from entrypoints.settings import (
    PREFIX,
    Environment,
    RequestIdEcho,
    Settings,
    SettingsError,
    load_settings,
)
from entrypoints.settings.keys import KeyFormatError, parse_index_key, parse_key_ring
from entrypoints.settings.model import AREAS
from entrypoints.settings.table import CONFIGURATION, stale


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
        ({"CROUPIER_GRPC_ECHO_REQUEST_ID": "headers"}, "CROUPIER_GRPC_ECHO_REQUEST_ID"),
    ],
)
def test_a_bad_value_fails_naming_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


@pytest.mark.parametrize(
    ("written", "echo"),
    [
        (None, RequestIdEcho.TRAILING),
        ("Trailing", RequestIdEcho.TRAILING),
        ("initial", RequestIdEcho.INITIAL),
        ("off", RequestIdEcho.OFF),
        # The setting's values when it was a boolean, as deployments may still write them.
        ("true", RequestIdEcho.INITIAL),
        ("False", RequestIdEcho.OFF),
        ("1", RequestIdEcho.INITIAL),
        ("0", RequestIdEcho.OFF),
    ],
)
def test_the_request_id_echo_takes_its_modes_and_its_old_booleans(written, echo):
    env = {} if written is None else {"CROUPIER_GRPC_ECHO_REQUEST_ID": written}
    assert load_settings(env).grpc_echo_request_id is echo


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


def test_the_configuration_table_is_the_one_the_declarations_write():
    diff = stale(CONFIGURATION.read_text())
    assert not diff, "docs/configuration.md is stale; run ./dev settings:\n" + diff


def test_every_setting_is_declared_in_one_area_with_a_doc():
    declared = [field.name for area in AREAS for field in dataclasses.fields(area)]
    assert sorted(declared) == sorted(field.name for field in dataclasses.fields(Settings))
    for name, field in Settings.__pydantic_fields__.items():
        assert field.description, name
        assert field.description.endswith((".", ")")), name


def test_every_variable_is_read_with_the_prefix_and_only_once():
    from entrypoints.settings.declaring import variable

    names = [variable(n, f) for n, f in Settings.__pydantic_fields__.items()]
    assert len(set(names)) == len(names)
    assert all(name.startswith(PREFIX) for name in names)


def test_policy_defaults_are_the_domains_and_settings_override_them():
    settings = load_settings({})
    assert settings.four_eyes_thresholds == FOUR_EYES_THRESHOLDS
    assert settings.risk_large_win == LARGE_WIN_THRESHOLDS
    assert settings.risk_large_wager == LARGE_WAGER_THRESHOLDS
    assert settings.withdrawal_policy == WITHDRAWAL_POLICY
    policy = RiskPolicy()
    assert settings.risk_z_threshold == policy.z_threshold
    assert settings.risk_min_bets == policy.min_bets
    assert settings.risk_min_play_ratio == policy.min_play_ratio
    overridden = load_settings({"CROUPIER_FOUR_EYES_THRESHOLDS": "xtr=5,FUN=0"})
    assert overridden.four_eyes_thresholds == {"XTR": 5, "FUN": 0}
    with pytest.raises(SettingsError, match="CROUPIER_RISK_LARGE_WIN_THRESHOLDS"):
        load_settings({"CROUPIER_RISK_LARGE_WIN_THRESHOLDS": "XTR=0"})


def test_every_bad_value_is_named_at_once_and_a_secret_is_never_quoted():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "CROUPIER_HTTP_PORT": "eighty",
                "CROUPIER_BOT_WEBHOOK_SECRET": "not secret!",
                "CROUPIER_FOUR_EYES_THRESHOLDS": "XTR",
            }
        )
    message = str(caught.value)
    assert "CROUPIER_HTTP_PORT='eighty'" in message
    assert "CROUPIER_BOT_WEBHOOK_SECRET:" in message
    assert "not secret!" not in message
    assert "CROUPIER_FOUR_EYES_THRESHOLDS='XTR': takes CODE=AMOUNT" in message


def test_an_empty_variable_counts_as_unset():
    assert load_settings({"CROUPIER_HTTP_PORT": " ", "CROUPIER_ENV": ""}).http_port == 8080


def test_settings_built_in_code_are_checked_too():
    with pytest.raises(ValueError, match="house_shards"):
        Settings(house_shards=0)
    with pytest.raises(ValueError, match="GRPC_TLS_CERT and"):
        Settings(grpc_tls_key=CONFIGURATION)


def test_the_seed_key_is_read_as_hex_or_base64():
    key = secrets.token_bytes(32)
    assert load_settings({"CROUPIER_SEED_KEY": key.hex()}).seed_key == key
    assert load_settings({"CROUPIER_SEED_KEY": base64.b64encode(key).decode()}).seed_key == key
    with pytest.raises(SettingsError, match="CROUPIER_SEED_KEY: the seed key must be 32 bytes"):
        load_settings({"CROUPIER_SEED_KEY": base64.b64encode(key[:31]).decode()})


def test_key_rings_parse_in_hex_or_base64_and_refuse_what_is_malformed():
    k1, k2, index = (secrets.token_bytes(32) for _ in range(3))
    b64 = base64.b64encode(k2).decode()
    current, ring = parse_key_ring(f" 3:{k1.hex()} , 1:{b64} ")
    assert (current, ring) == (3, {3: k1, 1: k2})
    assert parse_index_key(index.hex()) == index
    for bad, message in (
        ("", "empty"),
        (k1.hex(), "<id>:<key>"),
        (f"0:{k1.hex()}", "1 to 255"),
        (f"256:{k1.hex()}", "1 to 255"),
        (f"1:{k1.hex()},1:{k2.hex()}", "appears twice"),
        ("1:zz", "not hex or base64"),
        (f"1:{base64.b64encode(k1[:31]).decode()}", "must be 32 bytes"),
    ):
        with pytest.raises(KeyFormatError, match=message):
            parse_key_ring(bad)


def _production(**keys: str) -> dict[str, str]:
    """A production environment with fresh random keys, some replaced by `keys`."""
    return {
        "CROUPIER_ENV": "production",
        "CROUPIER_DATABASE_URL": "postgresql://u:p@db:5432/c",
        "CROUPIER_REDIS_URL": "redis://r:6379/0",
        "CROUPIER_SECRET_KEY": secrets.token_urlsafe(48),
        "CROUPIER_SEED_KEY": secrets.token_hex(32),
        "CROUPIER_PII_KEYS": "1:" + secrets.token_hex(32),
        "CROUPIER_PII_INDEX_KEY": secrets.token_hex(32),
        **keys,
    }


def test_production_starts_with_fresh_random_keys():
    assert load_settings(_production()).environment is Environment.PRODUCTION


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        # The values docker-compose.yml shipped before issue 18.
        ("CROUPIER_SECRET_KEY", "change-me-change-me-change-me-change-me"),
        ("CROUPIER_SEED_KEY", "00" * 32),
        ("CROUPIER_PII_KEYS", "1:" + "11" * 32),
        ("CROUPIER_PII_INDEX_KEY", "22" * 32),
        # Other placeholders and low-entropy keys.
        # Random parts kept out of the test's name: every pytest-xdist worker collects the same.
        pytest.param(
            "CROUPIER_SECRET_KEY",
            "ChangeMe_" + secrets.token_hex(16),
            id="CROUPIER_SECRET_KEY-ChangeMe_<random>",
        ),
        ("CROUPIER_SECRET_KEY", "an-example-secret-key-for-the-readme"),
        ("CROUPIER_SECRET_KEY", "ab" * 20),
        ("CROUPIER_SEED_KEY", "0123" * 16),
        ("CROUPIER_SEED_KEY", base64.b64encode(b"\x07" * 32).decode()),
        pytest.param(
            "CROUPIER_PII_KEYS",
            f"2:{secrets.token_hex(32)},1:{'ab' * 32}",
            id="CROUPIER_PII_KEYS-2:<random>,1:abab...",
        ),
        ("CROUPIER_PII_INDEX_KEY", "1234567890abcdef" * 4),
    ],
)
def test_production_refuses_placeholder_and_low_entropy_keys_naming_only_the_variable(
    variable, value
):
    with pytest.raises(SettingsError) as caught:
        load_settings(_production(**{variable: value}))
    message = str(caught.value)
    assert f"{variable} is a placeholder or a low-entropy key" in message
    assert "croupier secrets generate" in message
    for piece in value.replace(",", ":").split(":"):
        assert len(piece) < 8 or piece not in message
    # Development keeps its freedom (the tests' fixed keys, a laptop's own).
    load_settings({variable: value})


def test_production_refuses_one_key_serving_two_purposes():
    key = secrets.token_hex(32)
    with pytest.raises(SettingsError) as caught:
        load_settings(_production(CROUPIER_SEED_KEY=key, CROUPIER_PII_INDEX_KEY=key))
    assert "CROUPIER_PII_INDEX_KEY repeats the key of CROUPIER_SEED_KEY" in str(caught.value)
    assert key not in str(caught.value)


def test_production_serves_metrics_on_the_private_port_only():
    from entrypoints.cli.supervisor import metrics_on_own_port

    production = load_settings(_production(CROUPIER_METRICS_PORT="9464"))
    development = load_settings({"CROUPIER_METRICS_PORT": "9464"})
    everything = frozenset({"http", "grpc", "relay"})
    # Production: every process on the metrics port, the HTTP one included (its app serves
    # no /metrics there: tests/entrypoints/test_http_security_headers.py).
    assert metrics_on_own_port(production, frozenset({"http"}))
    assert metrics_on_own_port(production, everything)
    assert metrics_on_own_port(production, frozenset({"grpc"}))
    # Development: the HTTP part serves /metrics itself; the others on the port.
    assert not metrics_on_own_port(development, everything)
    assert metrics_on_own_port(development, frozenset({"relay"}))
    assert not metrics_on_own_port(load_settings({}), frozenset({"relay"}))  # port 0: none
