"""A bet decided on a snapshot (issue 19): read without locks, written in one statement that
checks what the decision read still holds. What changes between the read and the write, on
other connections, makes the write read again, and the bet comes out as if it had been placed
after the change: a moved nonce or balance (placed on the new state), a twin with the same bet
id (a replay), a block (refused). And a bet alone is two statements, counted by the server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import greenlet
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.event_wire.rows import Envelopes
from adapters.postgres import snapshot_placements
from adapters.postgres.engine import create_engine
from adapters.postgres.snapshot_placements import SnapshotPlacements
from adapters.postgres.uow import start_unit_of_work_factory
from adapters.seed_cipher import SecretsSeedSource
from application.betting import PlaceBet, PlaceBetCommand, PlaceBets
from application.betting.queue import BetQueue
from application.ports import SnapshotStale
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.standing import PlayerBlocked
from tests.conftest import TEST_HOUSE_SHARDS, TEST_PERSONAL_DATA

pytestmark = pytest.mark.usefixtures("books")


def coin(player_id: int, bet_id: uuid.UUID | None = None) -> PlaceBetCommand:
    return PlaceBetCommand(
        player_id, bet_id or uuid.uuid4(), "coin", Money(10, XTR), {"side": "heads"}
    )


@pytest.fixture
def between(monkeypatch):
    """`between(action)`: run `action` once, on its own connections, right after the next
    snapshot is read (before its write); returns a list that counts the snapshots read."""
    reads: list[int] = []

    def install(action: Callable[[], Awaitable[None]]) -> list[int]:
        original = SnapshotPlacements.snapshot

        async def snapshot(self, *args, **kwargs):
            known = await original(self, *args, **kwargs)
            reads.append(1)
            if len(reads) == 1:
                await action()
            return known

        monkeypatch.setattr(SnapshotPlacements, "snapshot", snapshot)
        return reads

    return install


async def _nonces(engine, player_id: int) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT nonce FROM bets WHERE player_id = :p ORDER BY nonce"), {"p": player_id}
        )
        return [r.nonce for r in rows]


async def test_a_balance_changed_between_read_and_write_is_read_again(
    funded_player, place, credit, balances, between, unique_key
):
    player = await funded_player(100)
    await place(coin(player.id))  # the pair exists: the steady state

    async def deposit() -> None:
        await credit(CreditDepositCommand(player.id, Money(50, XTR), unique_key("dep")))

    before = (await balances(player.id))[0].amount
    reads = between(deposit)
    receipt = await place(coin(player.id))
    assert len(reads) == 2  # the write met the deposit's balance and read again
    payout = receipt.bet.payout or 0
    assert receipt.balance == Money(before + 50 - 10 + payout, XTR)
    assert await balances(player.id) == (receipt.balance,)


async def test_a_nonce_taken_between_read_and_write_is_read_again(
    funded_player, place, uow_factory, engine, between
):
    player = await funded_player(100)
    await place(coin(player.id))  # nonce 0

    async def take_nonce() -> None:  # another placement of the player takes nonce 1
        async with uow_factory() as uow:
            await uow.seeds.take_nonce(player.id)
            await uow.commit()

    reads = between(take_nonce)
    receipt = await place(coin(player.id))
    assert len(reads) == 2
    assert receipt.bet.fairness is not None
    assert receipt.bet.fairness.nonce == 2
    assert await _nonces(engine, player.id) == [0, 2]


async def test_a_twin_written_between_read_and_write_makes_the_bet_a_replay(
    funded_player, place, uow_factory, clock, ids, house, seed_source, balances, between, engine
):
    player = await funded_player(100)
    await place(coin(player.id))
    twin_place = PlaceBet(uow_factory, clock, ids, house, seed_source)
    command = coin(player.id)
    first: list = []

    async def twin() -> None:
        first.append(await twin_place(command))  # its own read and write, in full

    reads = between(twin)
    receipt = await place(command)
    assert receipt.replayed
    assert receipt.bet == first[0].bet
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM bets WHERE id = :id"), {"id": command.bet_id}
        )
    assert count == 1
    assert len(reads) == 3  # ours, the twin's, ours again (which finds the twin's bet)


async def test_a_block_between_read_and_write_refuses_the_bet(
    funded_player, place, uow_factory, balances, between, engine
):
    player = await funded_player(100)
    await place(coin(player.id))
    before = await balances(player.id)

    async def block() -> None:
        async with uow_factory() as uow:
            await uow.players.set_status(player.id, PlayerStatus.BLOCKED, "tests")
            await uow.commit()

    between(block)
    with pytest.raises(PlayerBlocked):
        await place(coin(player.id))
    assert await balances(player.id) == before
    assert await _nonces(engine, player.id) == [0]


async def test_a_batch_whose_state_changed_is_decided_again(
    funded_player, place, credit, balances, between, unique_key
):
    one, two = await funded_player(100), await funded_player(100)

    async def deposit() -> None:
        await credit(CreditDepositCommand(one.id, Money(50, XTR), unique_key("dep")))

    reads = between(deposit)
    outcomes = await PlaceBets(place)([coin(one.id), coin(two.id)])
    assert len(reads) == 2
    assert [o.balance.amount for o in outcomes] == [
        150 - 10 + (outcomes[0].bet.payout or 0),
        100 - 10 + (outcomes[1].bet.payout or 0),
    ]


async def test_a_stale_standing_is_reported_before_a_stale_seed_pair(
    funded_player, place, uow_factory, between, monkeypatch
):
    # Revision 0067 checks the standings and locks and checks the seed pairs in one statement:
    # its errors are raised after it in the order they had as two statements, standing first.
    player = await funded_player(100)
    await place(coin(player.id))
    refusals: list[str] = []
    run = SnapshotPlacements._run

    async def recorded(self, call):
        try:
            return await run(self, call)
        except SnapshotStale as error:
            refusals.append(str(error))
            raise

    async def block_and_take_nonce() -> None:
        async with uow_factory() as uow:
            await uow.seeds.take_nonce(player.id)
            await uow.players.set_status(player.id, PlayerStatus.BLOCKED, "tests")
            await uow.commit()

    monkeypatch.setattr(SnapshotPlacements, "_run", recorded)
    between(block_and_take_nonce)
    with pytest.raises(PlayerBlocked):
        await place(coin(player.id))
    assert len(refusals) == 1
    assert refusals[0].startswith(f"the standing of player(s) {player.id} changed"), refusals


async def test_envelopes_the_outbox_cannot_number_refuse_the_write_whole(
    funded_player, place, balances, engine, monkeypatch
):
    # Revision 0067 folds `outbox_append_envelopes`' check into `place_bets`' outbox statement:
    # an envelope to number without `"sequence":null` is refused with its error (CR422), and
    # nothing of the write stays: no bet, no nonce taken, no balance moved, no outbox row.
    player = await funded_player(100)
    await place(coin(player.id))
    before = await balances(player.id)
    count = text("SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM bets)")
    async with engine.connect() as conn:
        rows_before = tuple((await conn.execute(count)).one())
    original = snapshot_placements.appended_envelopes

    def unnumberable(events):
        envelopes = original(events)
        assert any(t is not None for t in envelopes.aggregate_types)
        texts = [
            e if t is None else e.replace('"sequence":null', '"sequence":7')
            for e, t in zip(envelopes.texts, envelopes.aggregate_types, strict=True)
        ]
        return Envelopes(texts, envelopes.aggregate_types, envelopes.aggregate_ids)

    monkeypatch.setattr(snapshot_placements, "appended_envelopes", unnumberable)
    with pytest.raises(Exception) as raised:
        await place(coin(player.id))
    error = raised.value
    while error is not None and getattr(error, "sqlstate", None) is None:
        error = error.__cause__
    assert getattr(error, "sqlstate", None) == "CR422", raised.value
    assert "outbox_append_envelopes: one type and id per envelope" in str(error)
    assert await balances(player.id) == before
    assert await _nonces(engine, player.id) == [0]
    async with engine.connect() as conn:
        assert tuple((await conn.execute(count)).one()) == rows_before


# -- statements per bet, counted by the server ------------------------------------------------


@pytest.fixture
async def logged_engine(servers):
    """One pooled connection whose statements the server logs (log_statement = all)."""
    pool = create_engine(servers.database_url, pool_size=1, max_overflow=0)
    async with pool.connect() as conn:
        await conn.execute(text("SELECT set_config('log_statement', 'all', false)"))
        await conn.commit()
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        data = Path(await conn.scalar(text("SELECT current_setting('data_directory')")))
    # Where the embedded server writes its log (adapters.embedded_servers; stderr, no collector).
    log = data.parent / "postgres.log"
    assert log.exists(), f"no server log at {log}"
    yield pool, pid, log
    await pool.dispose()


def _statements(log: Path, offset: int, pid: int) -> list[str]:
    """The statements the backend `pid` ran since `offset` in the server's log: simple queries
    ("statement:") and executions of prepared ones ("execute …:")."""
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    mine = [line for line in lines if f"[{pid}]" in line]
    return [line for line in mine if "LOG:  statement:" in line or "LOG:  execute " in line]


async def test_a_bet_alone_is_two_statements_including_its_commit(
    logged_engine, funded_player, cipher, clock, ids, house, seed_source
):
    pool, pid, log = logged_engine
    factory = await start_unit_of_work_factory(pool, TEST_HOUSE_SHARDS, cipher, TEST_PERSONAL_DATA)
    place = PlaceBet(factory, clock, ids, house, seed_source)
    # asyncpg looks up the array types a connection meets first (once per connection).
    await place(coin((await funded_player(1000)).id))
    player = await funded_player(1000)
    counts = []
    for _ in range(3):  # the first bet makes the player's seed pair: two statements too
        offset = log.stat().st_size
        await place(coin(player.id))
        statements = _statements(log, offset, pid)
        counts.append(len(statements))
        if len(counts) == 1:
            first = [line[:200] for line in statements]
    assert counts == [2, 2, 2], first
    assert "place_bets" in statements[-1]


async def test_a_message_of_bets_submitted_together_is_two_statements(
    logged_engine, funded_player, cipher, clock, ids, house, seed_source
):
    # A PlaceBatch message (BetQueue.submit(together=True)): one snapshot read and one
    # `place_bets` call for all its bets, however small the queue's batches.
    pool, pid, log = logged_engine
    factory = await start_unit_of_work_factory(pool, TEST_HOUSE_SHARDS, cipher, TEST_PERSONAL_DATA)
    queue = BetQueue(PlaceBet(factory, clock, ids, house, seed_source), batch_size=8)
    players = [(await funded_player(1000)).id for _ in range(10)]
    # asyncpg looks up the array types a connection meets first (once per connection).
    await queue(coin(players[0]))
    message = [coin(p) for p in players for _ in range(10)]
    offset = log.stat().st_size
    receipts = await asyncio.gather(*queue.submit(message, together=True))
    statements = _statements(log, offset, pid)
    assert [r.bet.id for r in receipts] == [c.bet_id for c in message]
    assert len(statements) == 2, [line[:200] for line in statements]
    assert "place_bets" in statements[-1]


async def test_the_read_reserves_a_pair_id_only_for_players_without_one(
    engine, funded_player, place, cipher
):
    # Revision 0065: the active pairs and the reserved ids come from one scan of the players
    # and their active pair, nextval in an aggregate's FILTER (checked before its arguments):
    # a player with a pair takes no id; one without (new, or unknown) takes exactly one.
    paired = await funded_player(1000)
    await place(coin(paired.id))  # its seed pair
    fresh = await funded_player(1000)
    unknown = 2**62
    last = text("SELECT last_value FROM seed_pairs_id_seq")
    async with engine.connect() as conn:
        before = (await conn.execute(last)).scalar_one()
        read = await SnapshotPlacements(conn, cipher).snapshot(
            [uuid.uuid4()], [paired.id, fresh.id, unknown], ["XTR"], ["coin"]
        )
        after = (await conn.execute(last)).scalar_one()
        await conn.rollback()
    assert set(read.seeds) == {paired.id}
    assert read.seeds[paired.id].next_nonce == 1
    assert set(read.reserved_pair_ids) == {fresh.id, unknown}
    assert sorted(read.reserved_pair_ids.values()) == [after - 1, after]
    assert after == before + 2
    assert set(read.standings) == {paired.id, fresh.id}
    assert set(read.wallets) == {(paired.id, "XTR"), (fresh.id, "XTR")}
    assert read.existing == frozenset()
    assert read.guarded == frozenset()
    assert set(read.configs) == {"coin"}
    assert read.bankrolls["XTR"] > 0


async def test_a_lost_bet_is_one_transaction_whose_event_tells_the_player(
    funded_player, place, engine
):
    # Placed and settled at once on the snapshot road, a lost bet is one transaction (its
    # placement's and settlement's id): the stake from the wallet to the bankroll. It moves the
    # player's money, so its event is the player's, with the wallet's balance the ledger
    # recorded: one `bet.played`, numbered on the player, standing for the bet's placing, its
    # settlement and the transaction (no `bet.placed`, `bet.settled` or
    # `ledger.transaction_posted` of its own). (Until issue 19's one-transaction shape, a
    # loss's settlement moved house accounts only, and place_bets filled in their balances in
    # its event: that path now serves no bet of this road, since every posting here moves a
    # wallet.)
    player = await funded_player(1000)
    for _ in range(40):
        receipt = await place(coin(player.id))
        if receipt.bet.payout == 0:
            break
    assert receipt.bet.payout == 0
    bet = receipt.bet
    settlement = bet.settlement_transaction_id
    assert settlement == bet.placed_transaction_id
    async with engine.connect() as conn:
        events = (
            await conn.execute(
                text(
                    "SELECT type, aggregate_type, aggregate_id, payload FROM outbox_events"
                    " WHERE payload ->> 'transaction_id' = :t OR aggregate_id = :b"
                    " OR payload ->> 'bet_id' = :b"
                ),
                {"t": str(settlement), "b": str(bet.id)},
            )
        ).all()
        legs = (
            await conn.execute(
                text(
                    "SELECT a.kind, l.amount, l.balance_after"
                    " FROM ledger_legs l JOIN accounts a ON a.id = l.account_id"
                    " WHERE l.transaction_id = :t ORDER BY a.kind"
                ),
                {"t": settlement},
            )
        ).all()
        kind = await conn.scalar(
            text("SELECT kind FROM ledger_transactions WHERE id = :t"), {"t": settlement}
        )
    assert kind == "loss"
    assert [(r.kind, r.amount) for r in legs] == [("house_bankroll", 10), ("player_wallet", -10)]
    wallet_after = legs[1].balance_after
    assert receipt.balance.amount == wallet_after
    assert [(e.type, e.aggregate_type, e.aggregate_id) for e in events] == [
        ("bet.played", "player", str(player.id))
    ]
    payload = events[0].payload
    assert payload["player_id"] == player.id
    assert payload["bet_id"] == str(bet.id)
    assert (payload["state"], payload["stake"], payload["payout"]) == ("lost", 10, 0)
    assert (payload["kind"], payload["nonce"]) == ("loss", bet.fairness.nonce)
    assert [(b["amount"], b["balance"]) for b in payload["balances"]] == [(-10, wallet_after)]


# -- the write's plans: rows found by id, however big the casino ------------------------------

# The tables the write checks or locks rows of: a batch of bets must read its own rows there,
# by index, never the whole table (revision 0027: the standings, balances and nonces were
# checked by hashing every row of players, player_preferences, responsible_profiles, accounts
# and seed_pairs, on every call).
_FOUND_BY_ID = {"players", "player_preferences", "responsible_profiles", "accounts", "seed_pairs"}


@contextlib.asynccontextmanager
async def _explained(url: str) -> AsyncIterator[tuple[AsyncEngine, int, Path]]:
    """One pooled connection to `url` whose every statement, nested ones (inside functions)
    included, has its plan logged by auto_explain as JSON, and on which a sequential scan is a
    last resort: what a plan scans is then decided by its conditions and the tables' sizes."""
    pool = create_engine(url, pool_size=1, max_overflow=0)
    async with pool.connect() as conn:
        await conn.execute(text("LOAD 'auto_explain'"))
        for name, value in (
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_nested_statements", "on"),
            ("auto_explain.log_format", "json"),
            ("enable_seqscan", "off"),
        ):
            await conn.execute(text("SELECT set_config(:n, :v, false)"), {"n": name, "v": value})
        await conn.commit()
        pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        data = Path(await conn.scalar(text("SELECT current_setting('data_directory')")))
    log = data.parent / "postgres.log"
    assert log.exists(), f"no server log at {log}"
    try:
        yield pool, pid, log
    finally:
        await pool.dispose()


