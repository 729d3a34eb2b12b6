from __future__ import annotations

from click.testing import CliRunner

from entrypoints.cli import main


def test_help_lists_the_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "db", "currency", "servers"):
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
