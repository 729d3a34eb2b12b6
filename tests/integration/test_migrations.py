"""The migration stairway: every revision upgrades, downgrades and upgrades again."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.postgres import migrate


@pytest.fixture
async def scratch_database(engine):
    name = f"croupier_stairway_{secrets.token_hex(4)}"
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(engine.url.render_as_string(hide_password=False)).set(database=name)
    yield url.render_as_string(hide_password=False)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


@contextlib.asynccontextmanager
async def _with_role(url: str) -> AsyncIterator[tuple[AsyncEngine, str]]:
    """An engine on the scratch database and a role of the test's own to grant things to,
    both gone at the end (the role's grants dropped in that database first)."""
    from adapters.postgres.engine import create_engine

    role = f"stairway_app_{secrets.token_hex(4)}"
    engine = create_engine(url, pool_size=1, max_overflow=0)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE ROLE "{role}"'))
    try:
        yield engine, role
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP OWNED BY "{role}"'))  # its grants, in this database
            await conn.execute(text(f'DROP ROLE "{role}"'))
        await engine.dispose()


async def test_stairway(scratch_database):
    revisions = migrate.revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        migrate.upgrade(scratch_database, revision)
        migrate.downgrade(scratch_database, previous)
        migrate.upgrade(scratch_database, revision)
        assert await migrate.current_revision(scratch_database) == revision
        previous = revision
    assert await migrate.is_up_to_date(scratch_database)


async def test_0023_keeps_every_event_and_what_was_published(scratch_database):
    """Revision 0023 (one outbox row per unit of work, a watermark instead of published_at)
    turns the old rows into new ones: each event kept with its fields, a published one still
    published, an owed one still owed; downgrading gives the old rows back."""
    from adapters.postgres.engine import create_engine

    migrate.upgrade(scratch_database, "0020")
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    insert = text(
        "INSERT INTO outbox (event_id, type, version, aggregate_type, aggregate_id, sequence,"
        " player_ids, payload, occurred_at, published_at)"
        " VALUES (gen_random_uuid(), 'bet.placed', 1, 'bet', :bet, 1, '{7}',"
        " '{\"version\": 1}', '2026-12-02T12:00:00.5Z', :published)"
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(insert, {"bet": "sent", "published": datetime.now(UTC)})
            await conn.execute(insert, {"bet": "owed", "published": None})
        migrate.upgrade(scratch_database, "0023")
        query = text(
            "SELECT aggregate_id, published, player_ids, sequence, occurred_at, payload"
            " FROM outbox_events ORDER BY position"
        )
        async with engine.connect() as conn:
            rows = [tuple(r) for r in await conn.execute(query)]
        occurred = datetime(2026, 12, 2, 12, 0, 0, 500_000, tzinfo=UTC)
        assert rows == [
            ("sent", True, [7], 1, occurred, {"version": 1}),
            ("owed", False, [7], 1, occurred, {"version": 1}),
        ]
        migrate.downgrade(scratch_database, "0020")
        async with engine.connect() as conn:
            back = await conn.execute(
                text("SELECT aggregate_id, published_at IS NOT NULL FROM outbox ORDER BY id")
            )
            assert [tuple(r) for r in back] == [("sent", True), ("owed", False)]
    finally:
        await engine.dispose()


async def test_0060_keeps_who_may_execute_the_bets_write(scratch_database):
    """Revision 0060 creates place_bets and place_round_bets again with new arguments: whoever
    could execute them (`croupier db grant`) still can, PUBLIC still cannot, nobody but their
    owner calls outbox_append_envelopes. Downgrading gives the old functions back with the same
    grants."""
    migrate.upgrade(scratch_database, "0055")
    who = text(
        "SELECT p.proname, cardinality(p.proargtypes::oid[]),"
        " has_function_privilege(:role, p.oid, 'EXECUTE'),"
        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)"
        " FROM pg_proc p WHERE p.proname IN"
        " ('place_bets', 'place_round_bets', 'outbox_append_envelopes') ORDER BY p.proname"
    )
    async with _with_role(scratch_database) as (engine, role):
        async with engine.begin() as conn:
            for function in ("place_bets", "place_round_bets"):
                await conn.execute(text(f'GRANT EXECUTE ON FUNCTION {function} TO "{role}"'))
        migrate.upgrade(scratch_database, "0060")
        async with engine.connect() as conn:
            assert [tuple(r) for r in await conn.execute(who, {"role": role})] == [
                ("outbox_append_envelopes", 3, False, False),
                ("place_bets", 12, True, False),
                ("place_round_bets", 13, True, False),
            ]
        migrate.downgrade(scratch_database, "0055")
        async with engine.connect() as conn:
            assert [tuple(r) for r in await conn.execute(who, {"role": role})] == [
                ("place_bets", 10, True, False),
                ("place_round_bets", 11, True, False),
            ]


async def test_0061_keeps_one_bet_a_dice_message_both_ways(scratch_database):
    """Revision 0061 turns the dice messages' UNIQUE constraint into a unique index of the same
    name over the rows that have both columns (the same rule: NULLs never collide) and leaves
    room on seed_pairs' pages; downgrading gives the constraint and the full pages back."""
    from adapters.postgres.engine import create_engine

    shape = text(
        "SELECT i.indisunique, pg_get_indexdef(i.indexrelid),"
        " EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = 'uq_bets_dice'),"
        " (SELECT reloptions FROM pg_class WHERE relname = 'seed_pairs')"
        " FROM pg_index i WHERE i.indexrelid = 'uq_bets_dice'::regclass"
    )
    columns = "(dice_chat_id, dice_message_id)"
    migrate.upgrade(scratch_database, "0061")
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            unique, definition, constraint, options = (await conn.execute(shape)).one()
        assert (unique, constraint, options) == (True, False, ["fillfactor=80"])
        assert definition.endswith(
            f"{columns} WHERE ((dice_chat_id IS NOT NULL) AND (dice_message_id IS NOT NULL))"
        )
        await engine.dispose()
        migrate.downgrade(scratch_database, "0057")
        async with engine.connect() as conn:
            unique, definition, constraint, options = (await conn.execute(shape)).one()
        assert (unique, constraint, options) == (True, True, None)
        assert definition.endswith(columns)
    finally:
        await engine.dispose()


async def test_0062_stores_the_events_as_json_both_ways(scratch_database):
    """Revision 0062 stores an outbox row's events as `json`: a row written before keeps its
    events, `outbox_append_envelopes` stores its text as given (not parsed into jsonb), the
    check still refuses what is not a non-empty array, and the view reads the same events with
    its grants kept. Downgrading gives jsonb, its check and the same rows back."""
    migrate.upgrade(scratch_database, "0061")
    envelope = (
        '{"event_id":"%s","type":"bet.placed","version":1,"aggregate_type":"bet",'
        '"aggregate_id":"%s","sequence":null,"occurred_at":"2026-12-04T10:00:00Z",'
        '"player_ids":[7],"data":{"version":1,"stake":10}}'
    )
    append = text(
        "SELECT outbox_append_envelopes(CAST(:texts AS text[]), CAST(:types AS text[]),"
        " CAST(:ids AS text[]))"
    )
    kind = text(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = CAST('outbox' AS regclass) AND attname = 'events'"
    )
    view = text(
        "SELECT aggregate_id, sequence, player_ids, payload FROM outbox_events"
        " ORDER BY position, place"
    )
    readable = text("SELECT has_table_privilege(:role, 'outbox_events', 'SELECT')")

    async def append_one(conn, bet: str) -> tuple[int, str]:
        given = envelope % (secrets.token_hex(16), bet)
        result = await conn.execute(append, {"texts": [given], "types": ["bet"], "ids": [bet]})
        return result.scalar_one(), given

    async def refused(conn, events: str) -> str | None:
        """Why a row of these events is refused, or None (the row is never kept)."""
        savepoint = await conn.begin_nested()
        try:
            await conn.execute(text("INSERT INTO outbox (events) VALUES (:e)"), {"e": events})
        except DBAPIError as error:
            await savepoint.rollback()
            return str(error.orig)
        await savepoint.rollback()
        return None

    rows = [
        ("before", 1, [7], {"version": 1, "stake": 10}),
        ("after", 1, [7], {"version": 1, "stake": 10}),
    ]
    async with _with_role(scratch_database) as (engine, role):
        async with engine.begin() as conn:
            await conn.execute(text(f'GRANT SELECT ON outbox_events TO "{role}"'))
            await append_one(conn, "before")
        migrate.upgrade(scratch_database, "0062")
        async with engine.begin() as conn:
            assert await conn.scalar(kind) == "json"
            position, given = await append_one(conn, "after")
            stored = await conn.scalar(
                text("SELECT CAST(events AS text) FROM outbox WHERE id = :id"), {"id": position}
            )
            # The text as given, numbered: not parsed into jsonb (which reorders and spaces).
            assert stored == "[" + given.replace('"sequence":null', '"sequence":1') + "]"
            for events in ("[]", " [ \n\t] ", "{}", '"[1]"'):
                assert "ck_outbox_events" in (await refused(conn, events) or ""), events
            assert "invalid input syntax for type json" in (await refused(conn, "[1") or "")
            assert await refused(conn, ' [\n {"a": 1}]') is None
            assert [tuple(r) for r in await conn.execute(view)] == rows
            assert await conn.scalar(readable, {"role": role})
        await engine.dispose()
        migrate.downgrade(scratch_database, "0061")
        async with engine.begin() as conn:
            assert await conn.scalar(kind) == "jsonb"
            assert [tuple(r) for r in await conn.execute(view)] == rows
            assert await conn.scalar(readable, {"role": role})
            assert "ck_outbox_events" in (await refused(conn, "[]") or "")
            await append_one(conn, "again")


async def test_0063_replaces_the_bets_write_in_place_both_ways(scratch_database):
    """Revision 0063 edits `place_bets`' body in place: the same arguments, settings (SECURITY
    DEFINER, search_path, the generic plans) and grants; the new body locks the house rows by
    shard, checks each lock in its statement. Downgrading gives 0062's text back exactly."""
    migrate.upgrade(scratch_database, "0062")
    shape = text(
        "SELECT p.prosecdef, p.proconfig, has_function_privilege(:role, p.oid, 'EXECUTE'),"
        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0),"
        " pg_get_functiondef(p.oid)"
        " FROM pg_proc p WHERE p.oid = CAST(:f AS regprocedure)"
    )
    function = (
        "place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, text[], text[], text[],"
        " text, text)"
    )
    async with _with_role(scratch_database) as (engine, role):
        async with engine.begin() as conn:
            await conn.execute(text(f'GRANT EXECUTE ON FUNCTION place_bets TO "{role}"'))
            before = tuple((await conn.execute(shape, {"role": role, "f": function})).one())
        await engine.dispose()
        migrate.upgrade(scratch_database, "0063")
        async with engine.connect() as conn:
            after = tuple((await conn.execute(shape, {"role": role, "f": function})).one())
        assert (
            after[:4]
            == before[:4]
            == (
                True,
                ["search_path=public, pg_temp", "plan_cache_mode=force_generic_plan"],
                True,
                False,
            )
        )
        assert "a.player_id IS NULL" in before[4]
        assert "a.player_id IS NULL" not in after[4]
        assert "a.shard IS NOT NULL" in after[4]
        for lock in ("ORDER BY s.player_id FOR UPDATE", "ORDER BY a.id FOR UPDATE"):
            assert after[4].count(lock) == before[4].count(lock) > 0, lock
        await engine.dispose()
        migrate.downgrade(scratch_database, "0062")
        async with engine.connect() as conn:
            back = tuple((await conn.execute(shape, {"role": role, "f": function})).one())
        assert back == before