@pytest.fixture
async def explained_engine(servers):
    """`_explained` on the suite's database."""
    async with _explained(servers.database_url) as explained:
        yield explained


# Players in the casino whose plans are checked. A generic plan of a statement that joins a
# set of ids to a table depends on the table's size and statistics. The suite's own database
# has a hundred-odd accounts, and once autovacuum had analyzed `accounts` at about 100 to 170
# rows (whether it had by this test depends on what ran before: the test passed alone and
# failed now and then after other files; an ANALYZE of that table before it fails it every
# time), ledger_post_many's lock (`a.id IN (SELECT ... unnest(...))`) and its balances' read
# and update (`JOIN accounts ON a.id = x.acc`) merge-joined the whole primary key in id order
# (two pages: an estimated 15.7 against 16.5 for two lookups) instead of looking each id up.
# From 200 accounts on (tried up to 200,000, analyzed or not, with sequential scans allowed or
# not), every one of them is an index lookup: production's plan. So the check runs in a casino
# of a realistic size, its statistics gathered before the bets (ANALYZE, as autovacuum would):
# the same plans in every run, and the same check as before.
_CROWD = 2_000

_CROWD_SQL = """
WITH crowd AS (
    INSERT INTO players (telegram_user_id, language_code, created_at)
    SELECT 1000000000000 + g, 'en', now() FROM generate_series(1, :n) AS g
    RETURNING id
), preferences AS (
    INSERT INTO player_preferences (player_id, language, referral_code, terms_accepted_at)
    SELECT id, 'en', 'crowd' || id, now() FROM crowd
), wallets AS (
    INSERT INTO accounts (kind, currency, player_id, allow_negative)
    SELECT 'player_wallet', 'XTR', id, false FROM crowd
), pairs AS (
    INSERT INTO seed_pairs (player_id, server_seed_encrypted, server_seed_hash, client_seed,
                            created_at)
    SELECT id, decode('00', 'hex'), repeat('0', 64), 'crowd', now() FROM crowd
)
INSERT INTO responsible_profiles (player_id, created_at)
SELECT id, now() FROM crowd WHERE id % 10 = 0
"""


@pytest.fixture
async def crowded_casino(fresh_books):
    """A database of its own with `_CROWD` players, each with a wallet, preferences and a
    seed pair (one in ten with a responsible-gambling record), analyzed; `_explained` on it,
    and the parts to place bets there."""
    books = await fresh_books("croupier_plans")
    async with books.engine.begin() as conn:
        await conn.execute(text(_CROWD_SQL), {"n": _CROWD})
    async with books.engine.begin() as conn:  # the crowd committed first: ANALYZE counts it
        await conn.execute(text("ANALYZE"))
    async with _explained(books.env["CROUPIER_DATABASE_URL"]) as explained:
        yield books, explained


# House accounts of shards the house does not use (as a casino that runs many shards has
# them): in a casino of few players they are most of `accounts`.
_SHARDS_SQL = """
INSERT INTO accounts (kind, currency, shard, allow_negative)
SELECT k.kind, 'XTR', 1000 + g, k.kind IN ('house_bankroll', 'deposits_clearing',
                                            'adjustments', 'promotions', 'crypto_pay_held')
FROM generate_series(1, 64) AS g,
     unnest(ARRAY['house_bankroll', 'bets_in_play', 'deposits_clearing',
                  'withdrawals_pending', 'adjustments', 'payout_clearing', 'promotions',
                  'duel_escrow', 'crypto_pay_held']) AS k(kind)
"""
# No statistics of `accounts`' columns, as in a new database autovacuum has not analyzed yet
# (and kept so: autovacuum off for the table in this database of the test's own).
_NO_STATISTICS_SQL = """
SELECT pg_clear_attribute_stats('public', 'accounts', a.attname, false)
FROM pg_attribute a
WHERE a.attrelid = CAST('accounts' AS regclass) AND a.attnum > 0 AND NOT a.attisdropped
"""


@pytest.fixture
async def casino_of_many_shards(fresh_books):
    """A database of its own whose accounts are mostly the house's (576 more than its
    shards', a few players'), with no statistics of them yet; `_explained` on it, and the
    parts to place bets there."""
    books = await fresh_books("croupier_shards")
    async with books.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE accounts SET (autovacuum_enabled = false)"))
        await conn.execute(text(_SHARDS_SQL))
        await conn.execute(text(_NO_STATISTICS_SQL))
    async with _explained(books.env["CROUPIER_DATABASE_URL"]) as explained:
        yield books, explained


def _plans(log: Path, offset: int, pid: int) -> list[dict[str, Any]]:
    """The plans auto_explain logged for backend `pid` since `offset`: each a log line ending
    in "plan:" followed by the JSON document on continuation lines."""
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    plans: list[dict[str, Any]] = []
    entry: list[str] | None = None
    for line in [*lines, "end"]:
        if line[:1].isspace() and entry is not None:
            entry.append(line)
            continue
        if entry:
            plans.append(json.loads("\n".join(entry)))
        entry = [] if f"[{pid}]" in line and line.endswith("plan:") else None
    return plans


def _scans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The nodes of a plan that read a table (not those that write one: ModifyTable)."""
    if "Relation Name" in node and node["Node Type"].endswith("Scan"):
        yield node
    for child in node.get("Plans", []):
        yield from _scans(child)


async def _batch_plans(casino, cipher, new_telegram_id) -> list[dict[str, Any]]:
    """The plans of a three-bet batch's read and write of two new players in `casino`."""
    books, (pool, pid, log) = casino
    factory = await start_unit_of_work_factory(pool, books.house.shards, cipher, TEST_PERSONAL_DATA)
    place = PlaceBet(factory, books.clock, books.ids, books.house, SecretsSeedSource())
    register = RegisterPlayer(factory, books.clock)
    credit = CreditDeposit(factory, books.clock, books.ids, books.house)
    one, two = [
        (
            await register(
                RegisterPlayerCommand(new_telegram_id(), currencies=(XTR,), accept_terms=True)
            )
        ).player
        for _ in range(2)
    ]
    for player in (one, two):  # funded, and their seed pairs: the batch below takes nonces
        await credit(CreditDepositCommand(player.id, Money(1000, XTR), f"deposit-{player.id}"))
        await place(coin(player.id))
    offset = log.stat().st_size
    outcomes = await PlaceBets(place)([coin(one.id), coin(two.id), coin(one.id)])
    assert all(not isinstance(outcome, Exception) for outcome in outcomes)
    return _plans(log, offset, pid)


async def test_a_batchs_write_reads_its_own_rows_by_index(crowded_casino, cipher, new_telegram_id):
    plans = await _batch_plans(crowded_casino, cipher, new_telegram_id)
    statements = [plan["Query Text"] for plan in plans]
    assert any("place_bets" in statement for statement in statements), statements
    whole = [
        (scan["Node Type"], scan["Relation Name"], plan["Query Text"].split("\n")[0][:120])
        for plan in plans
        for scan in _scans(plan["Plan"])
        if scan["Relation Name"] in _FOUND_BY_ID
        and not ({"Index Cond", "Recheck Cond"} & scan.keys())
    ]
    assert whole == []


async def test_a_batchs_write_finds_accounts_by_their_primary_key(
    casino_of_many_shards, cipher, new_telegram_id
):
    # Revision 0063: `place_bets` locked the house accounts as `a.id = ANY(v_ids) AND
    # a.player_id IS NULL`, and its generic plan read every house account through
    # uq_accounts_wallet's NULLs (an index condition, so the check above let it pass), then
    # filtered them by id: ~50 µs a call in the bench, where the plan was made before the
    # table's first ANALYZE and kept for the connection. Every account the write reads it
    # knows by id (the read before it finds wallets by player, through uq_accounts_wallet:
    # left out). A plan is logged when its statement ends: the write's follow the read's.
    plans = await _batch_plans(casino_of_many_shards, cipher, new_telegram_id)
    read = max(i for i, plan in enumerate(plans) if "placement_snapshot(" in plan["Query Text"])
    write = plans[read + 1 :]
    assert any("place_bets(" in plan["Query Text"] for plan in write)
    elsewhere = [
        (_indexes(scan), plan["Query Text"].split("\n")[0][:120])
        for plan in write
        for scan in _scans(plan["Plan"])
        if scan["Relation Name"] == "accounts" and _indexes(scan) != {"accounts_pkey"}
    ]
    assert elsewhere == []


