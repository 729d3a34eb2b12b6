from __future__ import annotations

import secrets

from click.testing import CliRunner

from entrypoints.cli import main


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "db", "currency", "servers", "verify", "bankroll"):
        assert command in result.output


def test_bad_setting_fails_with_the_variable_name_not_a_traceback():
    result = CliRunner().invoke(main, ["db", "current"], env={"CROUPIER_HTTP_PORT": "x"})
    assert result.exit_code == 2
    assert "CROUPIER_HTTP_PORT" in result.output
    assert "Traceback" not in result.output


def test_currency_add_and_list(servers):
    env = {"CROUPIER_DATABASE_URL": servers.database_url, "CROUPIER_REDIS_URL": servers.redis_url}
    runner = CliRunner()
    added = runner.invoke(main, ["currency", "add", "eur", "2", "--name", "Euro"], env=env)
    assert added.exit_code == 0, added.output
    assert "EUR added" in added.output
    again = runner.invoke(main, ["currency", "add", "EUR", "2"], env=env)
    assert "already exists" in again.output
    clash = runner.invoke(main, ["currency", "add", "EUR", "3"], env=env)
    assert clash.exit_code == 1
    assert "exponent 2" in clash.output
    listed = runner.invoke(main, ["currency", "list"], env=env)
    assert "EUR" in listed.output
    assert "XTR" in listed.output


SEED = "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"


def test_verify_prints_the_outcome_and_multiplier_without_a_database():
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--game",
            "dice",
            "--server-seed",
            SEED,
            "--client-seed",
            "lucky-client-seed",
            "--nonce",
            "0",
            "--params",
            "direction=over,target=50",
        ],
        env={"CROUPIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
    )
    assert result.exit_code == 0, result.output
    assert "result            52.87" in result.output
    assert "multiplier        1.9801x (win)" in result.output
    assert "e0bc614e4fd035a488619799853b075143deea596c477b8dc077e309c0fe42e9" in result.output


def test_verify_explains_bad_input():
    runner = CliRunner()
    bad_seed = runner.invoke(
        main,
        ["verify", "--game", "coin", "--server-seed", "zz", "--client-seed", "c", "--nonce", "0"],
    )
    assert bad_seed.exit_code == 1
    assert "64 lower-case hexadecimal" in bad_seed.output
    bad_game = runner.invoke(
        main,
        [
            "verify",
            "--game",
            "tg_slot",
            "--server-seed",
            SEED,
            "--client-seed",
            "c",
            "--nonce",
            "0",
        ],
    )
    assert bad_game.exit_code == 1
    assert "Telegram" in bad_game.output
    bad_params = runner.invoke(
        main,
        [
            "verify",
            "--game",
            "coin",
            "--server-seed",
            SEED,
            "--client-seed",
            "c",
            "--nonce",
            "0",
            "--params",
            "x",
        ],
    )
    assert "KEY=VALUE" in bad_params.output
    assert all("Traceback" not in r.output for r in (bad_seed, bad_game, bad_params))


def test_bankroll_fund(servers):
    env = {"CROUPIER_DATABASE_URL": servers.database_url, "CROUPIER_REDIS_URL": servers.redis_url}
    runner = CliRunner()
    funded = runner.invoke(main, ["bankroll", "fund", "ton", "2.5", "--staff", "alice"], env=env)
    assert funded.exit_code == 0, funded.output
    assert "bankroll funded with 2.500000000 TON" in funded.output
    bad = runner.invoke(main, ["bankroll", "fund", "TON", "0", "--staff", "alice"], env=env)
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output


def test_apikey_create_grants_the_players_service(servers):
    """The table checks the services a key names too (migration 0015): a players key is
    written and listed, and a service that does not exist is refused by the CLI's choice."""
    env = {"CROUPIER_DATABASE_URL": servers.database_url, "CROUPIER_REDIS_URL": servers.redis_url}
    runner = CliRunner()
    name = f"front-{secrets.token_hex(4)}"
    created = runner.invoke(
        main, ["apikey", "create", name, "--service", "players", "--service", "wallet"], env=env
    )
    assert created.exit_code == 0, created.output
    assert f"API key for {name} (players, wallet)" in created.output
    assert "crp_" in created.output
    listed = runner.invoke(main, ["apikey", "list"], env=env)
    assert any(line.split()[:2] == [name, "players,wallet"] for line in listed.output.splitlines())
    unknown = runner.invoke(main, ["apikey", "create", f"{name}-x", "--service", "nope"], env=env)
    assert unknown.exit_code == 2
    assert "players" in unknown.output  # the choices it offers


