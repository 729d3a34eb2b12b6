"""Settings from environment variables prefixed CROUPIER_, each declared once (name, type,
default, constraints, one-line doc) in the module of its area: servers, keys, telegram,
throughput, money, risk, observability. `load_settings` reads them, the table in
docs/configuration.md is generated from them (`./dev settings`), and the policy defaults they
override live in the domain."""

from entrypoints.settings.declaring import PREFIX, SettingsError
from entrypoints.settings.loading import load_settings
from entrypoints.settings.model import Settings
from entrypoints.settings.observability import LogFormat, OtelProtocol, RequestIdEcho
from entrypoints.settings.servers import Environment

__all__ = [
    "PREFIX",
    "Environment",
    "LogFormat",
    "OtelProtocol",
    "RequestIdEcho",
    "Settings",
    "SettingsError",
    "load_settings",
]
