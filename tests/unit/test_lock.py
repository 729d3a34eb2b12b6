"""The lock files (requirements/*.txt, written by `./dev lock`): every requirement of
pyproject.toml is pinned with hashes, the image's lock agrees with the developers', and the
environment the tests run in is the locked one. Offline: nothing here asks a registry."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
DEV_EXTRAS = ("dev", "bench", "otel")  # what requirements/dev.txt locks
APP_EXTRAS = ("otel",)  # what the image installs (requirements/app.txt)


@dataclass(frozen=True, slots=True)
class Pin:
    name: str
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]

    def applies(self) -> bool:
        return self.marker is None or self.marker.evaluate()


_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)\s*(;(?P<marker>.*))?$")


def read_lock(path: Path) -> dict[str, Pin]:
    """A requirements file as uv writes it: `name==version ; marker` then `--hash=` lines,
    joined by backslashes; comments say why each is there."""
    text = path.read_text().replace("\\\n", " ")
    pins: dict[str, Pin] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, *options = line.split(" --")
        match = _PIN.match(head.strip())
        assert match, f"{path.name}: not an exact pin: {line[:80]!r}"
        hashes = tuple(o.removeprefix("hash=") for o in options if o.startswith("hash="))
        marker = Marker(match["marker"]) if match["marker"] else None
        name = canonicalize_name(match["name"])
        assert name not in pins, f"{path.name}: {name} pinned twice"
        pins[name] = Pin(name, match["version"], marker, hashes)
    return pins


DEV = read_lock(ROOT / "requirements" / "dev.txt")
APP = read_lock(ROOT / "requirements" / "app.txt")


def _requirements(*extras: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    tools = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "requirements" / "tools.in").read_text().splitlines()
    ]
    texts = [
        *project["dependencies"],
        *(r for extra in extras for r in project["optional-dependencies"][extra]),
        *PYPROJECT["build-system"]["requires"],
        *(t for t in tools if t),
    ]
    requirements = [Requirement(text) for text in texts]
    return [r for r in requirements if canonicalize_name(r.name) != "croupier"]


@pytest.mark.parametrize(
    ("lock", "extras"), [(DEV, DEV_EXTRAS), (APP, APP_EXTRAS)], ids=["dev.txt", "app.txt"]
)
def test_every_requirement_of_pyproject_is_pinned_to_a_version_it_allows(
    lock: dict[str, Pin], extras: tuple[str, ...]
) -> None:
    missing, outside = [], []
    for requirement in _requirements(*extras):
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        pin = lock.get(canonicalize_name(requirement.name))
        if pin is None:
            missing.append(str(requirement))
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            outside.append(f"{requirement} (locked {pin.version})")
    assert not missing, f"not in the lock, run ./dev lock: {missing}"
    assert not outside, f"locked outside pyproject's range, run ./dev lock: {outside}"


def test_every_pin_carries_hashes() -> None:
    for lock in (DEV, APP):
        unhashed = [pin.name for pin in lock.values() if not pin.hashes]
        assert not unhashed
        assert all(h.startswith("sha256:") for pin in lock.values() for h in pin.hashes)


def test_the_image_installs_the_developers_versions() -> None:
    differ = {
        name: (pin.version, DEV[name].version if name in DEV else None)
        for name, pin in APP.items()
        if name not in DEV or DEV[name].version != pin.version
    }
    assert not differ, f"app.txt and dev.txt disagree (app, dev): {differ}"
    # ... and not the test tooling.
    assert not {"pytest", "hypothesis", "schemathesis", "playwright", "mypy"} & APP.keys()


def test_the_environment_running_the_tests_is_the_locked_one() -> None:
    wrong = {}
    for pin in DEV.values():
        if not pin.applies():
            continue
        try:
            installed = metadata.version(pin.name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != pin.version:
            wrong[pin.name] = f"locked {pin.version}, installed {installed}"
    assert not wrong, f"./dev install did not apply requirements/dev.txt: {wrong}"


def test_the_reader_refuses_what_is_not_an_exact_pin(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("httpx>=0.28 \\\n    --hash=sha256:00\n")
    with pytest.raises(AssertionError, match="not an exact pin"):
        read_lock(lock)
    lock.write_text("colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:ab\n")
    pin = read_lock(lock)["colorama"]
    assert (pin.version, pin.hashes) == ("0.4.6", ("sha256:ab",))
    assert pin.applies() == (Marker("sys_platform == 'win32'").evaluate())
