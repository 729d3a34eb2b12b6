"""`croupier crash chain new` / `salt` and `croupier verify --game crash`: the chain committed
as the owner (its end printed, never its secret), the salt set once, a round's hash checked
against the published end and its crash point recomputed offline."""

from __future__ import annotations

import asyncio
import re

from click.testing import CliRunner
from sqlalchemy import text

from adapters.postgres.engine import create_engine
from domain.crash import crash_point
from entrypoints.cli import main

SALT = "00000000000000000002d7a7d7e4bd8f0b1c0c5e0a4f2f9c8e2a7b1f3e5d7c9a"


async def _owner(url: str, statement: str, **params: object) -> list:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            return list(await conn.execute(text(statement), params))
    finally:
        await engine.dispose()


def test_a_chain_is_committed_salted_once_and_its_rounds_verified(servers):
    env = {"CROUPIER_DATABASE_URL": servers.database_url, "CROUPIER_REDIS_URL": servers.redis_url}
    runner = CliRunner()
    made = runner.invoke(
        main, ["crash", "chain", "new", "--length", "3", "--checkpoint-every", "1"], env=env
    )
    assert made.exit_code == 0, made.output
    chain_id = int(re.search(r"crash chain (\d+): 3 rounds", made.output).group(1))
    end = made.output.splitlines()[1]
    assert re.fullmatch(r"[0-9a-f]{64}", end)
    salted = runner.invoke(main, ["crash", "chain", "salt", str(chain_id), SALT], env=env)
    assert salted.exit_code == 0, salted.output
    again = runner.invoke(main, ["crash", "chain", "salt", str(chain_id), "other"], env=env)
    assert again.exit_code == 1
    assert "has its salt already" in again.output
    assert "Traceback" not in again.output
    # Round 2 uses link 1 (read here as the owner; the services cannot), and no round of
    # this chain may be played by another test's driver.
    rows = asyncio.run(
        _owner(
            servers.database_url,
            "WITH used AS (UPDATE crash_chains SET next_round = length + 1 WHERE id = :c)"
            " SELECT link_hash FROM crash_chain_checkpoints WHERE chain_id = :c"
            " AND link_index = 1",
            c=chain_id,
        )
    )
    round_hash = rows[0].link_hash
    args = ["verify", "--game", "crash", "--round", "2", "--salt", SALT, "--chain-end", end]
    checked = runner.invoke(main, [*args, "--round-hash", round_hash])
    assert checked.exit_code == 0, checked.output
    point = crash_point(round_hash, SALT)
    assert f"-> {point // 100}.{point % 100:02d}x" in checked.output
    assert "published end" in checked.output
    wrong = runner.invoke(main, ["verify", "--game", "crash", "--round", "1", "--salt", SALT,
                                 "--chain-end", end, "--round-hash", round_hash])  # fmt: skip
    assert wrong.exit_code == 1
    assert "not round 1 of that chain" in wrong.output
    missing = runner.invoke(main, ["verify", "--game", "crash", "--round", "1"])
    assert missing.exit_code == 2
    assert "--round-hash" in missing.output
