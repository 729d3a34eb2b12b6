"""Duel lobbies on the real database: every lobby ends exactly once and every seat is staked
once, and the escrow holds exactly the open duels' and lobbies' stakes (the `books` fixture
reconciles after every test), under two joins for the last seat, a double Start, a join
racing the expiry job, a join racing the Start, a crash before a commit and a restart between
two dice; the tables refuse what the domain refuses; the limits count a lobby's stakes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.duels import (
    ExpireLobbies,
    JoinLobby,
    LeaveLobby,
    OpenLobby,
    OpenLobbyCommand,
    RecordLobbyRoll,
    RecordLobbyRollCommand,
    StartLobby,
)
from application.risk.review import RiskReview
from domain.duel_lobbies import LobbyState
from domain.duels import DuelRules
from domain.errors import DomainError, IllegalTransition
from domain.money import XTR, Money
from domain.risk import RiskPolicy
from tests.conftest import race
from tests.fakes import FakeClock
from tests.integration.test_duels import CommitFails

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

RULES = DuelRules(cut_bps=500, max_ties=1, roll_window=timedelta(minutes=10))


@pytest.fixture
def lobbies(uow_factory, ids, house, register, credit, new_telegram_id):
    from application.postings import CreditDepositCommand
    from application.registration import RegisterPlayerCommand

    class Lobbies:
        # An hour behind the wall clock (as tests/integration/test_duels.py explains).
        clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))

        def build(self, factory=uow_factory, clock=None):
            parts = (factory, clock or self.clock, ids, house)
            return {
                "open": OpenLobby(*parts, RULES),
                "join": JoinLobby(*parts, RULES),
                "leave": LeaveLobby(*parts),
                "start": StartLobby(*parts, RULES),
                "roll": RecordLobbyRoll(*parts, RiskReview(RiskPolicy())),
                "expire": ExpireLobbies(*parts),
            }

        async def player(self, cash: int = 100) -> tuple[int, int]:
            telegram_id = new_telegram_id()
            registered = await register(
                RegisterPlayerCommand(telegram_id, currencies=(XTR,), accept_terms=True)
            )
            await credit(
                CreditDepositCommand(registered.player.id, Money(cash, XTR), f"d-{telegram_id}")
            )
            return telegram_id, registered.player.id

        async def wallet(self, player_id: int) -> int:
            async with uow_factory() as uow:
                account = await uow.accounts.wallet(player_id, XTR)
                assert account is not None
                return account.balance

        async def open_lobby(self, opener: int, *, seats: int = 10, stake: int = 10) -> uuid.UUID:
            lobby_id = uuid.uuid4()
            await self.build()["open"](
                OpenLobbyCommand(lobby_id, -42, opener, Money(stake, XTR), "🎲", seats)
            )
            return lobby_id

        async def postings(self, engine, lobby_id: uuid.UUID) -> list[str]:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT idempotency_key FROM ledger_transactions WHERE reference = :r"),
                    {"r": f"lobby:{lobby_id}"},
                )
                return sorted(r.idempotency_key for r in rows)

    return Lobbies()


def ok(results: list) -> list:
    return [r for r in results if not isinstance(r, BaseException)]


async def test_four_players_the_highest_takes_the_pot_less_the_cut(lobbies, engine) -> None:
    players = [await lobbies.player() for _ in range(4)]
    a = players[0][0]
    lobby_id = await lobbies.open_lobby(a)
    uc = lobbies.build()
    for telegram_id, _ in players[1:]:
        await uc["join"](lobby_id, telegram_id)
    lobby = await uc["start"](lobby_id, a)
    assert lobby.state is LobbyState.ROLLING
    for n, value in enumerate((3, 6, 6, 1)):  # seats 2 and 3 tie at the top
        lobby = await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, n + 1, value, 100 + n))
    assert lobby.contenders(2) == (2, 3)
    lobby = await uc["roll"](RecordLobbyRollCommand(lobby_id, 2, 2, 2, 200))
    lobby = await uc["roll"](RecordLobbyRollCommand(lobby_id, 2, 3, 5, 201))
    assert lobby.state is LobbyState.SETTLED
    # Pot 40, cut 5% = 2, prize 38 to seat 3.
    wallets = [await lobbies.wallet(p) for _, p in players]
    assert wallets == [90, 90, 128, 90]
    keys = await lobbies.postings(engine, lobby_id)
    assert keys == sorted(
        [f"lobby:{lobby_id}:seat:{n}:stake" for n in range(1, 5)] + [f"lobby:{lobby_id}:settle"]
    )


async def test_two_joins_for_the_last_seat_seat_one(lobbies, engine) -> None:
    (a, pa) = await lobbies.player()
    rivals = [await lobbies.player() for _ in range(4)]
    lobby_id = await lobbies.open_lobby(a, seats=2)
    join = lobbies.build()["join"]
    results = await race(4, lambda i: join(lobby_id, rivals[i][0]))
    joined = ok(results)
    assert len(joined) == 1, results
    assert all(isinstance(r, IllegalTransition) for r in results if r not in joined)
    assert joined[0].state is LobbyState.ROLLING  # the last seat started it
    balances = sorted([await lobbies.wallet(p) for _, p in rivals])
    assert balances == [90, 100, 100, 100]
    assert await lobbies.wallet(pa) == 90
    assert len(await lobbies.postings(engine, lobby_id)) == 2


async def test_one_player_joining_twice_at_once_takes_one_seat(lobbies, engine) -> None:
    (a, _), (b, pb) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a)
    join = lobbies.build()["join"]
    results = await race(4, lambda i: join(lobby_id, b))
    assert len(ok(results)) == 1, results
    assert await lobbies.wallet(pb) == 90


async def test_a_double_start_starts_once(lobbies) -> None:
    (a, _), (b, _) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a)
    uc = lobbies.build()
    await uc["join"](lobby_id, b)
    results = await race(3, lambda i: uc["start"](lobby_id, a))
    assert len(ok(results)) == 1, results
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 2
    assert all(isinstance(r, IllegalTransition) for r in refused), refused


async def test_a_join_racing_the_start_ends_in_one_order(lobbies, uow_factory) -> None:
    (a, pa), (b, pb), (c, pc) = [await lobbies.player() for _ in range(3)]
    lobby_id = await lobbies.open_lobby(a)
    uc = lobbies.build()
    await uc["join"](lobby_id, b)
    results = await race(
        2, lambda i: uc["join"](lobby_id, c) if i == 0 else uc["start"](lobby_id, a)
    )
    assert not isinstance(results[1], BaseException), results  # the start always goes through
    async with uow_factory() as uow:
        stored = await uow.lobbies.find(lobby_id)
    assert stored is not None
    assert stored.state is LobbyState.ROLLING
    assert stored.players == results[1].players  # the seats the start saw are those that play
    if isinstance(results[0], BaseException):
        # The start came first: the join found it started; C's money never moved.
        assert isinstance(results[0], IllegalTransition)
        assert stored.players == (pa, pb)
        assert await lobbies.wallet(pc) == 100
    else:
        assert stored.players == (pa, pb, pc)
        assert await lobbies.wallet(pc) == 90


async def test_a_join_racing_the_expiry_job_ends_the_lobby_once(lobbies, engine) -> None:
    (a, pa), (b, pb) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a)
    late = FakeClock(lobbies.clock.now() + timedelta(minutes=5))
    join = lobbies.build()["join"]
    expire = lobbies.build(clock=late)["expire"]
    results = await race(2, lambda i: join(lobby_id, b) if i == 0 else expire())
    # The join's clock is before the deadline, the job's after it: either order is possible.
    async with engine.connect() as conn:
        state = (
            await conn.execute(
                text("SELECT state FROM duel_lobbies WHERE id = :id"), {"id": lobby_id}
            )
        ).scalar_one()
    assert state == "expired"  # the job ends it whether B got in first or not
    assert lobby_id in {lob.id for lob in results[1]}
    assert (await lobbies.wallet(pa), await lobbies.wallet(pb)) == (100, 100)
    keys = await lobbies.postings(engine, lobby_id)
    assert f"lobby:{lobby_id}:refund" in keys
    if isinstance(results[0], BaseException):
        assert isinstance(results[0], IllegalTransition)
        assert len(keys) == 2
    else:
        assert len(keys) == 3


async def test_leave_returns_the_stake_once_and_the_seat_stays_left(lobbies, engine) -> None:
    (a, pa), (b, pb) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a)
    uc = lobbies.build()
    await uc["join"](lobby_id, b)
    results = await race(3, lambda i: uc["leave"](lobby_id, b))
    assert len(ok(results)) == 1, results
    assert await lobbies.wallet(pb) == 100
    with pytest.raises(DomainError):
        await uc["join"](lobby_id, b)  # no coming back
    with pytest.raises(IllegalTransition):
        await uc["start"](lobby_id, a)  # one seat left
    ended = await lobbies.build(clock=FakeClock(lobbies.clock.now() + timedelta(minutes=6)))[
        "expire"
    ]()
    assert lobby_id in {lob.id for lob in ended}
    assert (await lobbies.wallet(pa), await lobbies.wallet(pb)) == (100, 100)
    assert await lobbies.postings(engine, lobby_id) == sorted(
        [
            f"lobby:{lobby_id}:refund",
            f"lobby:{lobby_id}:seat:1:stake",
            f"lobby:{lobby_id}:seat:2:leave",
            f"lobby:{lobby_id}:seat:2:stake",
        ]
    )


async def test_a_crash_before_the_settlement_commits_settles_once_on_retry(
    lobbies, uow_factory, engine
) -> None:
    (a, pa), (b, pb) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a, seats=2)
    uc = lobbies.build()
    await uc["join"](lobby_id, b)  # fills and starts
    await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, 1, 2, 11))
    command = RecordLobbyRollCommand(lobby_id, 1, 2, 5, 12)
    with pytest.raises(ConnectionResetError):
        await lobbies.build(factory=CommitFails(uow_factory))["roll"](command)
    assert f"lobby:{lobby_id}:settle" not in await lobbies.postings(engine, lobby_id)
    results = await race(3, lambda i: lobbies.build()["roll"](command))
    assert {r.state for r in results} == {LobbyState.SETTLED}, results
    assert (await lobbies.wallet(pa), await lobbies.wallet(pb)) == (90, 109)


async def test_a_restart_between_the_dice_goes_on_then_the_job_refunds(
    lobbies, uow_factory
) -> None:
    players = [await lobbies.player() for _ in range(3)]
    lobby_id = await lobbies.open_lobby(players[0][0])
    uc = lobbies.build()
    for telegram_id, _ in players[1:]:
        await uc["join"](lobby_id, telegram_id)
    await uc["start"](lobby_id, players[0][0])
    await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, 1, 4, 1))
    # The process dies here. A new one reads where the lobby stands and goes on.
    after = lobbies.build()
    async with uow_factory() as uow:
        stored = await uow.lobbies.find(lobby_id)
    assert stored is not None
    assert (stored.round, stored.seat_to_roll) == (1, 2)
    with pytest.raises(IllegalTransition):  # a die for seat 1 again, another message
        await after["roll"](RecordLobbyRollCommand(lobby_id, 1, 1, 6, 99))
    await after["roll"](RecordLobbyRollCommand(lobby_id, 1, 2, 3, 2))
    # It dies again before seat 3's die: nobody rolls it, the roll window passes.
    late = lobbies.build(clock=FakeClock(lobbies.clock.now() + timedelta(minutes=11)))
    results = await race(2, lambda i: late["expire"]())
    ended = [lob for r in results for lob in r if lob.id == lobby_id]
    assert len(ended) == 1
    assert ended[0].state is LobbyState.REFUNDED
    assert [await lobbies.wallet(p) for _, p in players] == [100, 100, 100]


async def test_the_tables_refuse_what_the_domain_refuses(lobbies, engine) -> None:
    (a, _), (b, _) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a)
    await lobbies.build()["join"](lobby_id, b)
    refused = (
        "UPDATE duel_lobbies SET state = 'settled', finished_at = now() WHERE id = :id",
        "UPDATE duel_lobbies SET state = 'refunded', finished_at = now() WHERE id = :id",
        "UPDATE duel_lobbies SET stake = 1 WHERE id = :id",
        "UPDATE duel_lobbies SET max_seats = 11 WHERE id = :id",
        "DELETE FROM duel_lobbies WHERE id = :id",
        "UPDATE duel_lobby_seats SET player_id = player_id + 1 WHERE lobby_id = :id",
        "UPDATE duel_lobby_seats SET left_at = now() WHERE lobby_id = :id AND seat = 1",
        "DELETE FROM duel_lobby_seats WHERE lobby_id = :id",
        "INSERT INTO duel_lobby_rolls VALUES (:id, 1, 7, 3, 1, now())",  # no such seat
        "INSERT INTO duel_lobby_rolls VALUES (:id, 1, 1, 3, 1, now())",  # not under way
    )
    for statement in refused:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), {"id": lobby_id})
    # Full (two seats of two, so under way): no seat is added or left any more.
    (c, pc) = await lobbies.player()
    full = await lobbies.open_lobby(a, seats=2)
    await lobbies.build()["join"](full, b)
    for statement in (
        "INSERT INTO duel_lobby_seats VALUES (:id, 3, :p, now(), NULL)",
        "UPDATE duel_lobby_seats SET left_at = now() WHERE lobby_id = :id AND seat = 2",
    ):
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), {"id": full, "p": pc})
    assert c


async def test_a_refused_stake_opens_no_lobby_and_seats_nobody(lobbies, engine) -> None:
    (a, _), (poor, pp) = await lobbies.player(), await lobbies.player(cash=5)
    lobby_id = uuid.uuid4()
    with pytest.raises(DomainError):
        await lobbies.build()["open"](OpenLobbyCommand(lobby_id, -42, poor, Money(10, XTR), "🎲"))
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT 1 FROM duel_lobbies WHERE id = :id"), {"id": lobby_id}
        )
        assert found.first() is None
    opened = await lobbies.open_lobby(a)
    with pytest.raises(DomainError):
        await lobbies.build()["join"](opened, poor)
    assert await lobbies.wallet(pp) == 5


async def test_the_limits_count_a_lobby_seat_as_a_bet(lobbies, uow_factory) -> None:
    (a, pa), (b, pb) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a, seats=2)
    uc = lobbies.build()
    await uc["join"](lobby_id, b)
    await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, 1, 6, 1))
    await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, 2, 1, 2))
    since = lobbies.clock.now() - timedelta(minutes=1)
    async with uow_factory() as uow:
        winner = await uow.responsible.usage(pa, XTR, since)
        loser = await uow.responsible.usage(pb, XTR, since)
        # A seat is a stake: the reality check's "last played" sees the join.
        joined = await uow.responsible.last_played_at(pb)
    assert (winner.wagered, winner.net_loss) == (10, 10 - 19)
    assert (loser.wagered, loser.net_loss) == (10, 10)
    assert joined == lobbies.clock.now()


async def test_reconcile_sees_a_seat_without_its_stake(lobbies, engine) -> None:
    """The lobby checks can fail: a seat written without its stake (here by hand, inside a
    transaction rolled back) breaks both the escrow's sum and the lobby's postings."""
    from adapters.postgres.reconcile_duels import DUEL_CHECKS

    (a, _), (_b, pb) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        await conn.execute(
            text(
                "INSERT INTO duel_lobby_seats (lobby_id, seat, player_id, joined_at)"
                " VALUES (:id, 2, :p, now())"
            ),
            {"id": lobby_id, "p": pb},
        )
        found = {}
        for name, sql in DUEL_CHECKS:
            found[name] = [dict(r._mapping) for r in await conn.execute(text(sql))]
        await transaction.rollback()
    escrow = "duel escrow differs from the stakes of open duels and lobbies"
    assert found[escrow], found
    broken = "lobby without a stake per seat, a return per seat left and its one end"
    assert [r["id"] for r in found[broken]] == [lobby_id]


async def test_chip_dumping_through_two_seat_lobbies_raises_a_flag(lobbies, engine) -> None:
    """A lobby played by two seats is a duel in all but name: Bob winning ten of them in a
    row (once in 1024 by chance) is flagged as ten duels would be; a three-seat lobby is not
    counted."""
    (a, pa), (b, pb), (c, _) = [await lobbies.player() for _ in range(3)]
    uc = lobbies.build()
    three = await lobbies.open_lobby(a, stake=2)
    await uc["join"](three, b)
    await uc["join"](three, c)
    await uc["start"](three, a)
    for n, value in enumerate((1, 6, 2)):
        await uc["roll"](RecordLobbyRollCommand(three, 1, n + 1, value, 900 + n))
    played = []
    for n in range(10):
        lobby_id = await lobbies.open_lobby(a, seats=2, stake=2)
        played.append(str(lobby_id))
        await uc["join"](lobby_id, b)  # fills it: under way
        await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, 1, 1, 2 * n))
        await uc["roll"](RecordLobbyRollCommand(lobby_id, 1, 2, 6, 2 * n + 1))
    async with engine.connect() as conn:
        flags = (
            await conn.execute(
                text(
                    "SELECT player_id, evidence->>'pattern' AS pattern,"
                    " evidence->>'lobby_id' AS lobby_id FROM risk_flags"
                    " WHERE kind = 'duel_collusion' AND player_id IN (:a, :b)"
                ),
                {"a": pa, "b": pb},
            )
        ).all()
    # Raised by the tenth two-seat lobby: had the three-seat one counted, by the ninth.
    assert [(f.player_id, f.pattern, f.lobby_id) for f in flags] == [(pb, "one_sided", played[-1])]


async def test_a_step_the_table_refuses_is_the_domains_illegal_transition(
    lobbies, uow_factory
) -> None:
    """A step the domain would never take (an open lobby settled without its dice), saved as
    if it had: the trigger refuses it (CR405) and the adapter raises the domain's
    IllegalTransition, not the driver's error."""
    (a, pa), (b, _) = await lobbies.player(), await lobbies.player()
    lobby_id = await lobbies.open_lobby(a, seats=3)
    await lobbies.build()["join"](lobby_id, b)
    async with uow_factory() as uow:
        lobby = await uow.lobbies.lock(lobby_id)
        forced = replace(
            lobby, state=LobbyState.SETTLED, winner_id=pa, finished_at=lobbies.clock.now()
        )
        with pytest.raises(IllegalTransition) as refused:
            await uow.lobbies.save(forced)
    assert refused.value.__cause__ is None
    async with uow_factory() as uow:
        assert (await uow.lobbies.find(lobby_id)).state is LobbyState.OPEN
