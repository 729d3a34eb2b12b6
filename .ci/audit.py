"""`./dev audit`: every installed dependency against PyPI's advisory data. It fails on what it
finds (an advisory .ci/pip-audit-ignore.txt does not explain), not on what it cannot reach.

pip-audit does the first pass: it lists the environment and asks PyPI, per package *version*,
which advisories apply. Some networks (this project's CI machine among them) serve PyPI's
project endpoint (`/pypi/NAME/json`) but answer 404 on the per-version one, and pip-audit then
skips the package ("not found on PyPI") and exits 0. So every skip is followed up here: the
project endpoint describes the newest release, and its advisories are exactly those of the
installed version when that is the newest.

What neither source covers (an installed version older than the newest release, because the
lock pins it and someone published a newer one; PyPI unreachable) is listed loudly as NOT
AUDITED with the reason, and by default does not fail: a release somebody else publishes must
not turn CI red. `--strict` fails on it, unless the ignore file names that exact version with a
reason (the fail-closed audit for a release check on a machine with full access to PyPI).

    python .ci/audit.py [--strict] [--ignore-file PATH]

CROUPIER_AUDIT_PYPI (default https://pypi.org/pypi) is where project documents are fetched;
the tests point it at a local server replaying recorded answers.
"""

from __future__ import annotations

import argparse
import json
import os
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
PYPI = "https://pypi.org/pypi"
TIMEOUT_S = 30


class AuditUnavailable(Exception):
    """The advisory data could not be had."""


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


@dataclass(frozen=True, slots=True)
class NotAudited:
    """A package whose installed version no advisory source here describes."""

    key: str  # name==version
    why: str
    explained: str | None = None  # the ignore file's reason, when it names this exact version
    unreachable: bool = False  # PyPI did not answer (rather than: answered about another version)


@dataclass(slots=True)
class Verdict:
    audited: int = 0
    from_project_data: int = 0
    findings: list[Advisory] = field(default_factory=list)
    ignored: list[tuple[Advisory, str]] = field(default_factory=list)
    not_audited: list[NotAudited] = field(default_factory=list)

    def passed(self, *, strict: bool = False) -> bool:
        """A finding always fails. Strict mode also fails on every package not audited,
        except one the ignore file explains by its exact version when PyPI did answer."""
        if self.findings:
            return False
        if not strict:
            return True
        return all(gap.explained is not None and not gap.unreachable for gap in self.not_audited)


def judge(
    report: dict[str, Any],
    *,
    installed: Callable[[str], str],
    project: Callable[[str], dict[str, Any]],
    exceptions: Exceptions,
) -> Verdict:
    """Sort pip-audit's JSON report into findings, explained findings and packages not
    audited. `installed(name)` is the installed version; `project(name)` PyPI's project
    document (raising AuditUnavailable when it cannot be had)."""
    verdict = Verdict()
    advisories: list[Advisory] = []
    for dependency in report.get("dependencies", []):
        name = _canonical(dependency["name"])
        if "vulns" in dependency:
            verdict.audited += 1
            advisories += [
                Advisory(
                    name,
                    dependency["version"],
                    v["id"],
                    tuple(v.get("aliases", ())),
                    tuple(v.get("fix_versions", ())),
                )
                for v in dependency["vulns"]
            ]
            continue
        skip_reason = dependency.get("skip_reason", "skipped")
        if "editable" in skip_reason:
            continue  # a checkout being developed (this project), not a published dependency
        version = installed(name)
        key = f"{name}=={version}"
        explained = exceptions.unauditable.get(key)
        try:
            document = project(name)
        except AuditUnavailable as error:
            verdict.not_audited.append(NotAudited(key, str(error), explained, unreachable=True))
            continue
        newest = document.get("info", {}).get("version")
        if newest == version:
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
        else:
            why = f"the newest release is {newest}; PyPI serves advisories here for that one only"
            verdict.not_audited.append(NotAudited(key, why, explained))
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
    base = os.environ.get("CROUPIER_AUDIT_PYPI", PYPI).rstrip("/")
    url = f"{base}/{name}/json"
    if not url.startswith(("https://", "http://127.0.0.1:")):
        raise AuditUnavailable(f"refusing to fetch advisory data from {url}")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - https, or the tests' loopback server (checked above)  # nosec B310
            document: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as error:
        raise AuditUnavailable(f"PyPI answered {error.code} for {name}") from error
    except (urllib.error.URLError, OSError, json.JSONDecodeError) as error:
        raise AuditUnavailable(f"PyPI is unreachable for {name}: {error}") from error
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
                "pip-audit wrote no report (is PyPI reachable?): "
                + " / ".join(result.stderr.strip().splitlines()[-3:])
            )
        try:
            report: dict[str, Any] = json.loads(out.read_text())
        except json.JSONDecodeError as error:
            raise AuditUnavailable(f"pip-audit wrote an unreadable report: {error}") from error
        return report