async def test_0066_gives_the_bets_write_typed_arrays_and_takes_them_back(scratch_database):
    """Revision 0066 changes `place_bets`' and `place_round_bets`' arguments (the rows as
    arrays, one a column): the functions are created again with their settings, and whoever
    could execute them still can, nobody else; the old signatures are gone. Downgrading gives
    0065's functions (0064's) back exactly, grants included."""
    shape = text(
        "SELECT p.prosecdef, p.proconfig, has_function_privilege(:role, p.oid, 'EXECUTE'),"
        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0),"
        " pg_get_functiondef(p.oid)"
        " FROM pg_proc p WHERE p.oid = CAST(:f AS regprocedure)"
    )
    exists = text("SELECT to_regprocedure(:f) IS NOT NULL")
    tail = "text[], text[], text[], text, text)"
    arrays = (
        "bigint[], text[], boolean[], bigint[], bigint[], bigint[], bigint[], bigint[], jsonb,"
        " jsonb, uuid[], uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[],"
        " boolean[], integer[], bigint[], text[], bigint[], "
    )
    old = (
        f"place_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, {tail}",
        f"place_round_bets(jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, {tail}",
    )
    new = (f"place_bets({arrays}{tail}", f"place_round_bets(jsonb, {arrays}{tail}")
    migrate.upgrade(scratch_database, "0065")
    async with _with_role(scratch_database) as (engine, role):
        async with engine.begin() as conn:
            for name in ("place_bets", "place_round_bets"):
                await conn.execute(text(f'GRANT EXECUTE ON FUNCTION {name} TO "{role}"'))
            before = [tuple((await conn.execute(shape, {"role": role, "f": f})).one()) for f in old]
        await engine.dispose()
        migrate.upgrade(scratch_database, "0066")
        async with engine.connect() as conn:
            after = [tuple((await conn.execute(shape, {"role": role, "f": f})).one()) for f in new]
            assert [await conn.scalar(exists, {"f": f}) for f in old] == [False, False]
        settings = ["search_path=public, pg_temp"]
        assert (
            before[0][:4]
            == after[0][:4]
            == (
                True,
                [*settings, "plan_cache_mode=force_generic_plan"],
                True,
                False,
            )
        )
        assert before[1][:4] == after[1][:4] == (True, settings, True, False)
        assert "jsonb_to_recordset(p_postings)" in before[0][4]
        assert "jsonb_to_recordset" not in after[0][4].split("p_bets")[0]
        assert "ledger_post_many(p_tx_ids," in after[0][4]
        assert "PERFORM place_bets(p_player_ids," in after[1][4]
        for lock in ("ORDER BY s.player_id FOR UPDATE", "ORDER BY a.id FOR UPDATE"):
            assert after[0][4].count(lock) == before[0][4].count(lock) > 0, lock
        await engine.dispose()
        migrate.downgrade(scratch_database, "0065")
        async with engine.connect() as conn:
            back = [tuple((await conn.execute(shape, {"role": role, "f": f})).one()) for f in old]
            assert [await conn.scalar(exists, {"f": f}) for f in new] == [False, False]
        assert back == before


