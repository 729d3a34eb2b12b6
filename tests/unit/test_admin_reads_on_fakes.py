"""The staff's reads on in-memory fakes (tests/fake_reads.py): the journal's search, export and
one transaction; the bet search and a bet's inspection; the player search, profile and notes.
What is tested here is each use case's own work (validating the query, paging with cursors,
auditing an export, recomputing a bet); the SQL behind the read models is tested through the
admin API on PostgreSQL (tests/entrypoints/test_http_ledger.py, test_http_bets.py,
test_http_players.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.betting.queries import BetQuery, InspectBet, SearchBets
from application.ledger_queries import (
    ExportTransactions,
    GetTransaction,
    LedgerQuery,
    SearchTransactions,
)
from application.player_admin import (
    AddPlayerNote,
    BlockPlayer,
    GetPlayerProfile,
    ListPlayerNotes,
    PlayerQuery,
    SearchPlayers,
)
from application.seeds import RotateSeedPair
from application.staff import Actor
from domain.accounts import AccountKind
from domain.errors import InvalidField, NotFound
from domain.ledger import TransactionKind
from domain.money import XTR, CurrencyRegistry
from domain.players import PlayerStatus
from domain.staff import AuditAction
from tests.casino_on_fakes import Casino
from tests.fake_reads import FakeBetReads, FakeLedgerReads, FakePlayerDirectory

ALICE = Actor("staff:alice", "10.0.0.1")
CURRENCIES = CurrencyRegistry([XTR])


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


async def test_the_journal_pages_newest_first_and_filters_by_player_and_kind(casino):
    ann = await casino.player(1, deposit=100)
    bob = await casino.player(2, deposit=200)
    for _ in range(3):
        casino.clock.advance(minutes=1)
        await casino.deposit(ann, 5)
    search = SearchTransactions(FakeLedgerReads(casino.db), CURRENCIES)

    first = await search(LedgerQuery(player_id=ann, kind="DEPOSIT", limit=3))
    assert [t.legs[0].amount + t.legs[1].amount for t in first.transactions] == [0, 0, 0]
    times = [t.created_at for t in first.transactions]
    assert times == sorted(times, reverse=True)
    assert first.next_cursor is not None
    rest = await search(LedgerQuery(player_id=ann, kind="deposit", cursor=first.next_cursor))
    assert rest.next_cursor is None
    everything = first.transactions + rest.transactions
    assert len(everything) == 4  # the first deposit and three more
    assert len({t.id for t in everything}) == 4
    wallet_legs = [leg for t in everything for leg in t.legs if leg.player_id is not None]
    assert {leg.player_id for leg in wallet_legs} == {ann}

    bobs = await search(LedgerQuery(player_id=bob))
    assert [t.kind for t in bobs.transactions] == [TransactionKind.DEPOSIT]
    wallet = next(leg for leg in bobs.transactions[0].legs if leg.player_id == bob)
    assert (wallet.account_kind, wallet.amount, wallet.balance_after) == (
        AccountKind.PLAYER_WALLET,
        200,
        200,
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (LedgerQuery(kind="jackpot"), "kind"),
        (LedgerQuery(currency="EUR"), "currency"),
        (LedgerQuery(limit=0), "limit"),
        (LedgerQuery(limit=101), "limit"),
        (LedgerQuery(player_id=0), "player_id"),
        (LedgerQuery(cursor="not-a-cursor"), "cursor"),
    ],
)
async def test_a_bad_journal_query_names_its_field(casino, query, field):
    search = SearchTransactions(FakeLedgerReads(casino.db), CURRENCIES)
    with pytest.raises(InvalidField) as refused:
        await search(query)
    assert refused.value.field == field


async def test_a_time_range_must_run_forwards(casino):
    now = casino.clock.now()
    search = SearchTransactions(FakeLedgerReads(casino.db), CURRENCIES)
    with pytest.raises(InvalidField) as refused:
        await search(LedgerQuery(since=now, until=now - timedelta(days=1)))
    assert refused.value.field == "to"


async def test_an_export_is_audited_with_its_filters_and_counts(casino):
    ann = await casino.player(1, deposit=100)
    export = ExportTransactions(FakeLedgerReads(casino.db), CURRENCIES, casino.db, casino.clock)
    page = await export(LedgerQuery(player_id=ann), ALICE, fmt="csv")
    assert len(page.transactions) == 1
    entry = casino.db.state.audit[-1]
    assert (entry.action, entry.actor, entry.subject, entry.source) == (
        AuditAction.EXPORT,
        "staff:alice",
        "ledger:transactions",
        "10.0.0.1",
    )
    assert entry.after["format"] == "csv"
    assert entry.after["filters"]["player_id"] == ann
    assert (entry.after["transactions"], entry.after["legs"]) == (1, 2)


async def test_one_transaction_is_found_by_id_and_an_unknown_one_is_not(casino):
    ann = await casino.player(1, deposit=100)
    reads = FakeLedgerReads(casino.db)
    listed = (await SearchTransactions(reads, CURRENCIES)(LedgerQuery(player_id=ann))).transactions
    found = await GetTransaction(reads)(listed[0].id)
    assert found == listed[0]
    with pytest.raises(NotFound):
        await GetTransaction(reads)(uuid.uuid4())


async def test_bets_are_searched_by_game_and_state_a_page_at_a_time(casino):
    ann = await casino.player(1, deposit=1000)
    placed = []
    for _ in range(3):
        casino.clock.advance(seconds=1)
        placed.append((await casino.coin(ann)).bet)
    search = SearchBets(FakeBetReads(casino.db))
    first = await search(BetQuery(player_id=ann, game="COIN", limit=2))
    assert [b.id for b in first.bets] == [placed[2].id, placed[1].id]
    second = await search(BetQuery(player_id=ann, cursor=first.next_cursor, limit=2))
    assert ([b.id for b in second.bets], second.next_cursor) == ([placed[0].id], None)
    won = await search(BetQuery(state="won"))
    assert won.bets  # nonce 0 of the fixed seeds wins
    assert {b.id for b in won.bets} == {b.id for b in placed if b.state.value == "won"}
    with pytest.raises(InvalidField) as refused:
        await search(BetQuery(game="poker"))
    assert refused.value.field == "game"
    with pytest.raises(InvalidField) as refused:
        await search(BetQuery(state="lucky"))
    assert refused.value.field == "state"


async def test_an_inspection_recomputes_a_bet_only_once_its_seed_is_revealed(casino):
    ann = await casino.player(1, deposit=1000)
    bet = (await casino.coin(ann)).bet
    inspect = InspectBet(casino.db)
    before = await inspect(bet.id)
    assert (before.provably_fair, before.revealed, before.recomputation) == (True, False, None)

    await RotateSeedPair(casino.db, casino.clock, casino.seeds)(ann)
    after = await inspect(bet.id)
    assert after.revealed
    assert after.recomputation is not None
    assert after.recomputation.matches
    assert after.recomputation.server_seed == casino.seeds.server_seed()
    assert (after.recomputation.outcome, after.recomputation.payout) == (bet.outcome, bet.payout)
    with pytest.raises(NotFound):
        await inspect(uuid.uuid4())


async def test_players_are_found_by_exact_username_in_any_case_and_by_status(casino):
    ann = await casino.player(1, username="Ann")
    bob = await casino.player(2, username="bob")
    await BlockPlayer(casino.db, casino.clock)(bob, "fraud", ALICE)
    search = SearchPlayers(FakePlayerDirectory(casino.db))
    assert [p.id for p in (await search(PlayerQuery(username="@ANN"))).players] == [ann]
    assert (await search(PlayerQuery(username="an"))).players == ()
    blocked = (await search(PlayerQuery(status="Blocked"))).players
    assert [(p.id, p.status, p.status_reason) for p in blocked] == [
        (bob, PlayerStatus.BLOCKED, "fraud")
    ]
    newest = await search(PlayerQuery(limit=1))
    assert [p.id for p in newest.players] == [bob]
    older = await search(PlayerQuery(limit=1, cursor=newest.next_cursor))
    assert ([p.id for p in older.players], older.next_cursor) == ([ann], None)
    for query, field in [
        (PlayerQuery(status="asleep"), "status"),
        (PlayerQuery(username="@"), "username"),
        (PlayerQuery(telegram_id=0), "telegram_id"),
    ]:
        with pytest.raises(InvalidField) as refused:
            await search(query)
        assert refused.value.field == field


async def test_a_profile_shows_balances_and_the_latest_notes_and_notes_page(casino):
    ann = await casino.player(1, deposit=250)
    note = AddPlayerNote(casino.db, casino.clock)
    for n in range(12):
        await note(ann, f"note {n}", ALICE)
    directory = FakePlayerDirectory(casino.db)
    profile = await GetPlayerProfile(directory)(ann)
    assert [(b.currency, b.amount) for b in profile.balances] == [("XTR", 250)]
    assert [n.body for n in profile.recent_notes] == [f"note {n}" for n in range(11, 1, -1)]

    notes = ListPlayerNotes(directory)
    first = await notes(ann, limit=5)
    assert [n.body for n in first.notes] == [f"note {n}" for n in range(11, 6, -1)]
    rest = await notes(ann, cursor=first.next_cursor, limit=50)
    assert ([n.body for n in rest.notes], rest.next_cursor) == (
        [f"note {n}" for n in range(6, -1, -1)],
        None,
    )
    for read in (GetPlayerProfile(directory), ListPlayerNotes(directory)):
        with pytest.raises(NotFound):
            await read(999)
        with pytest.raises(NotFound):
            await read(2**64)  # no stored id is that large