def _indexes(node: dict[str, Any]) -> set[str]:
    """The indexes a scan reads (a bitmap heap scan's are its bitmap index scans')."""
    found = {node["Index Name"]} if "Index Name" in node else set()
    for child in node.get("Plans", []):
        found |= _indexes(child)
    return found


async def test_the_writes_statements_are_planned_once_per_connection(
    explained_engine, funded_player, cipher, clock, ids, house, seed_source
):
    # Revision 0033: the snapshot read (`placement_snapshot`), `place_bets` and
    # `ledger_post_many` run with force_generic_plan. Under
    # `auto`, PL/pgSQL planned a statement again for each call's values (a custom plan, its
    # values written in: `= ANY ('{7}'::bigint[])`); a generic plan, kept for the connection,
    # names its parameters instead (`= ANY ($3)`). Checked on the connection's second bet,
    # when `auto` would still be making custom plans (it tries five first).
    pool, pid, log = explained_engine
    factory = await start_unit_of_work_factory(pool, TEST_HOUSE_SHARDS, cipher, TEST_PERSONAL_DATA)
    place = PlaceBet(factory, clock, ids, house, seed_source)
    player = await funded_player(1000)
    await place(coin(player.id))
    offset = log.stat().st_size
    await place(coin(player.id))
    plans = _plans(log, offset, pid)
    # (The postings' accounts are `p_leg_accounts` as it is since revision 0067.)
    by_id = [
        plan
        for plan in plans
        if "= ANY(v_" in plan["Query Text"] or "= ANY(p_leg_accounts)" in plan["Query Text"]
    ]
    assert len(by_id) >= 5, [plan["Query Text"][:80] for plan in by_id]
    snapshot = [plan for plan in plans if "'standings'" in plan["Query Text"]]
    assert len(snapshot) == 1, [plan["Query Text"][:80] for plan in plans]
    by_id += snapshot
    custom = [
        plan["Query Text"].split("\n")[0][:100]
        for plan in by_id
        if "ANY ($" not in json.dumps(plan["Plan"])
    ]
    assert custom == []