async def test_0064_edits_ledger_post_many_and_gives_the_same_text_back(scratch_database):
    """Revision 0064 rewrites `ledger_post_many`'s body only: its settings, comment and
    rights stay, and the downgrade gives 0063's text back (0062's), character for character."""
    from adapters.postgres.engine import create_engine

    function = "CAST('ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[],"
    function += " timestamptz[], integer[], bigint[], text[], bigint[])' AS regprocedure)"
    described = text(
        f"SELECT pg_get_functiondef({function}), obj_description({function}, 'pg_proc'),"
        f" (SELECT proacl FROM pg_proc WHERE oid = {function})::text"
    )
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    try:
        migrate.upgrade(scratch_database, "0063")
        async with engine.connect() as conn:
            before = (await conn.execute(described)).one()
        await engine.dispose()
        migrate.upgrade(scratch_database, "0064")
        async with engine.connect() as conn:
            after = (await conn.execute(described)).one()
        await engine.dispose()
        assert after[0] != before[0]
        assert "IF v_new IS NULL AND v_pending_state IS NULL THEN" in after[0]
        assert "SET plan_cache_mode TO 'force_generic_plan'" in after[0]
        assert after[1:] == before[1:]
        migrate.downgrade(scratch_database, "0063")
        async with engine.connect() as conn:
            assert tuple((await conn.execute(described)).one()) == tuple(before)
    finally:
        await engine.dispose()


