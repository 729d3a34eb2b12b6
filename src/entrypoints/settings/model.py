"""`Settings`: every area's declarations in one frozen value, and the checks that span areas.

The areas are bases; a dataclass lists its bases' fields from the last base to the first, so
the bases are written in reverse: `Servers` comes first (`log_format`'s default reads the
environment, which must be validated before it)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import model_validator
from pydantic.dataclasses import dataclass
from pydantic.fields import FieldInfo

from entrypoints.settings.aggregators import Aggregators
from entrypoints.settings.big_wins import BigWins
from entrypoints.settings.crash import Crash
from entrypoints.settings.crypto_pay import CryptoPay
from entrypoints.settings.declaring import CONFIG, PREFIX
from entrypoints.settings.duels import Duels
from entrypoints.settings.keys import Keys
from entrypoints.settings.money import Money
from entrypoints.settings.observability import Observability
from entrypoints.settings.referrals import Referrals
from entrypoints.settings.risk import Risk
from entrypoints.settings.servers import Environment, Servers
from entrypoints.settings.telegram import Telegram
from entrypoints.settings.throughput import Throughput
from entrypoints.settings.vip import Vip

# In the order the configuration table shows them.
AREAS = (
    Servers,
    Keys,
    Telegram,
    Throughput,
    Money,
    CryptoPay,
    Aggregators,
    Risk,
    Vip,
    Referrals,
    Crash,
    Duels,
    BigWins,
    Observability,
)

# Production never generates a key nor starts an embedded server.
_REQUIRED_IN_PRODUCTION = (
    "database_url",
    "redis_url",
    "secret_key",
    "seed_key",
    "pii_keys",
    "pii_index_key",
)


@dataclass(frozen=True, config=CONFIG)
class Settings(
    Observability,
    BigWins,
    Duels,
    Crash,
    Referrals,
    Vip,
    Risk,
    Aggregators,
    CryptoPay,
    Money,
    Throughput,
    Telegram,
    Keys,
    Servers,
):
    """Every setting of a process; `load_settings` reads them from the environment."""

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems = [
            *self.servers_problems(),
            *self.telegram_problems(),
            *self.money_problems(),
            *self.vip_problems(),
            *self.crypto_pay_problems(),
            *self.aggregators_problems(),
        ]
        if self.environment is Environment.PRODUCTION:
            problems += [
                f"{PREFIX}{name.upper()} is required when {PREFIX}ENV=production"
                for name in _REQUIRED_IN_PRODUCTION
                if getattr(self, name) is None
            ]
            problems += self.key_problems()
        if problems:
            raise ValueError("\n  ".join(problems))
        return self


# Every setting's declaration by field name, in the order of the fields.
FIELDS: Mapping[str, FieldInfo] = Settings.__pydantic_fields__  # type: ignore[attr-defined]
