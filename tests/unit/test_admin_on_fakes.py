"""Staff's player and game administration and the player's seed pair on in-memory fakes:
blocking with its audit and its effect on the standing, notes, game changes, seed rotation,
without a database. The read models, the HTTP routes and the events are tested on PostgreSQL
and through the API (tests/entrypoints/test_http_*.py)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from application.game_admin import GameChange, UpdateGame
from application.player_admin import AddPlayerNote, BlockPlayer, UnblockPlayer
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.seeds import GetSeedPair, RotateSeedPair
from application.staff import Actor
from domain.errors import IllegalTransition, InvalidRequest
from domain.fairness import commitment
from domain.money import XTR
from domain.players import PlayerStatus
from domain.staff import AuditAction
from domain.standing import Operation, PlayerBlocked
from tests.fakes import FakeClock, FakeDatabase

ALICE = Actor("staff:alice", "10.0.0.1")


class Seeds:
    def __init__(self) -> None:
        self.n = 0

    def server_seed(self) -> str:
        self.n += 1
        return f"{self.n:02x}" * 32

    def client_seed(self) -> str:
        return "fakes"


@pytest.fixture
async def admin():
    db, clock = FakeDatabase(), FakeClock()
    command = RegisterPlayerCommand(11, currencies=(XTR,), accept_terms=True)
    player = (await RegisterPlayer(db, clock)(command)).player
    return db, clock, player.id


async def _standing(db, player_id: int):
    async with db() as uow:
        return await uow.players.standing(player_id)


async def test_a_block_is_audited_changes_the_standing_and_is_not_repeated(admin):
    db, clock, player = admin
    blocked = await BlockPlayer(db, clock)(player, "chargeback fraud", ALICE)
    assert blocked.status is PlayerStatus.BLOCKED
    with pytest.raises(PlayerBlocked):
        (await _standing(db, player)).require(Operation.BET, clock.now())
    with pytest.raises(IllegalTransition):
        await BlockPlayer(db, clock)(player, "again", ALICE)
    assert [e.action for e in db.state.audit] == [AuditAction.PLAYER_BLOCKED]
    entry = db.state.audit[0]
    assert (entry.actor, entry.subject, entry.source) == (
        "staff:alice",
        f"player:{player}",
        "10.0.0.1",
    )
    assert entry.after == {"status": "blocked", "reason": "chargeback fraud"}

    await UnblockPlayer(db, clock)(player, "cleared", ALICE)
    (await _standing(db, player)).require(Operation.BET, clock.now())
    with pytest.raises(InvalidRequest):
        await BlockPlayer(db, clock)(player, "   ", ALICE)  # a reason is required


async def test_a_note_is_kept_and_audited(admin):
    db, clock, player = admin
    note = await AddPlayerNote(db, clock)(player, "called about a refund", ALICE)
    assert note.body == "called about a refund"
    assert db.state.notes[0][1:4] == (player, "staff:alice", "called about a refund")
    assert db.state.audit[-1].subject == f"player:{player}"


async def test_a_game_change_is_saved_and_audited_and_a_bad_edge_refused(admin):
    db, clock, _ = admin
    update = UpdateGame(db, clock)
    changed = await update("coin", GameChange(enabled=False), ALICE)
    assert not changed.enabled
    assert db.state.games["coin"].enabled is False
    assert db.state.audit[-1].after["enabled"] is False
    with pytest.raises(InvalidRequest, match="RTP"):
        await update("coin", GameChange(house_edge=Fraction(1, 2)), ALICE)


async def test_a_rotation_reveals_the_old_server_seed_and_commits_a_new_one(admin):
    db, clock, player = admin
    seeds = Seeds()
    first = await GetSeedPair(db, clock, seeds)(player)
    assert (first.next_nonce, first.client_seed) == (0, "fakes")
    rotated = await RotateSeedPair(db, clock, seeds)(player, client_seed="mine")
    assert rotated.revealed is not None
    assert commitment(rotated.revealed.server_seed) == first.server_seed_hash
    assert rotated.active.client_seed == "mine"
    assert rotated.active.server_seed_hash != first.server_seed_hash