async def test_0067_merges_the_bets_writes_statements_in_place_both_ways(scratch_database):
    """Revision 0067 edits `place_bets`' body in place: its settings, comment and rights
    stay, its locks and lock timeouts are the same in number; it no longer calls
    `outbox_append_envelopes`, which stays unchanged, as does `ledger_post_many`. The
    downgrade gives 0066's text back, character for character."""
    from adapters.postgres.engine import create_engine

    functions = (
        "place_bets(bigint[], text[], boolean[], bigint[], bigint[], bigint[], bigint[],"
        " bigint[], jsonb, jsonb, uuid[], uuid[], text[], text[], bytea[], text[], jsonb[],"
        " timestamptz[], boolean[], integer[], bigint[], text[], bigint[], text[], text[],"
        " text[], text, text)",
        "ledger_post_many(uuid[], text[], text[], bytea[], text[], jsonb[], timestamptz[],"
        " integer[], bigint[], text[], bigint[])",
        "outbox_append_envelopes(text[], text[], text[])",
    )
    described = text(
        "SELECT pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc'), p.proacl::text"
        " FROM pg_proc p WHERE p.oid = CAST(:f AS regprocedure)"
    )
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)

    async def read() -> list[tuple[Any, ...]]:
        async with engine.connect() as conn:
            found = [tuple((await conn.execute(described, {"f": f})).one()) for f in functions]
        await engine.dispose()
        return found

    try:
        migrate.upgrade(scratch_database, "0066")
        before = await read()
        migrate.upgrade(scratch_database, "0067")
        after = await read()
        assert after[0][1:] == before[0][1:]
        assert after[1:] == before[1:]
        old, new = before[0][0], after[0][0]
        assert "PERFORM outbox_append_envelopes(" in old
        assert "outbox_append_envelopes(" not in new.replace("'outbox_append_envelopes: ", "")
        assert "INSERT INTO outbox (events)" in new
        assert "SET plan_cache_mode TO 'force_generic_plan'" in new
        # The locks (seed pairs, house rows, wallets) and their timeouts, as they were.
        for lock in ("FOR UPDATE", "lock_timeout"):
            assert new.count(lock) == old.count(lock) > 0, lock
        migrate.downgrade(scratch_database, "0066")
        assert await read() == before
    finally:
        await engine.dispose()


async def test_0065_builds_the_snapshot_as_json_and_gives_the_same_answers(scratch_database):
    """Revision 0065 swaps `placement_snapshot`'s body only (its settings, comment and rights
    stay): the same answers as 0064's, read as the service reads them (an empty part is null
    now, `[]` or `{}` before), one pair id reserved for each player without an active pair;
    the downgrade gives 0064's text back, character for character."""
    import json

    from adapters.postgres.engine import create_engine

    function = "CAST('placement_snapshot(uuid[], bigint[], text[], text[], text)' AS regprocedure)"
    described = text(
        f"SELECT pg_get_functiondef({function}), obj_description({function}, 'pg_proc'),"
        f" (SELECT proacl FROM pg_proc WHERE oid = {function})::text"
    )
    # Two players that do not exist: no standing, no wallet, no pair, a pair id each.
    call = text(
        "SELECT placement_snapshot(ARRAY[gen_random_uuid()], '{900000001,900000002}',"
        " '{XTR,TON}', '{coin,dice,nosuch}', 'house_bankroll'),"
        " (SELECT last_value FROM seed_pairs_id_seq)"
    )

    def parts(snapshot: str) -> dict[str, object]:
        read = json.loads(snapshot)
        if "reserved" not in read:  # 0065: the pairs and the reserved ids in one part
            read["pairs"], read["reserved"] = read["pairs"]
        empty = {"bankrolls": {}}
        return {
            key: (value if value is not None else empty.get(key, [])) for key, value in read.items()
        }

    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    try:
        migrate.upgrade(scratch_database, "0064")
        async with engine.connect() as conn:
            before = (await conn.execute(described)).one()
            old_read, old_last = (await conn.execute(call)).one()
        await engine.dispose()
        migrate.upgrade(scratch_database, "0065")
        async with engine.connect() as conn:
            after = (await conn.execute(described)).one()
            new_read, new_last = (await conn.execute(call)).one()
        await engine.dispose()
        assert "json_build_object(" in after[0]
        assert "jsonb" not in after[0]
        assert "SET plan_cache_mode TO 'force_generic_plan'" in after[0]
        assert after[1:] == before[1:]
        old, new = parts(old_read), parts(new_read)
        assert [p for p, _ in old.pop("reserved")] == [900000001, 900000002]
        reserved = new.pop("reserved")
        # (Which player gets which of the two ids follows the join's order: nothing needs it.)
        assert sorted(p for p, _ in reserved) == [900000001, 900000002]
        assert sorted(i for _, i in reserved) == [new_last - 1, new_last]
        assert new_last == old_last + 2
        assert len(old["games"]) == 2
        assert new == old
        migrate.downgrade(scratch_database, "0064")
        async with engine.connect() as conn:
            assert tuple((await conn.execute(described)).one()) == tuple(before)
    finally:
        await engine.dispose()


