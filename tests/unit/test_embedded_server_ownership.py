"""Handing the embedded PostgreSQL's folder to its service account (as root) while the server
runs: a file that vanishes during the walk (statistics, temporary files, recycled WAL) is no
error. This raced a busy server once in the full suite, as a FileNotFoundError."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from adapters.embedded_servers import postgres as embedded_servers


def test_a_file_gone_during_the_ownership_walk_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pgdata").mkdir()
    kept = tmp_path / "pgdata" / "PG_VERSION"
    kept.write_text("18\n")
    vanished = tmp_path / "pgdata" / "pg_stat_tmp.tmp"  # listed, then removed by the server
    me = os.stat(tmp_path)
    account = pwd.struct_passwd(
        ("croupier-db", "x", me.st_uid + 1, me.st_gid, "", "/", "/bin/false")
    )
    owned: list[Path] = []
    real_rglob = Path.rglob

    def listing(self: Path, pattern: str):  # the walk sees a file that is gone when reached
        yield from real_rglob(self, pattern)
        yield vanished

    monkeypatch.setattr(embedded_servers.os, "geteuid", lambda: 0)
    monkeypatch.setattr(embedded_servers, "_service_account", lambda: account)
    monkeypatch.setattr(embedded_servers, "_make_reachable", lambda path, account: None)
    monkeypatch.setattr(embedded_servers.os, "chown", lambda path, *a, **k: owned.append(path))
    monkeypatch.setattr(Path, "rglob", listing)

    embedded_servers._Runner.for_postgres(tmp_path)

    assert set(owned) == {tmp_path, tmp_path / "pgdata", kept}
