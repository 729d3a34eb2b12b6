"""A commit's code for a before/after in the same minute: its src/ exported with `git archive`
(no checkout: the index and the working tree stay as they are), and a bench script started
again with it first on PYTHONPATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Set in the re-started script: where its code comes from, for its header.
SOURCE_ENV = "CROUPIER_BENCH_SOURCE"


def export_source(ref: str, into: Path) -> tuple[str, Path]:
    """`ref`'s short sha and its src/ under `into` (exported once per commit)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.strip()
    export = into / f"src-{sha}"
    if not (export / "src").is_dir():
        export.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha, "src"], capture_output=True, cwd=ROOT, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(export)], input=archive, check=True)
        # The generated gRPC code is not in git; the protos' stubs of the working tree serve.
        for stub in (ROOT / "src" / "croupier" / "v1").glob("*_pb2*.py*"):
            target = export / "src" / "croupier" / "v1" / stub.name
            if not target.exists():
                shutil.copy(stub, target)
    return sha, export / "src"


def reexec_on(ref: str, into: Path) -> None:
    """Start this script again on `ref`'s code (see `export_source`); never returns."""
    sha, src = export_source(ref, into)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    env[SOURCE_ENV] = f"commit {sha} (git archive)"
    os.execve(sys.executable, [sys.executable, *sys.argv], env)