def test_secrets_generate_writes_fresh_keys_production_accepts_readable_by_the_owner_only(
    tmp_path,
):
    from entrypoints.settings import Environment, load_settings

    runner = CliRunner()
    first, second = tmp_path / "one.env", tmp_path / "two.env"
    for out in (first, second):
        result = runner.invoke(main, ["secrets", "generate", "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert first.stat().st_mode & 0o777 == 0o600

    def values(path):
        lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
        return dict(line.split("=", 1) for line in lines)

    written = values(first)
    assert set(written) >= {
        "CROUPIER_SECRET_KEY",
        "CROUPIER_SEED_KEY",
        "CROUPIER_PII_KEYS",
        "CROUPIER_PII_INDEX_KEY",
        "POSTGRES_PASSWORD",
        "CROUPIER_OWNER_DB_PASSWORD",
        "CROUPIER_APP_DB_PASSWORD",
    }
    assert all(written[name] != value for name, value in values(second).items())
    settings = load_settings(
        {
            **written,
            "CROUPIER_ENV": "production",
            "CROUPIER_DATABASE_URL": "postgresql://u:p@db:5432/c",
            "CROUPIER_REDIS_URL": "redis://r:6379/0",
        }
    )
    assert settings.environment is Environment.PRODUCTION


def test_secrets_generate_never_overwrites_a_file(tmp_path):
    out = tmp_path / ".env"
    out.write_text("CROUPIER_SEED_KEY=the-live-one\n")
    result = CliRunner().invoke(main, ["secrets", "generate", "--out", str(out)])
    assert result.exit_code == 1
    assert "not overwriting" in result.output
    assert out.read_text() == "CROUPIER_SEED_KEY=the-live-one\n"


def test_apikey_create_takes_caps_and_an_expiry_and_list_shows_them(servers):
    """Issue 18: keys carry caps per currency and may expire; the list says so."""
    env = {"CROUPIER_DATABASE_URL": servers.database_url, "CROUPIER_REDIS_URL": servers.redis_url}
    runner = CliRunner()
    name = f"psp-{secrets.token_hex(4)}"
    created = runner.invoke(
        main,
        [
            *("apikey", "create", name, "--service", "wallet", "--service", "dice"),
            *("--cap", "XTR=5000", "--cap", "ton=10", "--daily-cap", "XTR=20000"),
            *("--expires-in-days", "30"),
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    listed = runner.invoke(main, ["apikey", "list"], env=env)
    (line,) = [line for line in listed.output.splitlines() if line.startswith(f"{name} ")]
    assert line.split()[1:5] == ["dice,wallet", "TON=10,XTR=5000", "XTR=20000/day", "expires"]
    for bad in ("XTR", "XTR=-1", "XTR=1e9", "XTR=0"):
        refused = runner.invoke(
            main, ["apikey", "create", f"{name}-b", "--service", "wallet", "--cap", bad], env=env
        )
        assert refused.exit_code != 0
        assert "Traceback" not in refused.output


def test_verify_shows_a_mines_field_from_the_seeds():
    result = CliRunner().invoke(
        main,
        [
            "verify",
            "--game",
            "mines",
            "--server-seed",
            "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
            "--client-seed",
            "client",
            "--nonce",
            "5",
            "--params",
            "mines=3",
        ],
        env={"CROUPIER_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
    )
    assert result.exit_code == 0, result.output
    assert "mines             1, 7, 21" in result.output
    assert "field (* = mine)  . * . . ." in result.output
    assert "                  . . * . .   tiles 5-9" in result.output
    without = CliRunner().invoke(
        main,
        [
            "verify",
            "--game",
            "mines",
            "--server-seed",
            "6b" * 32,
            "--client-seed",
            "c",
            "--nonce",
            "0",
        ],  # no --params: no mine count
    )
    assert without.exit_code != 0
    assert "mines=3" in without.output
