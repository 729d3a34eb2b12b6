"""`croupier verify --game plinko`: a drop recomputed from its seeds, offline, with its path."""

from __future__ import annotations

from click.testing import CliRunner

from entrypoints.cli import main

SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"
OFFLINE = {"CROUPIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}


def _verify(*params: str):
    arguments = ["verify", "--game", "plinko", "--server-seed", SEED]
    arguments += ["--client-seed", "lucky-client-seed", "--nonce", "0"]
    for p in params:
        arguments += ["--params", p]
    return CliRunner().invoke(main, arguments, env=OFFLINE)


def test_verify_shows_the_path_slot_and_multiplier():
    # The words of nonce 0 start 8755d493 d5a4f38e e9219c27 64edf765 2e2245bc 517a87c4
    # c89a3938 c5dbe673 (openssl, tests/unit/test_fairness.py): R R R L L L R R.
    result = _verify("rows=8,risk=low")
    assert result.exit_code == 0, result.output
    assert "result            slot 5 of 0-8, path RRRLLLRR" in result.output
    assert "bet               rows=8 risk=low" in result.output
    assert "multiplier        1x (win)" in result.output
    high = _verify("rows=16", "risk=high")
    assert "result            slot 8 of 0-16, path RRRLLLRRLLLRLLRR" in high.output
    assert "multiplier        0.2x (win)" in high.output


def test_verify_says_what_a_drop_needs():
    missing = _verify()
    assert missing.exit_code == 1
    assert "rows and risk" in missing.output
    bad = _verify("rows=40,risk=low")
    assert bad.exit_code == 1
    assert "from 8 to 16" in bad.output
    assert all("Traceback" not in r.output for r in (missing, bad))
