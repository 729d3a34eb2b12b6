"""The promises of docker-compose.yml and the Dockerfile, checked without Docker (which this
project's machines do not have): the stack's structure, and the image's package built from
exactly the files the Dockerfile copies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from entrypoints.cli import PARTS

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("http", "grpc", "relay", "bot")
PROBE_OF_PART = {"http": "http", "grpc": "grpc", "relay": "heartbeat", "bot": "heartbeat"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _substitute(value: str) -> str:
    """Compose's `${NAME:-default}` / `${NAME}` with nothing set: the defaults; a required
    `${NAME:?message}` as if the operator had set it."""
    return re.sub(
        r"\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}",
        lambda m: m.group(1).lower() if m.group(2) == "?" else (m.group(3) or ""),
        value,
    )


SECRETS = (
    "CROUPIER_SECRET_KEY",
    "CROUPIER_SEED_KEY",
    "CROUPIER_PII_KEYS",
    "CROUPIER_PII_INDEX_KEY",
    "POSTGRES_PASSWORD",
    "CROUPIER_OWNER_DB_PASSWORD",
    "CROUPIER_APP_DB_PASSWORD",
)


def test_the_compose_file_ships_no_secret_only_required_variables():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(:?[-?]?)([^}]*)\}", text)
        assert uses, name
        for operator, message in uses:
            assert operator == ":?", f"{name} must be required, not defaulted"
            assert "croupier secrets generate" in message, name
    # Nothing else defaults to a value that could pass for a key or a password.
    for default in re.findall(r"\$\{[A-Z0-9_]+:-([^}]*)\}", text):
        assert default == "", default


def _database_user(service: dict[str, Any]) -> str:
    url = make_url(_substitute(service["environment"]["CROUPIER_DATABASE_URL"]))
    assert url.host == "postgres"
    return str(url.username)


def test_every_long_running_service_has_a_health_check_that_probes_it(compose):
    services = compose["services"]
    long_running = {name for name, s in services.items() if s.get("restart") != "no"}
    assert long_running == {"postgres", "redis", *APP_SERVICES}
    for name in long_running:
        test = services[name]["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL"), name
        assert len(test) > 1, name
    for name in APP_SERVICES:
        service = services[name]
        command = service["command"]
        assert command[:3] == ["croupier", "run", "--only"], name
        parts = command[3].split(",")
        assert len(parts) == 1, f"{name} runs one part, probed by its own check"
        probe = service["healthcheck"]["test"]
        assert probe == ["CMD", "croupier", "health", PROBE_OF_PART[parts[0]]], name
        if PROBE_OF_PART[parts[0]] == "heartbeat":
            assert service["environment"]["CROUPIER_HEARTBEAT_FILE"], name
    # Together the services run every part of the backend.
    assert {s["command"][3] for n, s in services.items() if n in APP_SERVICES} == set(PARTS)


def test_the_services_connect_as_the_app_role_and_only_migrate_as_the_owner(compose):
    services = compose["services"]
    superuser = services["postgres"]["environment"]["POSTGRES_USER"]
    owner = _database_user(services["migrate"])
    assert {_database_user(services[name]) for name in APP_SERVICES} == {"croupier_app"}
    assert owner == "croupier_owner"
    assert len({superuser, owner, "croupier_app"}) == 3
    # migrate migrates, then grants exactly that role what the code needs.
    script = " ".join(services["migrate"]["command"])
    assert re.search(r"croupier db upgrade && croupier db grant croupier_app\b", script)
    # The roles come from the init script the postgres service mounts.
    mounts = services["postgres"]["volumes"]
    assert "./deploy/postgres/initdb:/docker-entrypoint-initdb.d:ro" in mounts
    init = (ROOT / "deploy/postgres/initdb/10-croupier-roles.sh").read_text()
    assert "CREATE ROLE croupier_owner LOGIN NOSUPERUSER" in init
    assert "CREATE ROLE croupier_app LOGIN NOSUPERUSER" in init
    for variable in ("CROUPIER_OWNER_DB_PASSWORD", "CROUPIER_APP_DB_PASSWORD"):
        assert variable in services["postgres"]["environment"]


def test_migrate_runs_before_every_part_and_after_the_database(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in APP_SERVICES:
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
        assert services[name]["image"] == services["migrate"]["image"]


def _dockerfile_stages() -> list[list[str]]:
    lines = (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    stages: list[list[str]] = []
    for line in (raw.strip() for raw in lines):
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_the_image_runs_as_a_user_and_probes_itself():
    _, runtime = _dockerfile_stages()
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users
    assert users[-1] not in ("root", "0")
    assert any('"croupier", "health", "http"' in line for line in runtime)
    assert any(line.startswith("COPY --from=build /venv") for line in runtime)


def test_the_image_package_built_from_the_dockerfiles_files_carries_the_grpc_code(tmp_path):
    build, _ = _dockerfile_stages()
    sources: list[str] = []
    for line in build:
        words = line.split()
        if words[0].upper() == "COPY" and not words[1].startswith("--"):
            sources += words[1:-1]
    tracked = subprocess.run(
        ["git", "ls-files", "--", *sources], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "setup.py" in tracked
    context = tmp_path / "context"
    for name in tracked:
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, context / name)
    assert not list((context / "src/croupier/v1").glob("*_pb2*"))  # only the build makes them
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(context),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (tmp_path / "dist").glob("croupier-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for proto in ("common", "wallet", "betting", "seamless"):
        assert f"croupier/v1/{proto}_pb2.py" in names
        assert f"croupier/v1/{proto}_pb2_grpc.py" in names
    assert any(n.startswith("adapters/postgres/migrations/versions/0001_") for n in names)
    assert any(n.startswith("entrypoints/http/static/miniapp/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert (
        "croupier = entrypoints.process.launcher:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )
