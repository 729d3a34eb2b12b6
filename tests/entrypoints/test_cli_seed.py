"""`croupier dev seed` (issue 20): a development database ready for a first bet, made through
the use cases, twice without doubling anything, and never in production."""

from __future__ import annotations

import asyncio
import re
import secrets

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from entrypoints.cli import main
from tests.entrypoints.scratch import scratch_engine, scratch_url

__all__ = ["scratch_engine", "scratch_url"]  # fixtures

pytestmark = [pytest.mark.integration]


def _env(servers, url, tmp_path, **more: str) -> dict[str, str]:
    return {
        "CROUPIER_DATABASE_URL": url,
        "CROUPIER_REDIS_URL": servers.redis_url,
        "CROUPIER_DATA_DIR": str(tmp_path / "data"),
        **more,
    }


async def _invoke(env: dict[str, str]) -> Result:
    # The command runs its own event loop (asyncio.run): not on this test's.
    return await asyncio.to_thread(CliRunner().invoke, main, ["dev", "seed"], env=env)


def _values(path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        found[name] = value
    return found


async def _money(engine, player_id: int) -> tuple[int, int]:
    """The player's XTR balance and the house bankroll's (all shards)."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT balance FROM accounts WHERE player_id = :p"
                    " AND currency = 'XTR') AS wallet, (SELECT sum(balance) FROM accounts"
                    " WHERE kind = 'house_bankroll' AND currency = 'XTR') AS bankroll"
                ),
                {"p": player_id},
            )
        ).one()
    return row.wallet, row.bankroll


async def test_seed_makes_what_a_first_bet_needs_and_a_second_run_doubles_nothing(
    servers, scratch_url, scratch_engine, tmp_path
):
    engine = scratch_engine
    env = _env(servers, scratch_url, tmp_path)
    first = await _invoke(env)
    assert first.exit_code == 0, first.output
    written = tmp_path / "data" / "seed.env"
    values = _values(written)
    assert written.stat().st_mode & 0o777 == 0o600  # a password and a key
    assert values["DEMO_ADMIN"] == "demo-admin"
    assert values["DEMO_API_KEY"].startswith("crp_")
    assert f"password {values['DEMO_ADMIN_PASSWORD']}" in first.output
    assert values["DEMO_API_KEY"] in first.output
    player_id = int(values["DEMO_PLAYER_ID"])
    assert re.search(rf"player +id {player_id} +demo-ann .*made now", first.output)
    wallet, bankroll = await _money(engine, player_id)
    assert wallet == 10_000
    assert bankroll >= 1_000_000

    second = await _invoke(env)
    assert second.exit_code == 0, second.output
    again = _values(written)
    # The same admin (its password repeated from seed.env), players and money; a new key.
    assert again["DEMO_ADMIN_PASSWORD"] == values["DEMO_ADMIN_PASSWORD"]
    assert again["DEMO_PLAYER_ID"] == values["DEMO_PLAYER_ID"]
    assert again["DEMO_API_KEY"] != values["DEMO_API_KEY"]
    assert "demo-admin existed" in second.output
    assert "funded by an earlier run" in second.output
    assert "made now" not in second.output
    assert await _money(engine, player_id) == (wallet, bankroll)
    async with engine.connect() as conn:
        admins = await conn.scalar(text("SELECT count(*) FROM staff WHERE username = 'demo-admin'"))
    assert admins == 1


async def test_seed_is_refused_in_production_and_writes_nothing(servers, tmp_path, engine):
    # The shared test database: nothing may be written to it.
    async with engine.connect() as conn:
        keys_before = await conn.scalar(text("SELECT count(*) FROM api_keys"))
    production = _env(
        servers,
        servers.database_url,
        tmp_path,
        CROUPIER_ENV="production",
        CROUPIER_SECRET_KEY=secrets.token_urlsafe(48),
        CROUPIER_SEED_KEY=secrets.token_hex(32),
        CROUPIER_PII_KEYS="1:" + secrets.token_hex(32),
        CROUPIER_PII_INDEX_KEY=secrets.token_hex(32),
    )
    result = await _invoke(production)
    assert result.exit_code == 1
    assert "refused when CROUPIER_ENV=production" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data" / "seed.env").exists()
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM api_keys")) == keys_before
