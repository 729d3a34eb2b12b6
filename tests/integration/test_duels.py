"""Duels on the real database: every duel ends exactly once, and the escrow holds exactly
the open duels' stakes (the `books` fixture reconciles after every test), under double taps,
two accepts at once, an accept racing the expiry job, two expiry jobs, a crash before a
commit and a restart between two dice; the table refuses what the domain refuses."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    ChallengeDuelCommand,
    DeclineDuel,
    ExpireDuels,
    RecordDuelRoll,
    RecordDuelRollCommand,
)
from application.risk.review import RiskReview
from domain.accounts import AccountKind
from domain.duels import DuelRules, DuelState, Seat
from domain.duels_collusion import CollusionPolicy
from domain.errors import DomainError, IllegalTransition
from domain.money import XTR, Money
from domain.risk import RiskPolicy
from tests.conftest import race
from tests.fakes import FakeClock

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

# The roll window is longer than the accept window: an accepted duel is not overdue when
# the accept window ends.
RULES = DuelRules(cut_bps=500, max_ties=1, roll_window=timedelta(minutes=10))


class CommitFails:
    """A unit of work factory whose next `commit` dies as a killed connection would: the
    transaction rolls back and the caller sees an error (a crash before the commit)."""

    def __init__(self, factory) -> None:
        self._factory = factory
        self.armed = True

    def __call__(self):
        uow = self._factory()
        if not self.armed:
            return uow
        self.armed = False

        async def dying_commit() -> None:
            raise ConnectionResetError("the server closed the connection")

        uow.commit = dying_commit
        return uow


@pytest.fixture
def duels(uow_factory, ids, house, register, credit, new_telegram_id):
    from application.postings import CreditDepositCommand
    from application.registration import RegisterPlayerCommand

    class Duels:
        # An hour behind the wall clock, so the expiry clocks below (minutes ahead of it) stay
        # in the past too: the books' times stay older than anything another test reads as
        # "after now" (the outbox retention test prunes by the database's now()).
        clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))

        def build(self, factory=uow_factory, clock=None):
            parts = (factory, clock or self.clock, ids, house)
            return (
                ChallengeDuel(*parts, RULES),
                AcceptDuel(*parts, RULES),
                DeclineDuel(*parts),
                RecordDuelRoll(*parts, RiskReview(RiskPolicy()), CollusionPolicy()),
                ExpireDuels(*parts),
            )

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

        async def open_duel(self, a: int, b: int, stake: int = 10) -> uuid.UUID:
            challenge = self.build()[0]
            duel_id = uuid.uuid4()
            await challenge(ChallengeDuelCommand(duel_id, -42, a, Money(stake, XTR), "🎲", b))
            return duel_id

        async def postings(self, engine, duel_id: uuid.UUID) -> list[str]:
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT idempotency_key FROM ledger_transactions"
                        " WHERE reference = :ref ORDER BY created_at, idempotency_key"
                    ),
                    {"ref": f"duel:{duel_id}"},
                )
                return sorted(r.idempotency_key for r in rows)

    return Duels()


async def test_two_accepts_at_once_escrow_one_stake(duels, engine) -> None:
    (a, _), (b, pb) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    accept = duels.build()[1]
    results = await race(4, lambda i: accept(duel_id, b))
    accepted = [r for r in results if not isinstance(r, BaseException)]
    assert len(accepted) == 1, results
    assert all(isinstance(r, IllegalTransition) for r in results if r not in accepted)
    assert await duels.wallet(pb) == 90
    assert await duels.postings(engine, duel_id) == [
        f"duel:{duel_id}:stake:challenged",
        f"duel:{duel_id}:stake:challenger",
    ]


async def test_double_taps_on_a_roll_settle_once(duels, engine) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    _, accept, _, roll, _ = duels.build()
    await accept(duel_id, b)
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 6, 11))
    results = await race(
        4, lambda i: roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 2, 12))
    )
    assert {r.state for r in results} == {DuelState.SETTLED}, results
    assert (await duels.wallet(pa), await duels.wallet(pb)) == (109, 90)
    assert f"duel:{duel_id}:settle" in await duels.postings(engine, duel_id)


async def test_an_accept_racing_the_expiry_job_ends_the_duel_once(duels, engine) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    late = FakeClock(duels.clock.now() + timedelta(minutes=5))
    accept = duels.build()[1]
    expire = duels.build(clock=late)[4]
    results = await race(2, lambda i: accept(duel_id, b) if i == 0 else expire())
    async with engine.connect() as conn:
        state = (
            await conn.execute(text("SELECT state FROM duels WHERE id = :id"), {"id": duel_id})
        ).scalar_one()
    if state == "accepted":
        assert duel_id not in {d.id for d in results[1]}
        assert (await duels.wallet(pa), await duels.wallet(pb)) == (90, 90)
    else:
        assert state == "expired"
        assert isinstance(results[0], IllegalTransition)
        assert (await duels.wallet(pa), await duels.wallet(pb)) == (100, 100)


async def test_two_expiry_jobs_refund_each_duel_once(duels, engine) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    waiting = await duels.open_duel(a, b)
    rolling = await duels.open_duel(a, b)
    _, accept, _, roll, _ = duels.build()
    await accept(rolling, b)
    await roll(RecordDuelRollCommand(rolling, 1, Seat.CHALLENGER, 3, 1))
    expire = duels.build(clock=FakeClock(duels.clock.now() + timedelta(minutes=11)))[4]
    results = await race(3, lambda i: expire())
    # The job ends every overdue duel in the database; these two, each once.
    ended = [d.id for r in results if not isinstance(r, BaseException) for d in r]
    assert sorted(i for i in ended if i in (waiting, rolling)) == sorted([waiting, rolling])
    assert (await duels.wallet(pa), await duels.wallet(pb)) == (100, 100)
    assert f"duel:{rolling}:refund" in await duels.postings(engine, rolling)


async def test_a_decline_racing_an_accept_lets_one_through(duels) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    _, accept, decline, _, _ = duels.build()
    results = await race(2, lambda i: accept(duel_id, b) if i == 0 else decline(duel_id, b))
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1, results
    expected = (90, 90) if winners[0].state is DuelState.ACCEPTED else (100, 100)
    assert (await duels.wallet(pa), await duels.wallet(pb)) == expected


async def test_a_crash_before_the_settlement_commits_settles_once_on_retry(
    duels, uow_factory, engine
) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    _, accept, _, roll, _ = duels.build()
    await accept(duel_id, b)
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 1, 21))
    failing = CommitFails(uow_factory)
    crashing_roll = duels.build(factory=failing)[3]
    command = RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 4, 22)
    with pytest.raises(ConnectionResetError):
        await crashing_roll(command)
    assert f"duel:{duel_id}:settle" not in await duels.postings(engine, duel_id)
    # A restarted process (new use cases on a new factory) retries the same record.
    settled = await duels.build()[3](command)
    assert settled.state is DuelState.SETTLED
    assert (await duels.wallet(pa), await duels.wallet(pb)) == (90, 109)


async def test_a_restart_between_the_dice_goes_on_from_the_table(duels) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    _, accept, _, roll, _ = duels.build()
    await accept(duel_id, b)
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 5, 31))
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 5, 32))  # a tie
    after_restart = duels.build()[3]
    await after_restart(RecordDuelRollCommand(duel_id, 2, Seat.CHALLENGER, 2, 33))
    ended = await after_restart(RecordDuelRollCommand(duel_id, 2, Seat.CHALLENGED, 2, 34))
    assert ended.state is DuelState.REFUNDED  # a second tie, past max_ties = 1
    assert (await duels.wallet(pa), await duels.wallet(pb)) == (100, 100)


async def test_the_table_refuses_what_the_domain_refuses(duels, engine) -> None:
    (a, _), (b, _) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    refused = (
        "UPDATE duels SET state = 'settled', finished_at = now() WHERE id = :id",  # no winner
        "UPDATE duels SET state = 'rolling' WHERE id = :id",  # skips the accept
        "UPDATE duels SET stake = 1 WHERE id = :id",  # the terms are fixed
        "DELETE FROM duels WHERE id = :id",
    )
    for statement in refused:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError):
                await conn.execute(text(statement), {"id": duel_id})
    async with engine.begin() as conn:
        ok = await conn.execute(
            text("SELECT count(*) FROM accounts WHERE kind = :kind"),
            {"kind": AccountKind.DUEL_ESCROW.value},
        )
        assert ok.scalar_one() >= 1


async def test_a_refused_stake_leaves_no_duel(duels, engine) -> None:
    (a, _), (b, _) = await duels.player(cash=5), await duels.player()
    duel_id = uuid.uuid4()
    challenge = duels.build()[0]
    with pytest.raises(DomainError):
        await challenge(ChallengeDuelCommand(duel_id, -42, a, Money(10, XTR), "🎲", b))
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT 1 FROM duels WHERE id = :id"), {"id": duel_id})
        assert found.first() is None


async def test_chip_dumping_between_two_players_raises_a_flag_on_the_receiver(
    duels, engine
) -> None:
    (a, pa), (b, pb) = await duels.player(), await duels.player()
    _, accept, _, roll, _ = duels.build()
    for n in range(10):  # Bob wins every one: once in 1024 by chance
        duel_id = await duels.open_duel(a, b, stake=2)
        await accept(duel_id, b)
        await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 1, 2 * n))
        await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 6, 2 * n + 1))
    async with engine.connect() as conn:
        flags = (
            await conn.execute(
                text(
                    "SELECT player_id, evidence->>'pattern' AS pattern FROM risk_flags"
                    " WHERE kind = 'duel_collusion' AND player_id IN (:a, :b)"
                ),
                {"a": pa, "b": pb},
            )
        ).all()
    assert [(f.player_id, f.pattern) for f in flags] == [(pb, "one_sided")]


async def test_a_step_the_table_refuses_is_the_domains_illegal_transition(
    duels, uow_factory
) -> None:
    """A step the domain would never take (a challenge settled without an accept), saved as
    if it had: the trigger refuses it (CR405) and the adapter raises the domain's
    IllegalTransition, not the driver's error."""
    (a, pa), (b, _) = await duels.player(), await duels.player()
    duel_id = await duels.open_duel(a, b)
    async with uow_factory() as uow:
        duel = await uow.duels.lock(duel_id)
        forced = replace(duel, state=DuelState.SETTLED, winner_id=pa, finished_at=duels.clock.now())
        with pytest.raises(IllegalTransition) as refused:
            await uow.duels.save(forced)
    assert refused.value.__cause__ is None
    async with uow_factory() as uow:
        assert (await uow.duels.find(duel_id)).state is DuelState.CHALLENGED
