"""docs/schema.sql is the schema the migrations make: a fresh database upgraded to head and
dumped the way `./dev schema` does prints exactly the checked-in file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from adapters.embedded_servers import ensure_postgres, stop_postgres
from adapters.postgres.schema_snapshot import (
    REGENERATE,
    SNAPSHOT,
    dump_schema,
    first_difference,
    normalise,
)
from tests import conftest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedded_server(servers: conftest.TestServers) -> Iterator[str]:
    """The embedded PostgreSQL's maintenance URL: the snapshot is what its pinned version
    prints, so a suite run against servers of its own still dumps on an embedded one."""
    if not os.environ.get("CROUPIER_DATABASE_URL"):
        # The suite's own (in a parallel run, this worker's), already running.
        yield ensure_postgres(conftest.SERVER_DATA / "postgres")
        return
    data_dir = conftest.TEST_DATA / "schema"
    yield ensure_postgres(data_dir)
    stop_postgres(data_dir)


def test_the_checked_in_schema_is_what_the_migrations_make(embedded_server: str) -> None:
    actual = dump_schema(embedded_server)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if actual != expected:
        # pytest.fail, not assert: the diff below is the message, not pytest's own comparison.
        pytest.fail(
            f"docs/schema.sql is not the schema the migrations make: run `{REGENERATE}` and"
            f" commit the result. First differences:\n{first_difference(expected, actual)}",
            pytrace=False,
        )


def test_the_snapshot_shows_what_a_reader_comes_for() -> None:
    snapshot = SNAPSHOT.read_text()
    assert "CREATE FUNCTION public.ledger_post(" in snapshot
    assert "CREATE TABLE public.ledger_legs (" in snapshot
    assert "CREATE TRIGGER ledger_legs_append_only" in snapshot
    assert "GRANT SELECT ON TABLE public.ledger_legs TO croupier_app;" in snapshot
    for varying in ("\\restrict", "Dumped from database version", "OWNER TO"):
        assert varying not in snapshot, f"{varying!r} varies by run or machine"
    assert not re.search("^SET ", snapshot, re.MULTILINE), "the restore preamble is not schema"


def test_normalising_drops_what_varies_between_runs() -> None:
    def dump(key: str, version: str) -> str:
        return (
            f"--\n-- PostgreSQL database dump\n--\n\n\\restrict {key}\n\n"
            f"-- Dumped from database version {version}\n-- Dumped by pg_dump version {version}\n\n"
            "SET statement_timeout = 0;\n\n"
            "--\n-- Name: t; Type: TABLE; Schema: public; Owner: -\n--\n\n"
            "CREATE TABLE public.t (id bigint);\n\n\n"
            f"--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict {key}\n\n"
        )

    one = normalise(dump("AbC123", "18.6"), "0015", "18")
    assert one == normalise(dump("zYx987", "18.7"), "0015", "18")
    assert one.endswith("\nCREATE TABLE public.t (id bigint);\n")
    for varying in ("restrict", "Dumped", "SET statement_timeout"):
        assert varying not in one