async def test_a_bet_alone_takes_one_hop_through_sqlalchemys_greenlet_bridge(
    funded_player, place, monkeypatch
):
    # The unit of work's checkout, begin and pooled connection in one hop; its commit and
    # close, with nothing sent through SQLAlchemy, in none; the read and the write share the
    # driver connection. Each hop is a new greenlet, and on Python 3.11 a frame stack mapped
    # and unmapped (issue 19, bench/README.md): five a bet alone before.
    player = await funded_player(1000)
    await place(coin(player.id))  # the pair exists: the steady state
    asks: list[int] = []
    original = AsyncConnection.get_raw_connection

    async def counted(self):
        asks.append(1)
        return await original(self)

    monkeypatch.setattr(AsyncConnection, "get_raw_connection", counted)
    here = greenlet.getcurrent()
    entered: list[greenlet.greenlet] = []  # held, so that no two share an id

    def trace(event: str, args: tuple[greenlet.greenlet, greenlet.greenlet]) -> None:
        target = args[1]
        if event == "switch" and target is not here and target not in entered:
            entered.append(target)

    previous = greenlet.settrace(trace)
    try:
        receipt = await place(coin(player.id))
    finally:
        greenlet.settrace(previous)
    assert receipt.bet.fairness is not None
    assert receipt.bet.fairness.nonce == 1
    assert asks == []
    assert len(entered) == 1
