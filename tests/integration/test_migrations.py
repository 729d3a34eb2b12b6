"""The migration stairway: every revision upgrades, downgrades and upgrades again."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

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
    from adapters.postgres.engine import create_engine

    role = f"stairway_app_{secrets.token_hex(4)}"
    migrate.upgrade(scratch_database, "0055")
    engine = create_engine(scratch_database, pool_size=1, max_overflow=0)
    who = text(
        "SELECT p.proname, cardinality(p.proargtypes::oid[]),"
        " has_function_privilege(:role, p.oid, 'EXECUTE'),"
        " EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0)"
        " FROM pg_proc p WHERE p.proname IN"
        " ('place_bets', 'place_round_bets', 'outbox_append_envelopes') ORDER BY p.proname"
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE ROLE "{role}"'))
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
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP OWNED BY "{role}"'))  # its grants, in this database
            await conn.execute(text(f'DROP ROLE "{role}"'))
        await engine.dispose()


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
