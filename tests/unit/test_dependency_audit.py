"""`./dev audit` (.ci/audit.py): what fails the audit and what an exception must say."""

from __future__ import annotations

import importlib.util
import io
import sys
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

NONE = audit.Exceptions({}, {})


def _vuln(id_: str, *aliases: str) -> dict[str, Any]:
    return {"id": id_, "aliases": list(aliases), "fix_versions": ["9.9"], "description": ""}


def _projects(documents: dict[str, dict[str, Any]]) -> Any:
    def fetch(name: str) -> dict[str, Any]:
        if name not in documents:
            raise audit.AuditUnavailable(f"no data for {name}")
        return documents[name]

    return fetch


def _judge(report: dict[str, Any], *, installed=None, projects=None, exceptions=NONE):  # type: ignore[no-untyped-def]
    return audit.judge(
        report,
        installed=installed or (lambda name: "1.0"),
        project=_projects(projects or {}),
        exceptions=exceptions,
    )


def test_a_finding_of_pip_audit_fails_unless_its_id_or_an_alias_is_explained() -> None:
    report = {
        "dependencies": [{"name": "lib", "version": "1.0", "vulns": [_vuln("PYSEC-1", "CVE-7")]}]
    }
    failed = _judge(report)
    assert not failed.passed
    assert [f.id for f in failed.findings] == ["PYSEC-1"]

    explained = _judge(
        report, exceptions=audit.parse_exceptions("cve-7  not reachable from our code")
    )
    assert explained.passed
    assert explained.ignored[0][1] == "not reachable from our code"


def test_a_skipped_package_at_its_newest_release_is_audited_from_the_project_data() -> None:
    report = {"dependencies": [{"name": "Lib_X", "skip_reason": "Dependency not found on PyPI"}]}
    newest = {"info": {"version": "1.0"}, "vulnerabilities": []}
    clean = _judge(report, projects={"lib-x": newest})
    assert clean.passed
    assert (clean.audited, clean.from_project_data) == (1, 1)

    vulnerable = {
        "info": {"version": "1.0"},
        "vulnerabilities": [
            {"id": "GHSA-a", "aliases": [], "fixed_in": [], "withdrawn": None},
            {"id": "GHSA-old", "aliases": [], "fixed_in": [], "withdrawn": "2024-01-01"},
        ],
    }
    found = _judge(report, projects={"lib-x": vulnerable})
    assert [f.id for f in found.findings] == ["GHSA-a"]  # a withdrawn advisory is no finding


def test_an_older_release_nobody_can_audit_fails_unless_listed_with_its_exact_version() -> None:
    report = {"dependencies": [{"name": "lib", "skip_reason": "Dependency not found on PyPI"}]}
    projects = {"lib": {"info": {"version": "2.0"}, "vulnerabilities": []}}
    assert _judge(report, projects=projects).unauditable == [
        "lib==1.0: Dependency not found on PyPI"
    ]

    listed = audit.parse_exceptions("lib==1.0  held back by another package")
    verdict = _judge(report, projects=projects, exceptions=listed)
    assert verdict.passed
    assert verdict.not_audited == [("lib==1.0", "held back by another package")]
    # An upgrade retires the entry: the next version must be audited again.
    assert not _judge(
        report, installed=lambda n: "1.1", projects=projects, exceptions=listed
    ).passed


def test_unreachable_advisory_data_raises_instead_of_passing() -> None:
    report = {"dependencies": [{"name": "lib", "skip_reason": "Dependency not found on PyPI"}]}
    with pytest.raises(audit.AuditUnavailable):
        _judge(report, projects={})


def test_the_project_itself_installed_editable_is_not_a_dependency() -> None:
    report = {
        "dependencies": [{"name": "croupier", "skip_reason": "distribution marked as editable"}]
    }
    verdict = _judge(report)
    assert verdict.passed
    assert verdict.audited == 0


def test_an_exception_without_a_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="no reason"):
        audit.parse_exceptions("# a comment\n\nGHSA-xxxx\n")


def test_a_failed_audit_prints_each_finding_and_the_verdict() -> None:
    report = {"dependencies": [{"name": "lib", "version": "1.0", "vulns": [_vuln("PYSEC-1")]}]}
    stale = audit.parse_exceptions("PYSEC-2  fixed long ago")
    out = io.StringIO()
    audit.print_verdict(_judge(report, exceptions=stale), stale, out)
    text = out.getvalue()
    assert "FINDING  lib 1.0 PYSEC-1; fixed in: 9.9" in text
    assert "PYSEC-2 in the ignore file matched nothing" in text
    assert "1 finding(s)" in text


def test_pip_audit_that_writes_no_report_fails_the_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed:
        returncode = 1
        stderr = "requests.exceptions.ConnectionError: pypi.org unreachable"

    monkeypatch.setattr(audit.subprocess, "run", lambda *a, **k: Failed())
    with pytest.raises(audit.AuditUnavailable, match="unreachable"):
        audit.run_pip_audit()