def environment_report(why: str, distributions: Iterable[Any] | None = None) -> dict[str, Any]:
    """What to judge when pip-audit produced nothing: every installed distribution, skipped
    for `why`, so each one is still looked up on the project endpoint (which may answer where
    pip-audit's endpoint did not) instead of the whole audit silently auditing nothing."""
    dependencies: dict[str, dict[str, Any]] = {}
    for dist in distributions if distributions is not None else metadata.distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        direct = dist.read_text("direct_url.json") or "{}"
        editable = json.loads(direct).get("dir_info", {}).get("editable", False)
        reason = "distribution marked as editable" if editable else why
        dependencies[_canonical(name)] = {"name": name, "skip_reason": reason}
    return {"dependencies": sorted(dependencies.values(), key=lambda d: str(d["name"]))}


def print_verdict(
    verdict: Verdict, exceptions: Exceptions, out: Any = sys.stdout, *, strict: bool = False
) -> None:
    for advisory, reason in verdict.ignored:
        print(f"ignored  {advisory.package} {advisory.version} {advisory.id}: {reason}", file=out)
    for gap in verdict.not_audited:
        note = f" [ignore file: {gap.explained}]" if gap.explained else ""
        print(f"NOT AUDITED  {gap.key}: {gap.why}{note}", file=out)
    for advisory in verdict.findings:
        fix = ", ".join(advisory.fixed_in) or "no fixed version"
        aliases = f" ({', '.join(advisory.aliases)})" if advisory.aliases else ""
        print(
            f"FINDING  {advisory.package} {advisory.version} {advisory.id}{aliases};"
            f" fixed in: {fix}",
            file=out,
        )
    used = {a.id.upper() for a, _ in verdict.ignored} | {
        alias.upper() for a, _ in verdict.ignored for alias in a.aliases
    }
    for stale in sorted(set(exceptions.advisories) - used):
        print(f"note: {stale} in the ignore file matched nothing; remove it", file=out)
    installed_gaps = {gap.key for gap in verdict.not_audited}
    for stale in sorted(set(exceptions.unauditable) - installed_gaps):
        print(f"note: {stale} in the ignore file is audited or not installed; remove it", file=out)
    unreachable = sum(gap.unreachable for gap in verdict.not_audited)
    print(
        f"{verdict.audited} package(s) audited ({verdict.from_project_data} from PyPI's project"
        f" data), {len(verdict.findings)} finding(s), {len(verdict.ignored)} advisory(ies)"
        f" ignored with a reason, {len(verdict.not_audited)} NOT AUDITED ({unreachable} because"
        " PyPI did not answer)",
        file=out,
    )
    if verdict.not_audited and verdict.passed(strict=strict):
        how = "explained in the ignore file" if strict else "see NOT AUDITED above"
        print(
            f"WARNING: {len(verdict.not_audited)} package(s) were not audited ({how});"
            " `./dev lock --upgrade-package NAME` brings one to its newest release, which can"
            " be audited here, and `./dev audit --strict` fails on them",
            file=out,
        )


def _installed(name: str) -> str:
    return metadata.version(name)


def main(
    argv: Iterable[str] | None = None,
    *,
    audit: Callable[[], dict[str, Any]] = run_pip_audit,
    out: Any = sys.stdout,
    err: Any = sys.stderr,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ignore-file", type=Path, default=IGNORE_FILE)
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also fail on every package not audited (unless the ignore file names its exact"
        " version and PyPI answered)",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        exceptions = parse_exceptions(args.ignore_file.read_text())
    except (OSError, ValueError) as error:
        print(f"audit: {args.ignore_file}: {error}", file=err)
        return 2
    try:
        report = audit()
    except AuditUnavailable as error:
        print(f"NOT AUDITED  pip-audit: {error}; asking PyPI's project data instead", file=out)
        report = environment_report(f"pip-audit did not run: {error}")
    verdict = judge(report, installed=_installed, project=fetch_project, exceptions=exceptions)
    print_verdict(verdict, exceptions, out, strict=args.strict)
    if verdict.passed(strict=args.strict):
        return 0
    if verdict.findings:
        print("audit FAILED: upgrade, or explain each in .ci/pip-audit-ignore.txt", file=err)
    else:
        print(
            "audit FAILED (--strict): packages not audited; upgrade them, or name each exact"
            " version with a reason in .ci/pip-audit-ignore.txt",
            file=err,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
