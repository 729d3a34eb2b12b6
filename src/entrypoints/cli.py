"""The `croupier` command: run the backend, migrate the database, manage currencies and the
bankroll, verify provably fair results."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

import click
import uvicorn
from dishka import AsyncContainer
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.embedded_servers import EmbeddedServerError, stop_postgres, stop_valkey
from adapters.personal_data import PersonalDataCipher, PersonalDataKeyError
from adapters.postgres import migrate, personal_rotation
from adapters.postgres.engine import create_engine
from adapters.postgres.privileges import PrivilegeError, grant_app_role
from adapters.postgres.repositories import SqlCurrencies
from application.access import ApiKeyStore, Authenticate, IssueApiKey, RevokeApiKey
from application.bankroll import FundBankroll, FundBankrollCommand
from application.ports import UnitOfWorkFactory
from application.reconciliation import Reconcile, ReconcileReport
from application.relay import OutboxRelay
from application.risk import MonitorOutcomes, MonitorResult, ScanPlayersForRisk, ScanResult
from application.staff import Actor, CreateStaff
from domain.access import SERVICES as SERVICE_NAMES
from domain.accounts import AccountKind
from domain.errors import DomainError, InvalidRequest
from domain.money import Currency, CurrencyRegistry, Money
from domain.staff import Role
from domain.verification import check_outcome
from entrypoints.bot.app import run_polling
from entrypoints.bot.runtime import TelegramRuntime
from entrypoints.composition.containers import make_cli_container, make_http_container
from entrypoints.composition.endpoints import Endpoints, resolve_endpoints
from entrypoints.composition.infrastructure import personal_data_cipher
from entrypoints.grpc.server import GrpcServer
from entrypoints.health_commands import health
from entrypoints.heartbeat import keep_beating
from entrypoints.http.app import create_app
from entrypoints.http.health import database_answers
from entrypoints.observability.ledger_totals import refresh_ledger_totals
from entrypoints.observability.logs import configure_logging
from entrypoints.observability.metrics import serve_metrics
from entrypoints.observability.tracing import configure_tracing, shutdown_tracing
from entrypoints.periodic import every
from entrypoints.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
log = logging.getLogger("croupier")


def _fail(message: str, code: int = 1) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def _guarded(fn: Callable[[], T]) -> T:
    """Operator-facing failures print one clear message, not a traceback."""
    try:
        return fn()
    except SettingsError as error:
        _fail(str(error), 2)
    except EmbeddedServerError as error:
        _fail(f"could not start an embedded server: {error}")
    except DomainError as error:
        _fail(error.message)
    except PersonalDataKeyError as error:
        _fail(f"personal data: {error}", 2)
    except (migrate.SchemaChangeRefused, PrivilegeError) as error:
        _fail(str(error))
    raise AssertionError("unreachable")


def _setup(settings: Settings) -> Endpoints:
    configure_logging(settings)
    return resolve_endpoints(settings)


def _upgrade(settings: Settings, endpoints: Endpoints, revision: str = "head") -> None:
    # The keys go along: a revision may seal personal data already in the database.
    personal = personal_data_cipher(settings)
    migrate.upgrade(endpoints.database_url, revision, personal=personal)


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


@click.group()
def main() -> None:
    """Croupier: a backend for Telegram casinos."""


PARTS = ("http", "grpc", "bot", "relay")


def _parts(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str]:
    if value is None:
        return frozenset(PARTS)
    chosen = {p.strip().lower() for p in value.split(",") if p.strip()}
    unknown = sorted(chosen - set(PARTS))
    if unknown or not chosen:
        raise click.BadParameter(
            f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(PARTS)}, comma-separated"
        )
    return frozenset(chosen)


@main.command()
@click.option("--keep-servers", is_flag=True, help="Leave embedded servers running on exit.")
@click.option(
    "--only",
    "parts",
    metavar="PARTS",
    callback=_parts,
    help="Run only these parts, comma-separated, e.g. `http,grpc` (default: all of "
    + ", ".join(PARTS)
    + "). `relay` is the outbox relay and the periodic risk monitor.",
)
def run(keep_servers: bool, parts: frozenset[str]) -> None:
    """Start everything that is configured: migrations, HTTP API, gRPC, bot, outbox relay."""
    settings = _guarded(load_settings)
    _check_bot_part(settings, parts)
    # Before anything starts: an endpoint without the packages fails here, clearly.
    _guarded(lambda: configure_tracing(settings))
    endpoints = _guarded(lambda: _setup(settings))
    try:
        _guarded(lambda: _upgrade(settings, endpoints))
        asyncio.run(_serve(settings, endpoints, parts))
    finally:
        if not keep_servers:
            _stop_embedded(settings, endpoints)
        # Last: exporting the buffered spans waits for the collector (at most
        # OTEL_EXPORTER_OTLP_TIMEOUT, 10 s, when it is unreachable).
        shutdown_tracing()


def _stop_embedded(settings: Settings, endpoints: Endpoints) -> None:
    data_dir = settings.data_dir.resolve()
    if endpoints.embedded_postgres:
        stop_postgres(data_dir / "postgres")
    if endpoints.embedded_redis:
        stop_valkey(data_dir / "valkey")


def _check_bot_part(settings: Settings, parts: frozenset[str]) -> None:
    if "bot" not in parts or parts == frozenset(PARTS):
        return  # the default runs the bot when it is configured, and says so when not
    if not settings.bot_token:
        _fail("--only bot: the bot is not configured (set CROUPIER_BOT_TOKEN)", 2)
    if settings.bot_webhook_url and "http" not in parts:
        _fail(
            "--only: with CROUPIER_BOT_WEBHOOK_URL the bot's updates arrive at the HTTP part,"
            " which registers the webhook: run http (bot alone only long-polls)",
            2,
        )


async def _serve(
    settings: Settings, endpoints: Endpoints, parts: frozenset[str] = frozenset(PARTS)
) -> None:
    container = make_http_container(settings, endpoints)
    # Resolve the ledger now: a database that is not ready fails the start, not the first bet.
    await container.get(UnitOfWorkFactory)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    grpc_server: GrpcServer | None = None
    if "grpc" in parts:
        grpc_server = GrpcServer(container, settings, await container.get(Authenticate))
        await grpc_server.start()
    http: uvicorn.Server | None = None
    http_task: asyncio.Task[None] | None = None
    if "http" in parts:
        http = uvicorn.Server(
            uvicorn.Config(
                create_app(container),
                host=settings.http_host,
                port=settings.http_port,
                log_level=settings.log_level.lower(),
                # Our own access lines carry the request ids (entrypoints/http/observability.py);
                # without a config of its own, uvicorn's lines go through our handler too.
                access_log=False,
                log_config=None,
            )
        )
        # uvicorn would take SIGINT/SIGTERM for itself and re-raise them after its own
        # shutdown, cancelling the gRPC drain; this process owns the signals and stops both.
        http.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        http_task = asyncio.create_task(http.serve())
        # uvicorn offers no event for 'listening'; its `started` flag is polled briefly.
        while not http.started and not http_task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if http_task.done():
            if grpc_server is not None:
                await grpc_server.stop()
            await container.close()
            http_task.result()
            _fail(f"the HTTP server could not listen on {settings.http_host}:{settings.http_port}")
    bot_task = await _start_bot(settings, await container.get(TelegramRuntime), parts)
    background = _start_background_jobs(settings, container, stop) if "relay" in parts else []
    # Metrics are scraped from the HTTP part's /metrics, or from a bare endpoint of their own
    # in a process without it; the ledger totals are refreshed where they are served.
    metrics_server = None
    if "http" not in parts and settings.metrics_port:
        metrics_server = serve_metrics(settings.http_host, settings.metrics_port)
    if "http" in parts or metrics_server is not None:
        totals = _export_ledger_totals(settings, container, stop)
        if totals is not None:
            background.append(totals)
    watched = [t for t in (http_task, bot_task, *background) if t is not None]
    if settings.heartbeat_file is not None:
        background.append(
            asyncio.create_task(
                keep_beating(
                    settings.heartbeat_file,
                    settings.heartbeat_interval_s,
                    _alive(container, watched),
                    stop,
                )
            )
        )
    _print_listening(settings, endpoints, grpc_server, parts)

    await stop.wait()
    await asyncio.gather(*background)
    click.echo("shutting down: draining in-flight requests…")
    if bot_task is not None:
        runtime = await container.get(TelegramRuntime)
        assert runtime.dispatcher is not None
        await runtime.dispatcher.stop_polling()
        await bot_task
    if http is not None:
        http.should_exit = True
    if grpc_server is not None:
        await grpc_server.stop()
    if metrics_server is not None:
        metrics_server.shutdown()
    if http_task is not None:
        await http_task  # its lifespan shutdown closes the container
    else:
        await container.close()


def _alive(
    container: AsyncContainer, watched: list[asyncio.Task[None]]
) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        # Redis is left out as readiness leaves it out: without it features degrade (and the
        # relay retries), but the process is doing its job.
        if any(task.done() for task in watched):
            return False
        return await database_answers(await container.get(AsyncEngine))

    return check


def _start_background_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    jobs: list[asyncio.Task[None]] = []
    # The outbox relay publishes domain events to Redis (one relay runs per database; in a
    # second `croupier run` or next to `croupier relay` it waits for the lock).
    jobs.append(asyncio.create_task(_relay_events(container, stop)))
    if settings.risk_monitor_interval_s:

        async def monitor() -> None:
            async with container() as scope:
                result = await (await scope.get(MonitorOutcomes))(1)
            if result.alerts:
                log.warning("outcome monitoring: %d alert(s) today", result.alerts)

        jobs.append(
            asyncio.create_task(
                every(settings.risk_monitor_interval_s, monitor, stop, "risk monitor")
            )
        )
    return jobs


def _export_ledger_totals(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    if not settings.ledger_metrics_interval_s:
        return None

    async def ledger_totals() -> None:
        await refresh_ledger_totals(await container.get(AsyncEngine))

    return asyncio.create_task(
        every(
            settings.ledger_metrics_interval_s, ledger_totals, stop, "ledger totals", at_once=True
        )
    )


async def _relay_events(container: AsyncContainer, stop: asyncio.Event) -> None:
    relay = await container.get(OutboxRelay)
    await relay.run(stop)


async def _start_bot(
    settings: Settings, runtime: TelegramRuntime, parts: frozenset[str]
) -> asyncio.Task[None] | None:
    """Webhook mode: the HTTP part, where the updates arrive, registers the webhook. Polling
    mode: the bot part runs the long-polling loop as a task."""
    if not runtime.enabled:
        return None
    assert runtime.bot is not None
    assert runtime.dispatcher is not None
    if settings.bot_webhook_url:
        if "http" not in parts:
            return None
        await runtime.bot.set_webhook(
            settings.bot_webhook_url,
            secret_token=settings.bot_webhook_secret,
            allowed_updates=runtime.dispatcher.resolve_used_update_types(),
        )
        return None
    if "bot" not in parts:
        return None
    return asyncio.create_task(run_polling(runtime.dispatcher, runtime.bot))


def _print_listening(
    settings: Settings,
    endpoints: Endpoints,
    grpc_server: GrpcServer | None,
    parts: frozenset[str],
) -> None:
    embedded = " (embedded, data in {})"
    data_dir = settings.data_dir.resolve()
    bot = (
        ("webhook " + settings.bot_webhook_url if settings.bot_webhook_url else "polling")
        if settings.bot_token
        else "not configured (set CROUPIER_BOT_TOKEN)"
    )
    lines = [
        (
            "HTTP API",
            f"http://{settings.http_host}:{settings.http_port}  (OpenAPI at /schema)"
            if "http" in parts
            else None,
        ),
        ("gRPC", grpc_server.address if grpc_server is not None else None),
        (
            "Telegram bot",
            bot if "bot" in parts or ("http" in parts and settings.bot_webhook_url) else None,
        ),
        ("Outbox relay", "publishing to Redis" if "relay" in parts else None),
        (
            "PostgreSQL",
            _safe(endpoints.database_url)
            + (embedded.format(data_dir / "postgres") if endpoints.embedded_postgres else ""),
        ),
        (
            "Redis",
            _safe(endpoints.redis_url)
            + (embedded.format(data_dir / "valkey") if endpoints.embedded_redis else ""),
        ),
    ]
    click.secho("Croupier is running", bold=True)
    for name, where in lines:
        if where is not None:
            click.echo(f"  {name:<13} {where}")
    if settings.heartbeat_file is not None:
        click.echo(f"  {'Heartbeat':<13} {settings.heartbeat_file}")
    click.echo("Press Ctrl+C to stop.")


@main.command()
def relay() -> None:
    """Publish the outbox's domain events to Redis until stopped (Ctrl+C / SIGTERM).

    One relay runs at a time per database; a second one waits until the first stops, so
    running one next to every `croupier run` (which relays too) is safe."""
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    _guarded(lambda: _upgrade(settings, endpoints))

    async def go() -> None:
        container = make_cli_container(settings, endpoints)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            click.echo("relaying outbox events to Redis; press Ctrl+C to stop")
            await _relay_events(container, stop)
        finally:
            await container.close()

    _guarded(lambda: asyncio.run(go()))
    click.echo("relay stopped")


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Bring the schema up to REVISION (default: the newest)."""
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    _guarded(lambda: _upgrade(settings, endpoints, revision))
    click.echo(f"database at {_safe(endpoints.database_url)} is at {revision}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the schema down to REVISION (`base` empties it)."""
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    _guarded(
        lambda: migrate.downgrade(
            endpoints.database_url, revision, personal=personal_data_cipher(settings)
        )
    )
    click.echo(f"database at {_safe(endpoints.database_url)} is at {revision}")


@db.command()
@click.argument("role")
def grant(role: str) -> None:
    """Give ROLE exactly what the services need (read and insert everywhere, update and delete
    only where they do, no schema changes). Connect as the schema's owner; run after every
    `db upgrade`, as often as you like: the role ends up with these privileges and no others."""
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))

    async def go() -> list[str]:
        engine = create_engine(endpoints.database_url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as conn:
                return await grant_app_role(conn, role)
        finally:
            await engine.dispose()

    tables = _guarded(lambda: asyncio.run(go()))
    click.echo(f"role {role} granted the services' privileges on {len(tables)} tables")


@db.command()
def current() -> None:
    """Print the schema revision of the database."""
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    click.echo(asyncio.run(migrate.current_revision(endpoints.database_url)) or "(empty)")


@main.group()
def currency() -> None:
    """Accepted currencies (data, not code)."""


@currency.command("list")
def currency_list() -> None:
    """List the accepted currencies."""
    for c in _with_catalog(lambda catalog: catalog.all()):
        click.echo(f"{c.code:<8} exponent {c.exponent:<2} {c.name}")


@currency.command("add")
@click.argument("code")
@click.argument("exponent", type=click.IntRange(0, 18))
@click.option("--name", default="", help="Human name, e.g. 'Toncoin'.")
def currency_add(code: str, exponent: int, name: str) -> None:
    """Accept a new currency: CODE with EXPONENT decimal places. Restart running services."""
    new = _guarded(lambda: Currency(code.upper(), exponent, name))
    added = _with_catalog(lambda catalog: catalog.add(new))
    click.echo(f"{new.code} added" if added else f"{new.code} already exists")


def _with_catalog(action: Callable[[SqlCurrencies], Any]) -> Any:
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    _guarded(lambda: _upgrade(settings, endpoints))

    async def go() -> Any:
        container = make_cli_container(settings, endpoints)
        try:
            engine = await container.get(AsyncEngine)
            async with engine.begin() as conn:
                return await action(SqlCurrencies(conn))
        finally:
            await container.close()

    return _guarded(lambda: asyncio.run(go()))


@main.command()
@click.option("--game", required=True, help="dice, coin, roulette or limbo.")
@click.option("--server-seed", required=True, help="The revealed server seed (64 hex).")
@click.option("--client-seed", required=True)
@click.option("--nonce", required=True, type=int)
@click.option(
    "--params",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Bet parameters, e.g. --params direction=over --params target=50.5",
)
@click.option(
    "--house-edge",
    default="0.01",
    show_default=True,
    help="The edge the bet was placed at (dice and coin multipliers depend on it).",
)
def verify(
    game: str,
    server_seed: str,
    client_seed: str,
    nonce: int,
    params: tuple[str, ...],
    house_edge: str,
) -> None:
    """Recompute a provably fair result from its seeds, without touching the database."""
    bet = _guarded(lambda: _key_values(params)) if params else None
    edge = _guarded(lambda: _fraction(house_edge, "--house-edge"))
    check = _guarded(
        lambda: check_outcome(
            game.strip().lower(),
            server_seed=server_seed.strip().lower(),
            client_seed=client_seed,
            nonce=nonce,
            params=bet,
            house_edge=edge,
        )
    )
    for line in check.lines():
        click.echo(line)


def _key_values(pairs: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        for item in pair.split(","):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise InvalidRequest(f"--params takes KEY=VALUE, got {item!r}")
            parsed[key.strip()] = value.strip()
    return parsed


def _fraction(text: str, option: str) -> Fraction:
    try:
        return Fraction(Decimal(text))
    except (InvalidOperation, ValueError):
        raise InvalidRequest(f"{option} must be a decimal like 0.01, got {text!r}") from None


@main.group()
def bankroll() -> None:
    """The house bankroll that backs every win."""


@bankroll.command("fund")
@click.argument("currency_code", metavar="CURRENCY")
@click.argument("amount")
@click.option("--staff", required=True, help="Who is funding it (recorded in the ledger).")
@click.option("--key", default=None, help="Idempotency key (default: a new one).")
def bankroll_fund(currency_code: str, amount: str, staff: str, key: str | None) -> None:
    """Add AMOUNT (in major units, e.g. 10.5) of CURRENCY to the bankroll."""
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    _guarded(lambda: _upgrade(settings, endpoints))

    async def go() -> str:
        container = make_cli_container(settings, endpoints)
        try:
            uow = await container.get(UnitOfWorkFactory)
            currencies = await _currency_registry(container)
            money = Money.parse(amount, currencies.get(currency_code.upper()))
            async with container() as request:
                fund = await request.get(FundBankroll)
                await fund(
                    FundBankrollCommand(money, staff, key or f"bankroll:{secrets.token_hex(12)}")
                )
            async with uow() as unit:
                total = await unit.accounts.house_balance(
                    AccountKind.HOUSE_BANKROLL, money.currency
                )
            return f"bankroll funded with {money}; it now holds {Money(total, money.currency)}"
        finally:
            await container.close()

    click.echo(_guarded(lambda: asyncio.run(go())))


async def _currency_registry(container: AsyncContainer) -> CurrencyRegistry:
    engine = await container.get(AsyncEngine)
    async with engine.connect() as conn:
        return CurrencyRegistry(await SqlCurrencies(conn).all())


@main.group()
def apikey() -> None:
    """API keys of internal services calling the gRPC API."""


@apikey.command("create")
@click.argument("name")
@click.option(
    "--service",
    "services",
    multiple=True,
    required=True,
    type=click.Choice(sorted(SERVICE_NAMES)),
    help="A service the key may call; repeat for several.",
)
def apikey_create(name: str, services: tuple[str, ...]) -> None:
    """Issue a key for the calling service NAME. The key is shown once; only its hash is kept.
    NAME is also the provider id of its seamless-wallet transactions."""

    async def issue(container: AsyncContainer) -> str:
        async with container() as scope:
            issued = await (await scope.get(IssueApiKey))(name, frozenset(services))
        return issued.plaintext

    key = _with_container(issue)
    click.echo(f"API key for {name} ({', '.join(sorted(services))}); store it now:")
    click.echo(key)


@apikey.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Revoke the active key of NAME (takes effect within seconds everywhere)."""

    async def revoke(container: AsyncContainer) -> None:
        async with container() as scope:
            await (await scope.get(RevokeApiKey))(name)

    _with_container(revoke)
    click.echo(f"key of {name} revoked")


@apikey.command("list")
def apikey_list() -> None:
    """List keys (names, services, state; never secrets)."""

    async def listing(container: AsyncContainer) -> list[str]:
        keys = await (await container.get(ApiKeyStore)).all()
        return [
            f"{k.name:<24} {','.join(sorted(k.services)):<24} "
            f"{'revoked ' + k.revoked_at.isoformat() if k.revoked_at else 'active'}"
            for k in keys
        ]

    for line in _with_container(listing):
        click.echo(line)


def _with_container(action: Callable[[AsyncContainer], Awaitable[T]]) -> T:
    settings = _guarded(load_settings)
    endpoints = _guarded(lambda: _setup(settings))
    _guarded(lambda: _upgrade(settings, endpoints))

    async def go() -> T:
        container = make_cli_container(settings, endpoints)
        try:
            return await action(container)
        finally:
            await container.close()

    return _guarded(lambda: asyncio.run(go()))


@main.group()
def admin() -> None:
    """Staff accounts of the admin API."""


@admin.command("create")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters; prompted for when not given (or set CROUPIER_ADMIN_PASSWORD).",
    envvar="CROUPIER_ADMIN_PASSWORD",
)
def admin_create(username: str, role: str, password: str) -> None:
    """Create a staff account, e.g. the first admin: `croupier admin create alice --role admin`."""

    async def create(container: AsyncContainer) -> str:
        async with container() as scope:
            member = await (await scope.get(CreateStaff))(
                username, password, Role(role), Actor("cli")
            )
        return f"{member.username} created with role {member.role}"

    click.echo(_with_container(create))


@main.command("reconcile")
def reconcile_books() -> None:
    """Check every invariant of the books: per-currency and per-transaction zero sums, each
    balance equal to its legs, no forbidden negative, every won or lost bet recomputed from its
    seeds or dice, the outbox complete. Prints each discrepancy; exits 1 when there is one."""

    async def check(container: AsyncContainer) -> ReconcileReport:
        async with container() as scope:
            return await (await scope.get(Reconcile))()

    report = _with_container(check)
    for problem in report.discrepancies:
        click.echo(f"  {problem}")
    if not report.clean:
        _fail(f"the books do NOT reconcile: {len(report.discrepancies)} discrepancy(ies)")
    click.echo(
        f"the books reconcile: ledger invariants hold, {report.bets_recomputed} settled bet(s) "
        "recomputed, the outbox is complete"
    )


@main.group()
def pii() -> None:
    """Personal data sealed at rest (usernames, withdrawal destinations, TOTP secrets)."""


async def _sealing(container: AsyncContainer) -> tuple[AsyncEngine, PersonalDataCipher]:
    return await container.get(AsyncEngine), await container.get(PersonalDataCipher)


@pii.command("status")
def pii_status() -> None:
    """Count the values still sealed under a key other than the first of CROUPIER_PII_KEYS.
    Exits 1 while there are any (a rotation is not finished)."""

    async def count(container: AsyncContainer) -> dict[str, int]:
        return await personal_rotation.stale_counts(*await _sealing(container))

    stale = _with_container(count)
    for column, left in stale.items():
        click.echo(f"  {column}: {left} under an older key")
    if any(stale.values()):
        _fail("a rotation is not finished: run `croupier pii rotate`")
    click.echo("every value is sealed under the current key")


@pii.command("rotate")
def pii_rotate() -> None:
    """Re-seal every value sealed under an older key with the first key of CROUPIER_PII_KEYS
    (put the new key first and keep the old ones until this is done). Safe beside live
    traffic and safe to run again."""

    async def go(container: AsyncContainer) -> dict[str, int]:
        return await personal_rotation.rotate(*await _sealing(container))

    for column, count in _with_container(go).items():
        click.echo(f"  {column}: {count} re-sealed")
    click.echo("done: every value is sealed under the current key")


@main.group()
def risk() -> None:
    """Risk controls: flags for staff review and outcome monitoring."""


@risk.command("scan")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=None,
    help="Days of settled bets to look at (default: CROUPIER_RISK_SCAN_DAYS).",
)
def risk_scan(days: int | None) -> None:
    """Flag players whose results are improbable for the bets they made (z-score). Safe to
    run again: a player with an open flag of that kind gets no second one."""

    async def scan(container: AsyncContainer) -> ScanResult:
        async with container() as scope:
            return await (await scope.get(ScanPlayersForRisk))(days)

    result = _with_container(scan)
    click.echo(
        f"scanned bets settled {result.since:%Y-%m-%d %H:%M} - {result.until:%Y-%m-%d %H:%M} UTC"
    )
    for flag in result.flags:
        evidence = flag.evidence
        click.echo(
            f"  flag {flag.id}: player {flag.player_id} {evidence.get('currency')} "
            f"z={evidence.get('z')} over {evidence.get('bets')} bets"
        )
    click.echo(f"{len(result.flags)} new flag(s)")


@risk.command("monitor")
@click.option(
    "--days",
    type=click.IntRange(1, 366),
    default=7,
    show_default=True,
    help="UTC days to look at, today included.",
)
def risk_monitor(days: int) -> None:
    """Test every game's outcomes against theory (chi-square) and its actual RTP against
    theory; alerts are logged and written to the audit log. Exits 3 when there is one."""

    async def monitor(container: AsyncContainer) -> MonitorResult:
        async with container() as scope:
            return await (await scope.get(MonitorOutcomes))(days)

    result = _with_container(monitor)
    period = result.period
    click.echo(f"outcomes {period.since} - {period.until} (exclusive)")
    for test in result.outcomes:
        verdict = "no test" if test.test is None else f"p={test.test.p_value:.3g}"
        if test.test is not None:
            verdict += f" chi2={test.test.statistic:.2f} dof={test.test.dof}"
        click.echo(
            f"  {test.game:<14} {test.bets:>9} bets  {verdict}{'  ALERT' if test.alert else ''}"
        )
    for row in result.rtp:
        if row.drift:
            click.echo(f"  RTP drift: {row.game} in {row.currency} over {row.bets} bets  ALERT")
    click.echo(f"{result.alerts} alert(s)")
    if result.alerts:
        sys.exit(3)


main.add_command(health)


@main.group()
def servers() -> None:
    """The embedded PostgreSQL and Valkey used when no URLs are configured."""


@servers.command("stop")
def servers_stop() -> None:
    """Stop the embedded servers (their data stays)."""
    settings = _guarded(load_settings)
    data_dir = settings.data_dir.resolve()
    with contextlib.suppress(EmbeddedServerError):
        stop_postgres(data_dir / "postgres")
        stop_valkey(data_dir / "valkey")
    click.echo("embedded servers stopped")


if __name__ == "__main__":
    main()
