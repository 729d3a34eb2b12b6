"""The body of `croupier dev seed`: what a newcomer needs for a first bet, made through the
use cases every door uses (no SQL of its own), and said on the terminal and in
`CROUPIER_DATA_DIR/seed.env`.

Run again, it makes nothing twice: the admin and the players are found (players are keyed by
their Telegram id), the bankroll funding and the deposits are ledger postings with fixed
idempotency keys (replays move nothing). Only the API key is new each time (a key is shown
once; the earlier ones stay valid). The admin's password is printed when the admin is made and
kept in seed.env; a later run repeats it from there."""

from __future__ import annotations

import os
import secrets
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
from dishka import AsyncContainer

from application.access import IssueApiKey
from application.balances import GetBalances
from application.bankroll import FundBankroll, FundBankrollCommand
from application.bankroll_balance import GetBankrollBalance
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.staff import Actor, CreateStaff
from domain.errors import InvalidRequest
from domain.money import XTR, Money
from domain.staff import Role
from entrypoints.cli.environment import with_container
from entrypoints.cli.failures import fail, guarded
from entrypoints.settings import load_settings
from entrypoints.settings.servers import Environment

ADMIN = "demo-admin"
KEY_SCOPES = frozenset({"betting", "wallet", "players", "register"})
KEY_CAPS = {"XTR": 100_000}  # what one gRPC deposit of the demo key may bring in
BANKROLL = Money(1_000_000, XTR)
DEPOSIT = Money(10_000, XTR)
# Telegram user ids far above today's real ones, so a demo player is nobody's account.
DEMO_PLAYERS = (
    (4_000_000_001, "demo-ann"),
    (4_000_000_002, "demo-bob"),
    (4_000_000_003, "demo-cy"),
)
ENV_FILE = "seed.env"


@dataclass(frozen=True, slots=True)
class DemoPlayer:
    id: int
    telegram_user_id: int
    name: str
    created: bool
    balance: Money


@dataclass(frozen=True, slots=True)
class Seeded:
    admin_created: bool
    password: str | None  # None: made before, and seed.env does not have it
    key_name: str
    key: str
    bankroll_funded: bool  # False: funded by an earlier run (a replay)
    bankroll: Money
    players: tuple[DemoPlayer, ...]


def seed() -> None:
    settings = guarded(load_settings)
    if settings.environment is Environment.PRODUCTION:
        fail(
            "croupier dev seed makes demo accounts and money: refused when CROUPIER_ENV=production"
        )
    env_file = settings.data_dir / ENV_FILE
    earlier = _read_env(env_file)
    seeded = with_container(lambda container: _seed(container, earlier.get("DEMO_ADMIN_PASSWORD")))
    _write_env(env_file, seeded)
    _print(seeded, env_file, settings.http_port, settings.grpc_port)


async def _seed(container: AsyncContainer, known_password: str | None) -> Seeded:
    cli = Actor("cli:dev-seed")
    async with container() as scope:
        made = secrets.token_urlsafe(12)
        password: str | None = made
        try:
            await (await scope.get(CreateStaff))(ADMIN, made, Role.ADMIN, cli)
            admin_created = True
        except InvalidRequest:  # the username is taken: made by an earlier run
            admin_created, password = False, known_password
        key_name = f"demo-games-{secrets.token_hex(3)}"
        issued = await (await scope.get(IssueApiKey))(key_name, KEY_SCOPES, caps=KEY_CAPS)
        funding = await (await scope.get(FundBankroll))(
            FundBankrollCommand(BANKROLL, "dev-seed", f"seed:bankroll:{BANKROLL.currency.code}")
        )
        bankroll = await (await scope.get(GetBankrollBalance))(BANKROLL.currency)
        players = []
        for telegram_user_id, name in DEMO_PLAYERS:
            registration = await (await scope.get(RegisterPlayer))(
                RegisterPlayerCommand(
                    telegram_user_id, username=name, currencies=(XTR,), accept_terms=True
                )
            )
            player = registration.player
            await (await scope.get(CreditDeposit))(
                CreditDepositCommand(
                    player.id, DEPOSIT, f"seed:deposit:{telegram_user_id}", "dev seed"
                )
            )
            balances = await (await scope.get(GetBalances))(player.id)
            [balance] = [b for b in balances if b.currency == XTR]
            players.append(
                DemoPlayer(player.id, telegram_user_id, name, registration.created, balance)
            )
    return Seeded(
        admin_created,
        password,
        key_name,
        issued.plaintext,
        not funding.replayed,
        bankroll,
        tuple(players),
    )


def _read_env(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    found = {}
    for line in lines:
        name, sep, value = line.removeprefix("export ").partition("=")
        if sep:
            found[name.strip()] = (shlex.split(value) or [""])[0]
    return found


def _env(seeded: Seeded) -> dict[str, str]:
    values = {
        "DEMO_ADMIN": ADMIN,
        "DEMO_API_KEY": seeded.key,
        "DEMO_PLAYER_ID": str(seeded.players[0].id),
    }
    if seeded.password is not None:
        values["DEMO_ADMIN_PASSWORD"] = seeded.password
    return values


def _write_env(path: Path, seeded: Seeded) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in _env(seeded).items())
    # A password and a key: readable by the developer only.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def _print(seeded: Seeded, env_file: Path, http_port: int, grpc_port: int) -> None:
    echo = click.echo
    echo("Seeded for development (croupier dev seed):")
    if seeded.admin_created:
        echo(f"  admin      {ADMIN}, role admin, password {seeded.password}  (shown once here)")
    elif seeded.password:
        echo(f"  admin      {ADMIN} existed; its password (from {env_file}): {seeded.password}")
    else:
        echo(f"  admin      {ADMIN} existed; its password was printed when it was made")
    echo(f"  API key    {seeded.key_name} ({', '.join(sorted(KEY_SCOPES))}), new on every run:")
    echo(f"             {seeded.key}")
    state = "funded now" if seeded.bankroll_funded else "funded by an earlier run"
    echo(f"  bankroll   {BANKROLL} {state}; it holds {seeded.bankroll}")
    for player in seeded.players:
        made = "made now" if player.created else "existed"
        echo(
            f"  player     id {player.id}  {player.name} (Telegram id {player.telegram_user_id},"
            f" {made}), terms accepted, balance {player.balance}"
        )
    echo(f"Written to {env_file}: . {env_file}  then")
    echo(
        f"  .venv/bin/python docs/examples/first_bet.py      # a dice bet over gRPC on :{grpc_port}"
    )
    echo(f"  HTTP admin API on :{http_port}: log in as $DEMO_ADMIN (docs/quickstart.md)")