async def test_0068_keeps_the_house_accounts_key_over_the_house_rows_both_ways(scratch_database):
    """Revision 0068 turns the house accounts' UNIQUE constraint into a unique index of the
    same name over the rows with a shard (the same rule: a NULL shard never collided): it still
    refuses a second house account of one kind, currency and shard, still lets any number of
    wallets be, and `provision_house_accounts`' ON CONFLICT still finds it. Downgrading gives
    the constraint back."""
    from adapters.postgres.engine import create_engine
    from adapters.postgres.repositories import SqlCurrencies, provision_house_accounts
    from domain.money import CurrencyRegistry

    shape = text(
        "SELECT i.indisunique, pg_get_indexdef(i.indexrelid),"
        " EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = 'uq_accounts_house_shard')"
        " FROM pg_index i WHERE i.indexrelid = 'uq_accounts_house_shard'::regclass"
    )
    twin = text(
        "INSERT INTO accounts (kind, currency, shard, allow_negative)"
        " SELECT kind, currency, shard, allow_negative FROM accounts"
        " WHERE kind = 'house_bankroll' AND currency = 'XTR' AND shard = 0"
    )
    migrate.upgrade(scratch_database, "0068")
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as conn:
            # The house rows as the service makes them on start, twice: nothing new the second.
            currencies = CurrencyRegistry(await SqlCurrencies(conn).all())
            first = await provision_house_accounts(conn, currencies, 2)
        async with engine.begin() as conn:
            assert await provision_house_accounts(conn, currencies, 2) == first
            unique, definition, constraint = (await conn.execute(shape)).one()
        assert (unique, constraint) == (True, False)
        assert definition.endswith("(kind, currency, shard) WHERE (shard IS NOT NULL)")
        with pytest.raises(IntegrityError, match="uq_accounts_house_shard"):
            async with engine.begin() as conn:
                await conn.execute(twin)
        await engine.dispose()
        migrate.downgrade(scratch_database, "0067")
        async with engine.connect() as conn:
            unique, definition, constraint = (await conn.execute(shape)).one()
        assert (unique, constraint) == (True, True)
        assert definition.endswith("(kind, currency, shard)")
    finally:
        await engine.dispose()
