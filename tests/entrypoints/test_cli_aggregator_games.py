"""`croupier aggregator games` against a local Hub88-style operator API that checks Croupier's
signature (in a thread of its own: the command runs its own event loop): refresh, list,
enable and disable (audited as the CLI); the aggregator down is a clear refusal, not a
traceback; and the periodic refresh `croupier run` starts only beside its http part with an
operator API configured."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from entrypoints.cli import main
from entrypoints.cli.aggregator_jobs import start_aggregator_jobs
from entrypoints.settings import Settings
from tests.entrypoints.aggregator_doors import KeyPair
from tests.fake_aggregator_operator_server import FakeAggregatorOperatorServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

OURS = KeyPair.new()


@pytest.fixture
async def aggregator():
    server = await FakeAggregatorOperatorServer(OURS.private.public_key()).start()
    server.game("slot-a", "Alpha Slot")
    server.game("slot-b", "Beta Slot")
    yield server
    await server.close()


async def test_refresh_list_and_switch_games_from_the_command_line(
    servers, aggregator, tmp_path, engine
):
    name = f"hub-{secrets.token_hex(4)}"
    env = {
        "CROUPIER_DATABASE_URL": servers.database_url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_AGGREGATOR_SIGNING_KEY": str(OURS.write_private(tmp_path / "croupier.pem")),
        "CROUPIER_GAME_SESSION_KEY": secrets.token_hex(32),
        "CROUPIER_AGGREGATOR_API_URLS": f"{name}={aggregator.url}",
        "CROUPIER_AGGREGATOR_OPERATOR_IDS": f"{name}={aggregator.operator_id}",
        "CROUPIER_AGGREGATOR_API_TIMEOUT_S": "2",
    }
    runner = CliRunner()

    async def run(*args: str):
        return await asyncio.to_thread(runner.invoke, main, ["aggregator", "games", *args], env=env)

    refreshed = await run("refresh", name)
    assert refreshed.exit_code == 0, refreshed.output
    assert f"{name}: 2 listed, 2 new (switched off), 0 gone from the list" in refreshed.output
    enabled = await run("enable", name, "slot-b")
    assert enabled.exit_code == 0, enabled.output
    assert f"{name} slot-b: on" in enabled.output
    listed = await run("list", name)
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.output.splitlines() if "\t" in line]
    lines = sorted(row[1:4] for row in rows)
    assert lines == [["slot-a", "Alpha Slot", "off"], ["slot-b", "Beta Slot", "launchable"]]
    disabled = await run("disable", name, "slot-b")
    assert disabled.exit_code == 0, disabled.output
    async with engine.connect() as conn:
        actors = (
            await conn.scalars(
                text(
                    "SELECT actor FROM audit_log WHERE action = 'aggregator_game_changed'"
                    " AND subject = :s ORDER BY id"
                ),
                {"s": f"aggregator_game:{name}/slot-b"},
            )
        ).all()
    assert actors == ["cli", "cli"]
    missing = await run("enable", name, "no-such-game")
    assert missing.exit_code == 1
    assert "Traceback" not in missing.output
    assert aggregator.refused == 0

    await aggregator.stop()
    down = await run("refresh", name)
    assert down.exit_code == 1
    assert "Traceback" not in down.output
    assert down.output.strip()


async def test_croupier_run_refreshes_only_beside_http_with_an_operator_api() -> None:
    stop = asyncio.Event()
    api = {
        "aggregator_api_urls": "hub88=http://127.0.0.1:9",
        "aggregator_operator_ids": "hub88=1",
        "aggregator_signing_key": "/etc/croupier/wallet.pem",
        "game_session_key": secrets.token_hex(32),
    }
    # The forgetting of kept answers, the other aggregator job, is off here: this is the
    # refresh's rule (tests/entrypoints/test_aggregator_answer_jobs.py has the other's).
    quiet = {"aggregator_forget_interval_s": 0}
    off = Settings(**quiet)
    on = Settings(**api, **quiet, aggregator_games_refresh_s=3600)
    never = Settings(**api, **quiet, aggregator_games_refresh_s=0)
    assert start_aggregator_jobs(off, None, stop, frozenset({"http"})) == []  # type: ignore[arg-type]
    assert start_aggregator_jobs(never, None, stop, frozenset({"http"})) == []  # type: ignore[arg-type]
    assert start_aggregator_jobs(on, None, stop, frozenset({"bot", "grpc"})) == []  # type: ignore[arg-type]
    stop.set()  # stopped before its first run: the job ends at once
    tasks = start_aggregator_jobs(on, None, stop, frozenset({"http"}))  # type: ignore[arg-type]
    assert len(tasks) == 1
    both = Settings(**api, aggregator_games_refresh_s=3600, aggregator_forget_interval_s=3600)
    tasks += start_aggregator_jobs(both, None, stop, frozenset({"http"}))  # type: ignore[arg-type]
    assert len(tasks) == 3  # beside http, with both on: the refresh and the forgetting
    await asyncio.wait_for(asyncio.gather(*tasks), 5)


def test_an_operator_api_needs_its_id_and_the_keys() -> None:
    with pytest.raises(ValueError, match="AGGREGATOR_OPERATOR_IDS needs an id for 'hub88'") as half:
        Settings(aggregator_api_urls="hub88=https://api.example")
    assert "CROUPIER_AGGREGATOR_SIGNING_KEY is required" in str(half.value)
    assert "CROUPIER_GAME_SESSION_KEY is required" in str(half.value)
    whole = Settings(
        aggregator_api_urls="hub88=https://api.example/",
        aggregator_operator_ids="hub88=42",
        aggregator_signing_key="/etc/croupier/wallet.pem",
        game_session_key=secrets.token_hex(32),
    )
    assert list(whole.aggregators_problems()) == []
    assert whole.aggregator_operator_apis() == {"hub88": ("https://api.example", 42)}
