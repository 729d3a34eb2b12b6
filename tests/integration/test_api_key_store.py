"""The API keys' store on PostgreSQL (`SqlApiKeyStore`): its cache reads a key once however many
calls ask at the same moment (they used to read it each, opening connections under load), and a
key revoked through the same store is refused at once."""

from __future__ import annotations

import asyncio
import secrets

from sqlalchemy import event

from adapters.clock import SystemClock
from adapters.postgres.api_keys import SqlApiKeyStore
from application.access import Authenticate, IssueApiKey, RevokeApiKey


def _counting_key_reads(engine) -> list[str]:
    reads: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM api_keys WHERE" in statement:
            reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    return reads


async def test_a_hundred_calls_at_once_read_a_key_once(engine):
    store = SqlApiKeyStore(engine)
    issued = await IssueApiKey(store, SystemClock())(
        f"herd-{secrets.token_hex(4)}", frozenset({"betting"})
    )
    reads = _counting_key_reads(engine)
    authenticate = Authenticate(store, SystemClock())
    keys = await asyncio.gather(*(authenticate(issued.plaintext) for _ in range(100)))
    assert {key.key_id for key in keys if key is not None} == {issued.key.key_id}
    assert None not in keys
    assert len(reads) == 1


async def test_a_key_revoked_through_the_store_is_refused_at_once(engine):
    store = SqlApiKeyStore(engine)
    clock = SystemClock()
    name = f"gone-{secrets.token_hex(4)}"
    issued = await IssueApiKey(store, clock)(name, frozenset({"betting"}))
    authenticate = Authenticate(store, clock)
    assert await authenticate(issued.plaintext) is not None
    assert await store.find_active(name) is not None
    await RevokeApiKey(store, clock)(name)
    assert await authenticate(issued.plaintext) is None
    assert await store.find_active(name) is None
