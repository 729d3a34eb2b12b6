"""`./dev audit` (.ci/audit.py): what fails the audit, what is only listed, and what an
exception must say, decided on recorded registry answers (tests/unit/registry/) replayed by a
local server, never on the live registry."""

from __future__ import annotations

import copy
import http.server
import importlib.util
import io
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_PATH = Path(__file__).resolve().parents[2] / ".ci" / "audit.py"
_spec = importlib.util.spec_from_file_location("ci_audit", _PATH)
assert _spec is not None
assert _spec.loader is not None
audit = importlib.util.module_from_spec(_spec)
sys.modules["ci_audit"] = audit  # dataclasses look their module up by name
_spec.loader.exec_module(audit)

RECORDED = Path(__file__).with_name("registry")
NONE = audit.Exceptions({}, {})
# The versions behind the recorded pip-audit report (tests/unit/registry/README.md).
INSTALLED = {"ecdsa": "0.19.2", "httpx": "0.29.0", "pydantic": "2.13.5", "uvicorn": "0.55.0"}


def _recorded(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((RECORDED / "pypi" / f"{name}.json").read_text())
    return document


def _report(*names: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((RECORDED / "pip-audit-report.json").read_text())
    keep = {*names, "croupier"}
    report["dependencies"] = [d for d in report["dependencies"] if d["name"] in keep]
    return report


class Registry:
    """PyPI's project endpoint on loopback, answering from recorded documents; `status` makes
    it answer an error instead, `stop()` takes it down (connections refused)."""

    def __init__(self) -> None:
        self.documents = {name: _recorded(name) for name in INSTALLED}
        self.status = 200
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")  # pypi/NAME/json
                document = registry.documents.get(parts[1]) if len(parts) == 3 else None
                status = 404 if document is None else registry.status
                body = json.dumps(document).encode() if status == 200 else b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pypi"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def publish(self, name: str, version: str) -> None:
        """A release somebody publishes: the project document now describes `version`."""
        document = copy.deepcopy(self.documents[name])
        document["info"]["version"] = version
        document["vulnerabilities"] = []
        self.documents[name] = document

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    server = Registry()
    monkeypatch.setenv("CROUPIER_AUDIT_PYPI", server.url)
    monkeypatch.setattr(audit, "_installed", lambda name: INSTALLED[name])
    yield server
    if server.thread.is_alive():
        server.stop()


def _run(
    report: dict[str, Any] | Exception, *args: str, ignore: str = "", tmp_path: Path
) -> tuple[int, str]:
    """`./dev audit ARGS` with pip-audit's answer replaced by `report` (or by its failure)."""
    ignore_file = tmp_path / "ignore.txt"
    ignore_file.write_text(ignore)

    def pip_audit() -> dict[str, Any]:
        if isinstance(report, Exception):
            raise report
        return report

    out, err = io.StringIO(), io.StringIO()
    code = audit.main(["--ignore-file", str(ignore_file), *args], audit=pip_audit, out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_installed_at_the_newest_release_is_audited_from_the_project_data(
    registry: Registry, tmp_path: Path
) -> None:
    for strict in ((), ("--strict",)):
        code, text = _run(_report("httpx", "uvicorn"), *strict, tmp_path=tmp_path)
        assert code == 0, text
        assert "2 package(s) audited (2 from PyPI's project data), 0 finding(s)" in text
        assert "0 NOT AUDITED" in text
        assert "NOT AUDITED  " not in text


def test_a_recorded_advisory_fails_the_audit_in_either_mode(
    registry: Registry, tmp_path: Path
) -> None:
    for strict in ((), ("--strict",)):
        code, text = _run(_report("ecdsa", "httpx"), *strict, tmp_path=tmp_path)
        assert code == 1
        finding = "FINDING  ecdsa 0.19.2 PYSEC-2026-1325 (CVE-2024-23342, GHSA-wj6h-64fc-37mp);"
        assert finding in text
        assert "fixed in: no fixed version" in text
        assert "audit FAILED: upgrade, or explain each" in text


def test_an_advisory_explained_by_any_of_its_aliases_is_ignored_with_its_reason(
    registry: Registry, tmp_path: Path
) -> None:
    ignore = "CVE-2024-23342  we never sign with ecdsa; verification is unaffected\n"
    code, text = _run(_report("ecdsa"), "--strict", ignore=ignore, tmp_path=tmp_path)
    assert code == 0, text
    # Both of PyPI's records of the one advisory are matched through the shared alias.
    assert text.count("ignored  ecdsa 0.19.2") == 2
    assert "we never sign with ecdsa" in text


def test_a_version_older_than_the_newest_is_listed_loudly_and_fails_only_strict(
    registry: Registry, tmp_path: Path
) -> None:
    code, text = _run(_report("pydantic", "httpx"), tmp_path=tmp_path)
    assert code == 0, text
    assert "NOT AUDITED  pydantic==2.13.5: the newest release is 2.14.4" in text
    assert "WARNING: 1 package(s) were not audited" in text

    code, text = _run(_report("pydantic", "httpx"), "--strict", tmp_path=tmp_path)
    assert code == 1
    assert "audit FAILED (--strict): packages not audited" in text

    # Strict passes when the ignore file names that exact version with a reason, and an
    # upgrade retires the entry: another version is not covered by it.
    ignore = "pydantic==2.13.5  held back by aiogram\n"
    code, text = _run(_report("pydantic"), "--strict", ignore=ignore, tmp_path=tmp_path)
    assert code == 0, text
    assert "[ignore file: held back by aiogram]" in text
    code, text = _run(
        _report("pydantic"), "--strict", ignore="pydantic==2.13.4  older", tmp_path=tmp_path
    )
    assert code == 1
    assert "pydantic==2.13.4 in the ignore file is audited or not installed" in text


def test_a_release_published_between_two_runs_does_not_turn_the_audit_red(
    registry: Registry, tmp_path: Path
) -> None:
    report = _report("httpx", "uvicorn", "pydantic")
    first, text = _run(report, tmp_path=tmp_path)
    assert first == 0, text
    assert "httpx" not in text  # audited: 0.29.0 is the newest release

    registry.publish("httpx", "0.30.0")
    registry.publish("uvicorn", "0.56.0")
    second, text = _run(report, tmp_path=tmp_path)
    assert second == 0, text
    assert "NOT AUDITED  httpx==0.29.0: the newest release is 0.30.0" in text
    assert "NOT AUDITED  uvicorn==0.55.0: the newest release is 0.56.0" in text
    assert "3 NOT AUDITED (0 because PyPI did not answer)" in text
    # The release check on a machine with full access still fails closed on the same answers.
    assert _run(report, "--strict", tmp_path=tmp_path)[0] == 1


@pytest.mark.parametrize("outage", ["refused", "503"])
def test_a_registry_that_does_not_answer_is_listed_and_fails_only_strict(
    registry: Registry, tmp_path: Path, outage: str
) -> None:
    if outage == "refused":
        registry.stop()
    else:
        registry.status = 503
    report = _report("httpx", "pydantic")
    code, text = _run(report, tmp_path=tmp_path)
    assert code == 0, text
    assert "NOT AUDITED  httpx==0.29.0: PyPI" in text
    assert "0 package(s) audited" in text
    assert "2 NOT AUDITED (2 because PyPI did not answer)" in text
    # Strict fails even on a version the ignore file explains: nobody looked at its data.
    ignore = "pydantic==2.13.5  held back\nhttpx==0.29.0  held back\n"
    assert _run(report, "--strict", ignore=ignore, tmp_path=tmp_path)[0] == 1


def test_when_pip_audit_writes_nothing_the_project_data_still_audits_the_environment(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Dist:
        def __init__(self, name: str, direct_url: str | None = None) -> None:
            self.metadata = {"Name": name}
            self._direct_url = direct_url

        def read_text(self, filename: str) -> str | None:
            return self._direct_url if filename == "direct_url.json" else None

    editable = json.dumps({"url": "file:///src", "dir_info": {"editable": True}})
    dists = [Dist("ecdsa"), Dist("httpx"), Dist("croupier", editable)]
    monkeypatch.setattr(audit.metadata, "distributions", lambda: dists)
    code, text = _run(audit.AuditUnavailable("pypi.org unreachable"), tmp_path=tmp_path)
    assert "NOT AUDITED  pip-audit: pypi.org unreachable; asking PyPI's project data" in text
    assert "FINDING  ecdsa 0.19.2 PYSEC-2026-1325" in text  # still found, and still fails
    assert "2 package(s) audited (2 from PyPI's project data)" in text  # croupier: editable
    assert code == 1


def test_a_finding_of_pip_audit_itself_fails_unless_its_id_or_an_alias_is_explained() -> None:
    vuln = {"id": "PYSEC-1", "aliases": ["CVE-7"], "fix_versions": ["9.9"], "description": ""}
    report = {"dependencies": [{"name": "lib", "version": "1.0", "vulns": [vuln]}]}

    def unused(name: str) -> Any:
        raise AssertionError("a package pip-audit audited needs no other source")

    def judge(exceptions: Any) -> Any:
        return audit.judge(report, installed=unused, project=unused, exceptions=exceptions)

    failed = judge(NONE)
    assert not failed.passed()
    assert [f.id for f in failed.findings] == ["PYSEC-1"]
    explained = judge(audit.parse_exceptions("cve-7  not reachable from our code"))
    assert explained.passed(strict=True)
    assert explained.ignored[0][1] == "not reachable from our code"


def test_a_withdrawn_advisory_is_no_finding() -> None:
    document = _recorded("ecdsa")
    for advisory in document["vulnerabilities"]:
        advisory["withdrawn"] = "2026-12-01T00:00:00"
    verdict = audit.judge(
        _report("ecdsa"),
        installed=INSTALLED.__getitem__,
        project=lambda name: document,
        exceptions=NONE,
    )
    assert verdict.passed(strict=True)
    assert verdict.audited == 1


def test_an_exception_without_a_reason_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no reason"):
        audit.parse_exceptions("# a comment\n\nGHSA-xxxx\n")
    code, text = _run(_report(), ignore="GHSA-xxxx\n", tmp_path=tmp_path)
    assert code == 2
    assert "has no reason" in text


def test_a_stale_advisory_exception_is_reported(registry: Registry, tmp_path: Path) -> None:
    code, text = _run(_report("httpx"), ignore="PYSEC-2  fixed long ago", tmp_path=tmp_path)
    assert code == 0
    assert "PYSEC-2 in the ignore file matched nothing; remove it" in text


def test_pip_audit_that_writes_no_report_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed:
        returncode = 1
        stderr = "requests.exceptions.ConnectionError: pypi.org unreachable"

    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(audit.AuditUnavailable, match="unreachable"):
        audit.run_pip_audit()


def test_advisory_data_is_fetched_only_over_https_or_from_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CROUPIER_AUDIT_PYPI", "http://pypi.example/pypi")
    with pytest.raises(audit.AuditUnavailable, match="refusing"):
        audit.fetch_project("httpx")
