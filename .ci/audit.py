"""`./dev audit`: every installed dependency against PyPI's advisory data, failing on any
finding that .ci/pip-audit-ignore.txt does not explain, and on any package it could not audit.

pip-audit does the work: it lists the environment and asks PyPI, per package *version*,
which advisories apply. Some networks (this project's CI machine among them) serve PyPI's
project endpoint (`/pypi/NAME/json`) but not the per-version one, and pip-audit then skips
the package with "not found on PyPI" and exits 0 — an audit that silently audited nothing.
So every skip is followed up here: the project endpoint describes the newest release, and its
advisories are exactly those of the installed version when that is the newest. A package
neither source covers fails the audit unless the ignore file names that exact version with a
reason; an unreachable PyPI fails it outright.

    python .ci/audit.py [--ignore-file PATH]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess  # runs pip-audit only, a fixed argv  # nosec B404
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")
PROJECT_URL = "https://pypi.org/pypi/{name}/json"
TIMEOUT_S = 30


class AuditUnavailable(Exception):
    """The advisory data could not be had: the audit must fail, not pass."""


@dataclass(frozen=True, slots=True)
class Exceptions:
    """The ignore file: advisory ids (with their aliases) and `name==version` entries that
    cannot be audited on this network, each with the reason it is accepted."""

    advisories: dict[str, str]
    unauditable: dict[str, str]


_LINE = re.compile(r"^(?P<key>\S+)\s+(?P<reason>\S.*)$")


def parse_exceptions(text: str) -> Exceptions:
    advisories: dict[str, str] = {}
    unauditable: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: {line!r} has no reason; write `ID  why it is safe`")
        key, reason = match["key"], match["reason"]
        if "==" in key:
            name, _, version = key.partition("==")
            unauditable[f"{_canonical(name)}=={version}"] = reason
        else:
            advisories[key.upper()] = reason
    return Exceptions(advisories, unauditable)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, slots=True)
class Advisory:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]


@dataclass(slots=True)
class Verdict:
    audited: int = 0
    from_project_data: int = 0
    findings: list[Advisory] = field(default_factory=list)
    ignored: list[tuple[Advisory, str]] = field(default_factory=list)
    not_audited: list[tuple[str, str]] = field(default_factory=list)
    unauditable: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings and not self.unauditable


def judge(
    report: dict[str, Any],
    *,
    installed: Callable[[str], str],
    project: Callable[[str], dict[str, Any]],
    exceptions: Exceptions,
) -> Verdict:
    """Sort pip-audit's JSON report into findings, explained findings and gaps.
    `installed(name)` is the installed version; `project(name)` PyPI's project document
    (raising AuditUnavailable when it cannot be fetched)."""
    verdict = Verdict()
    advisories: list[Advisory] = []
    for dependency in report.get("dependencies", []):
        name = _canonical(dependency["name"])
        if "vulns" in dependency:
            verdict.audited += 1
            version = dependency["version"]
            advisories += [
                Advisory(
                    name,
                    version,
                    v["id"],
                    tuple(v.get("aliases", ())),
                    tuple(v.get("fix_versions", ())),
                )
                for v in dependency["vulns"]
            ]
            continue
        if "editable" in dependency.get("skip_reason", ""):
            continue  # a checkout being developed (this project), not a published dependency
        version = installed(name)
        key = f"{name}=={version}"
        document = project(name)
        if document.get("info", {}).get("version") == version:
            verdict.audited += 1
            verdict.from_project_data += 1
            advisories += [
                Advisory(
                    name,
                    version,
                    v["id"],
                    tuple(v.get("aliases") or ()),
                    tuple(v.get("fixed_in") or ()),
                )
                for v in document.get("vulnerabilities") or ()
                if not v.get("withdrawn")
            ]
        elif key in exceptions.unauditable:
            verdict.not_audited.append((key, exceptions.unauditable[key]))
        else:
            verdict.unauditable.append(f"{key}: {dependency.get('skip_reason', 'skipped')}")
    for advisory in advisories:
        reason = next(
            (
                exceptions.advisories[i.upper()]
                for i in (advisory.id, *advisory.aliases)
                if i.upper() in exceptions.advisories
            ),
            None,
        )
        if reason is None:
            verdict.findings.append(advisory)
        else:
            verdict.ignored.append((advisory, reason))
    return verdict


def fetch_project(name: str) -> dict[str, Any]:
    url = PROJECT_URL.format(name=name)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - a fixed https URL  # nosec B310
            document: dict[str, Any] = json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as error:
        raise AuditUnavailable(
            f"PyPI's advisory data for {name} is unreachable: {error}"
        ) from error
    if "vulnerabilities" not in document:
        raise AuditUnavailable(f"PyPI's answer for {name} carries no advisory data")
    return document


def run_pip_audit() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        argv = [
            sys.executable,
            "-m",
            "pip_audit",
            "--vulnerability-service",
            "pypi",
            "--skip-editable",  # the project itself, which is not on PyPI
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(out),
        ]
        # It exits 1 on a finding too; whether a report was written tells the two apart.
        result = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv, no shell  # nosec B603
        if not out.exists():
            raise AuditUnavailable(
                "pip-audit could not audit the environment (is PyPI reachable?):\n"
                + "\n".join(result.stderr.strip().splitlines()[-5:])
            )
        try:
            report: dict[str, Any] = json.loads(out.read_text())
        except json.JSONDecodeError as error:
            raise AuditUnavailable(f"pip-audit wrote an unreadable report: {error}") from error
        return report


def print_verdict(verdict: Verdict, exceptions: Exceptions, out: Any = sys.stdout) -> None:
    for advisory, reason in verdict.ignored:
        print(f"ignored  {advisory.package} {advisory.version} {advisory.id}: {reason}", file=out)
    for key, reason in verdict.not_audited:
        print(f"NOT AUDITED  {key}: {reason}", file=out)
    for advisory in verdict.findings:
        fix = ", ".join(advisory.fixed_in) or "no fixed version"
        aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
        print(
            f"FINDING  {advisory.package} {advisory.version} {advisory.id}{aliases};"
            f" fixed in: {fix}",
            file=out,
        )
    for problem in verdict.unauditable:
        print(f"CANNOT AUDIT  {problem}", file=out)
    used = {a.id.upper() for a, _ in verdict.ignored} | {
        alias.upper() for a, _ in verdict.ignored for alias in a.aliases
    }
    for stale in sorted(set(exceptions.advisories) - used):
        print(f"note: {stale} in the ignore file matched nothing; remove it", file=out)
    print(
        f"{verdict.audited} package(s) audited ({verdict.from_project_data} from PyPI's project"
        f" data), {len(verdict.ignored)} advisory(ies) ignored with a reason,"
        f" {len(verdict.not_audited)} listed as not auditable here,"
        f" {len(verdict.findings)} finding(s), {len(verdict.unauditable)} not auditable",
        file=out,
    )


def _installed(name: str) -> str:
    return metadata.version(name)


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE)
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        exceptions = parse_exceptions(args.ignore_file.read_text())
    except (OSError, ValueError) as error:
        print(f"audit: {args.ignore_file}: {error}", file=sys.stderr)
        return 2
    try:
        verdict = judge(
            run_pip_audit(), installed=_installed, project=fetch_project, exceptions=exceptions
        )
    except AuditUnavailable as error:
        print(f"audit FAILED: {error}", file=sys.stderr)
        return 1
    print_verdict(verdict, exceptions)
    if not verdict.passed:
        print("audit FAILED: upgrade, or explain each in .ci/pip-audit-ignore.txt", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
