"""`croupier secrets generate`: an env file of fresh random keys and passwords, for the compose
file (which ships none) or any orchestrator that reads `NAME=value` lines."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click

from entrypoints.cli.failures import fail

# The database passwords go into URLs: token_urlsafe keeps to letters, digits, - and _.
_PASSWORDS = ("POSTGRES_PASSWORD", "CROUPIER_OWNER_DB_PASSWORD", "CROUPIER_APP_DB_PASSWORD")


def fresh_secrets() -> dict[str, str]:
    """Every secret docker-compose.yml requires, drawn from the system's CSPRNG."""
    from entrypoints.settings.keys import KEY_BYTES

    return {
        "CROUPIER_SECRET_KEY": secrets.token_urlsafe(48),
        "CROUPIER_SEED_KEY": secrets.token_hex(KEY_BYTES),
        "CROUPIER_PII_KEYS": "1:" + secrets.token_hex(KEY_BYTES),
        "CROUPIER_PII_INDEX_KEY": secrets.token_hex(KEY_BYTES),
        **{name: secrets.token_urlsafe(24) for name in _PASSWORDS},
    }


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Created with mode 0600, never over an existing file: overwriting live keys would make
    the sealed seeds and personal data unreadable."""
    text = "".join(f"{name}={value}\n" for name, value in values.items())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(
            "# Written by `croupier secrets generate`. Keep it out of version control and back\n"
            "# it up: losing the seed or personal-data keys loses what they sealed.\n" + text
        )


@click.group("secrets")
def secrets_group() -> None:
    """Secret keys and passwords."""


@secrets_group.command("generate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".env"),
    show_default=True,
    help="The env file to create (docker compose reads .env beside the compose file); "
    "- prints the lines instead.",
)
def secrets_generate(out: Path) -> None:
    """Write an env file of fresh random keys (secret, seed, personal-data ring, index) and
    database passwords, readable by its owner only. Refuses to overwrite a file."""
    if str(out) == "-":
        for name, value in fresh_secrets().items():
            click.echo(f"{name}={value}")
        return
    try:
        write_env_file(out, fresh_secrets())
    except FileExistsError:
        fail(f"{out} exists; not overwriting it (its keys may be sealing data already)")
    except OSError as error:
        fail(f"could not write {out}: {error.strerror}")
    click.echo(f"wrote fresh secrets to {out} (mode 0600)")
