"""The process `croupier run` supervises: the parts it starts (HTTP, gRPC, bot, relay), the
background jobs beside them, the heartbeat, and the orderly drain on SIGINT/SIGTERM.

Each part's door is imported when the part starts: `croupier run --only grpc` does not import
aiogram or Litestar (seconds of import each), as its container holds no bot (see
entrypoints.composition.containers)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import click
from dishka import AsyncContainer
from sqlalchemy.ext.asyncio import AsyncEngine

from application.ports import UnitOfWorkFactory
from application.relay import OutboxRelay
from application.risk import MonitorOutcomes
from entrypoints.cli.aggregator_jobs import start_aggregator_jobs
from entrypoints.cli.crypto_pay_jobs import start_crypto_pay_jobs
from entrypoints.cli.duel_jobs import start_duel_jobs
from entrypoints.cli.environment import safe_url
from entrypoints.cli.failures import fail
from entrypoints.cli.grpc_workers import GrpcWorkers
from entrypoints.cli.promotion_jobs import start_promotion_jobs
from entrypoints.cli.relay_process import RelayChild
from entrypoints.cli.run import PARTS
from entrypoints.composition.containers import make_run_container
from entrypoints.composition.endpoints import Endpoints
from entrypoints.composition.ledger_totals import refresh_ledger_totals
from entrypoints.health.heartbeat import keep_beating
from entrypoints.health.readiness import database_answers
from entrypoints.observability.metrics import serve_metrics
from entrypoints.process.collector import freeze_what_started
from entrypoints.process.periodic import every
from entrypoints.settings import Environment, Settings

if TYPE_CHECKING:
    import uvicorn

    from entrypoints.bot.runtime import TelegramRuntime
    from entrypoints.grpc.server import GrpcServer

log = logging.getLogger("croupier")


async def serve(
    settings: Settings,
    endpoints: Endpoints,
    parts: frozenset[str] = frozenset(PARTS),
    *,
    grpc_worker: bool = False,
) -> None:
    """`grpc_worker`: one of the extra gRPC processes (entrypoints.cli.grpc_workers), which
    serves gRPC only and leaves metrics, the heartbeat and the banner to the first."""
    # One container for the parts started, whatever their number: one bet queue per process.
    container = make_run_container(settings, endpoints, parts)
    # Resolve the ledger now: a database that is not ready fails the start, not the first bet.
    await container.get(UnitOfWorkFactory)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    relay_child: asyncio.Task[None] | None = None
    if "relay" in parts and not relay_in_process(settings, parts):
        # First: the child starts (imports, connects) while this process starts its servers.
        relay_child = asyncio.create_task(RelayChild().supervise(endpoints, stop))

    production = settings.environment is Environment.PRODUCTION
    grpc_server: GrpcServer | None = None
    workers: GrpcWorkers | None = None
    if "grpc" in parts:
        from application.access import Authenticate
        from entrypoints.grpc.server import GrpcServer

        try:
            grpc_server = GrpcServer(container, settings, await container.get(Authenticate))
        except OSError as error:  # the port is taken (by another process, without sharing)
            await container.close()
            fail(f"the gRPC server {error}")
        await grpc_server.start()
        log.info("gRPC serving on %s", grpc_server.address)
        if settings.grpc_processes > 1 and not grpc_worker:
            workers = await GrpcWorkers.start(settings, endpoints, grpc_server.port)
    http: uvicorn.Server | None = None
    http_task: asyncio.Task[None] | None = None
    if "http" in parts:
        import uvicorn

        from entrypoints.cli.http_server import http_server_config
        from entrypoints.http.app import create_app

        http = uvicorn.Server(
            http_server_config(create_app(container, production=production), settings)
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
            fail(f"the HTTP server could not listen on {settings.http_host}:{settings.http_port}")
    bot_task: asyncio.Task[None] | None = None
    if "bot" in parts or "http" in parts:  # the others' containers hold no bot
        from entrypoints.bot.runtime import TelegramRuntime

        bot_task = await _start_bot(settings, await container.get(TelegramRuntime), parts)
    background = (
        _start_background_jobs(settings, container, stop, parts) if "relay" in parts else []
    )
    if not grpc_worker and ("bot" in parts or "http" in parts):
        background += await send_bot_notices(container, stop)
    if relay_child is not None:
        background.append(relay_child)
    if settings.crash_driver and not grpc_worker and parts & {"http", "grpc"}:
        # Every instance competes; the one holding the lock drives crash rounds.
        background.append(asyncio.create_task(drive_crash_rounds(container, stop)))
    # The ledger totals are refreshed where the metrics are served.
    metrics_server = None
    if metrics_on_own_port(settings, parts) and not grpc_worker:
        metrics_server = serve_metrics(settings.http_host, settings.metrics_port)
    if "http" in parts or metrics_server is not None:
        totals = _export_ledger_totals(settings, container, stop)
        if totals is not None:
            background.append(totals)
    watched = [t for t in (http_task, bot_task, *background) if t is not None]
    if workers is not None:
        watched += workers.watches
    if settings.heartbeat_file is not None and not grpc_worker:
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
    if not grpc_worker:
        _print_listening(settings, endpoints, grpc_server, parts)
    # Serving from here on: what start-up built stays, out of the collector's passes.
    freeze_what_started()

    await stop.wait()
    await asyncio.gather(*background)
    for registering in tuple(_REGISTERING):
        registering.cancel()
    click.echo("shutting down: draining in-flight requests…")
    if bot_task is not None:
        from entrypoints.bot.runtime import TelegramRuntime

        runtime = await container.get(TelegramRuntime)
        assert runtime.dispatcher is not None
        await runtime.dispatcher.stop_polling()
        await bot_task
    if http is not None:
        http.should_exit = True
    if grpc_server is not None:
        await asyncio.gather(grpc_server.stop(), *([workers.stop()] if workers else []))
    if metrics_server is not None:
        metrics_server.shutdown()
    if http_task is not None:
        await http_task  # its lifespan shutdown closes the container
    else:
        await container.close()


def metrics_on_own_port(settings: Settings, parts: frozenset[str]) -> bool:
    """Metrics are scraped from the HTTP part's /metrics in development, else from a bare
    endpoint on the metrics port: production keeps them (bankroll totals among them) off the
    public HTTP port."""
    production = settings.environment is Environment.PRODUCTION
    return bool(settings.metrics_port) and ("http" not in parts or production)


async def drive_crash_rounds(container: AsyncContainer, stop: asyncio.Event) -> None:
    from application.crash import CrashDriver

    driver = await container.get(CrashDriver)
    await driver.run(stop)


async def send_bot_notices(
    container: AsyncContainer, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """Where the bot runs: crash results readied from the event stream, and sent (by the
    one instance holding the sender's lock)."""
    from entrypoints.composition.notices import NoticeJobs

    jobs = await container.get(NoticeJobs)
    if jobs.listener is None or jobs.sender is None:
        return []
    return [
        asyncio.create_task(jobs.listener.run(stop)),
        asyncio.create_task(jobs.sender.run(stop)),
    ]


async def relay_events(container: AsyncContainer, stop: asyncio.Event) -> None:
    relay = await container.get(OutboxRelay)
    await relay.run(stop)


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


def relay_in_process(settings: Settings, parts: frozenset[str]) -> bool:
    """Whether the outbox relay runs in this process: when asked to, or when it is the only
    part (then this process is the relay's own); else it is a child process."""
    return settings.relay_in_process or parts == frozenset({"relay"})


def _start_background_jobs(
    settings: Settings, container: AsyncContainer, stop: asyncio.Event, parts: frozenset[str]
) -> list[asyncio.Task[None]]:
    jobs: list[asyncio.Task[None]] = []
    # The outbox relay publishes domain events to Redis (one relay runs per database; in a
    # second `croupier run` or next to `croupier relay` it waits for the lock). Unless it
    # runs here, it is the child process started at the top of `serve`.
    if relay_in_process(settings, parts):
        jobs.append(asyncio.create_task(relay_events(container, stop)))
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
    jobs += start_promotion_jobs(settings, container, stop, parts)
    jobs += start_duel_jobs(settings, container, stop, parts)
    jobs += start_crypto_pay_jobs(settings, container, stop, parts)
    jobs += start_aggregator_jobs(settings, container, stop, parts)
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


# Held so the registration task is not garbage-collected while it retries.
_REGISTERING: set[asyncio.Task[None]] = set()
WEBHOOK_RETRY_MAX_S = 60.0


async def register_webhook(
    runtime: TelegramRuntime, settings: Settings, *, first_delay_s: float = 1.0
) -> None:
    """Register the webhook, retrying with a doubling delay (at most a minute) until Telegram
    answers; then mark it registered for readiness and run the dispatcher's start-up (the
    command menu, entrypoints/bot/commands.py)."""
    assert runtime.bot is not None
    assert runtime.dispatcher is not None
    assert settings.bot_webhook_url is not None
    delay = first_delay_s
    while True:
        try:
            await runtime.bot.set_webhook(
                settings.bot_webhook_url,
                secret_token=settings.bot_webhook_secret,
                allowed_updates=runtime.dispatcher.resolve_used_update_types(),
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # any failure: Telegram unreachable, refused, timed out
            log.warning("registering the webhook failed (%s); retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, WEBHOOK_RETRY_MAX_S)
            continue
        runtime.webhook.registered = True
        log.info("webhook registered with Telegram")
        # What polling does at its start (the command menu in each language): once per start.
        await runtime.dispatcher.emit_startup(bot=runtime.bot)
        return


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
        # In the background: Telegram unreachable at start-up must not take HTTP and gRPC
        # down with it. Not a watched task (it ends when registered); readiness reports it.
        task = asyncio.create_task(register_webhook(runtime, settings))
        _REGISTERING.add(task)
        task.add_done_callback(_REGISTERING.discard)
        return None
    if "bot" not in parts:
        return None
    from entrypoints.bot.app import run_polling

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
        (
            "gRPC",
            None
            if grpc_server is None
            else grpc_server.address
            + (f"  ({settings.grpc_processes} processes)" if settings.grpc_processes > 1 else ""),
        ),
        (
            "Telegram bot",
            bot if "bot" in parts or ("http" in parts and settings.bot_webhook_url) else None,
        ),
        (
            "Outbox relay",
            (
                "publishing to Redis"
                + (" (in this process)" if relay_in_process(settings, parts) else " (a child)")
            )
            if "relay" in parts
            else None,
        ),
        (
            "PostgreSQL",
            safe_url(endpoints.database_url)
            + (embedded.format(data_dir / "postgres") if endpoints.embedded_postgres else ""),
        ),
        (
            "Redis",
            safe_url(endpoints.redis_url)
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
