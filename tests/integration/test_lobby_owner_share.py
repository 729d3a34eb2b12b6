"""The group owner's share of a lobby's cut on the real database (docs/duels.md, "The group
owner's share"), the lobby twin of tests/integration/test_duel_owner_share.py: the split posted
in the settlement's one transaction and reconciled (the `books` fixture reconciles after every
test, and the check names a forged lobby split), a settings change after the lobby is opened
leaves its split alone (the table refuses a change of the share), two settlements of one
lobby at once settle it once, and /groupstats counts the lobby with the duels."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.duels import (
    JoinLobby,
    LeaveLobby,
    OpenLobby,
    OpenLobbyCommand,
    RecordLobbyRoll,
    RecordLobbyRollCommand,
    ReportGroupDuels,
)
from application.risk.review import RiskReview
from domain.duel_lobbies import LobbyState
from domain.duel_lobby_postings import lobby_settlement
from domain.duels import DuelRules
from domain.money import XTR, Money
from domain.risk import RiskPolicy
from tests.conftest import race
from tests.integration.group_table import HALF, SPLIT_CHECK, GroupTable

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


class LobbyTable(GroupTable):
    def build(self, rules: DuelRules = HALF):
        return (
            OpenLobby(*self.parts, rules),
            JoinLobby(*self.parts, rules),
            RecordLobbyRoll(*self.parts, RiskReview(RiskPolicy())),
            LeaveLobby(*self.parts),
        )

    async def legs(self, engine, lobby_id: uuid.UUID) -> dict[str, int]:
        return await self.settlement_legs(engine, f"lobby:{lobby_id}:settle")

    async def full(self, seats: list[int], stake: int, rules=HALF) -> uuid.UUID:
        """A lobby of these players' seats, opened by the first; the last join fills it and
        starts it (rolling)."""
        open_, join, _, _ = self.build(rules)
        lobby_id = uuid.uuid4()
        await open_(
            OpenLobbyCommand(lobby_id, self.chat, seats[0], Money(stake, XTR), "🎲", len(seats))
        )
        for telegram_id in seats[1:]:
            await join(lobby_id, telegram_id)
        return lobby_id


@pytest.fixture
def table(uow_factory, ids, house, register, credit, new_telegram_id):
    return LobbyTable(uow_factory, ids, house, register, credit, new_telegram_id)


async def test_a_lobbys_split_is_posted_in_its_settlement_and_reconciled(
    table, engine, uow_factory
) -> None:
    (a, pa), (b, pb), (c, pc) = [await table.player() for _ in range(3)]
    o, po = await table.player(0)
    await table.owned_by(o)
    lobby_id = await table.full([a, b, c], 20)  # pot 60, cut 3: owner 1, house 2, prize 57
    roll = table.build()[2]
    await roll(RecordLobbyRollCommand(lobby_id, 1, 1, 2, 1))
    await roll(RecordLobbyRollCommand(lobby_id, 1, 2, 6, 2))
    settled = await roll(RecordLobbyRollCommand(lobby_id, 1, 3, 3, 3))
    assert (settled.state, settled.winner_id) == (LobbyState.SETTLED, pb)
    assert await table.legs(engine, lobby_id) == {
        "duel_escrow": -60,
        str(pb): 57,
        str(po): 1,
        "house_bankroll": 2,
    }
    wallets = [await table.wallet(p) for p in (pa, pb, pc, po)]
    assert wallets == [80, 80 + 57, 80, 1]
    async with engine.connect() as conn:
        assert (await conn.execute(text(SPLIT_CHECK))).all() == []
    report = await ReportGroupDuels(uow_factory, HALF)(table.chat, o)
    (stats,) = report.stats
    assert (stats.settled, stats.lobbies, stats.staked, stats.cut, stats.owner_share) == (
        0,
        1,
        Money(60, XTR),
        Money(3, XTR),
        Money(1, XTR),
    )


async def test_a_lobby_split_with_a_seat_left_counts_only_the_seats_that_played(
    table, engine
) -> None:
    """The pot is every seat not left: a seat given up before the start is not in it, and
    the check reads the pot that way (a wrong pot would be named)."""
    (a, pa), (b, _), (c, _), (d, _) = [await table.player() for _ in range(4)]
    o, po = await table.player(0)
    await table.owned_by(o)
    open_, join, roll, leave = table.build()
    lobby_id = uuid.uuid4()
    await open_(OpenLobbyCommand(lobby_id, table.chat, a, Money(30, XTR), "🎲", 3))
    await join(lobby_id, b)
    await leave(lobby_id, b)
    await join(lobby_id, c)
    await join(lobby_id, d)  # fills it: seats 1, 3, 4 play; pot 90, cut 4.5 → 5, owner 2
    for seat, value in ((1, 6), (3, 1), (4, 2)):
        await roll(RecordLobbyRollCommand(lobby_id, 1, seat, value, 10 + seat))
    assert await table.legs(engine, lobby_id) == {
        "duel_escrow": -90,
        str(pa): 85,
        str(po): 2,
        "house_bankroll": 3,
    }
    async with engine.connect() as conn:
        assert (await conn.execute(text(SPLIT_CHECK))).all() == []


async def test_the_reconcile_check_names_a_forged_lobby_split(table, uow_factory) -> None:
    """A settlement forged (never committed) to give the owner the whole cut of a lobby whose
    share is half: the check names the lobby."""
    (a, pa), (b, _) = await table.player(), await table.player()
    _o, po = await table.player(0)
    lobby_id = await table.full([a, b], 30)  # pot 60, cut 3
    now = table.clock.now()
    async with uow_factory() as uow:
        lobby = await uow.lobbies.lock(lobby_id)
        lobby = lobby.record_roll(1, 6, 1, now)
        lobby = lobby.record_roll(2, 2, 2, now)
        await uow.lobbies.save(lobby)
        found = await table.forge_whole_cut_to_owner(
            uow, lobby_settlement, lobby, opener=pa, winner=pa, owner=po, at=now
        )
        assert [(row.kind, row.id) for row in found] == [("lobby", lobby_id)]
        # Left without a commit: the forgery rolls back.


async def test_a_settings_change_after_the_lobby_is_opened_leaves_its_split(table, engine) -> None:
    (a, _pa), (b, _), (c, _) = [await table.player() for _ in range(3)]
    o, po = await table.player(0)
    await table.owned_by(o)
    lobby_id = await table.full([a, b, c], 20)  # opened at half: cut 3, owner 1
    # The operator switches the share off (and raises the cut) while the lobby is in play:
    # its dice and its settlement go by its own terms.
    changed = DuelRules(cut_bps=2000, max_ties=1, owner_share_bps=0)
    roll = table.build(changed)[2]
    await roll(RecordLobbyRollCommand(lobby_id, 1, 1, 6, 1))
    await roll(RecordLobbyRollCommand(lobby_id, 1, 2, 2, 2))
    await roll(RecordLobbyRollCommand(lobby_id, 1, 3, 2, 3))
    assert await table.wallet(po) == 1
    assert (await table.legs(engine, lobby_id))["house_bankroll"] == 2
    # A lobby opened after the change follows it: cut 20% of 60 = 12, no owner's share.
    later = await table.full([a, b, c], 20, rules=changed)
    async with engine.connect() as conn:  # rolling: a step the table allows, but not this
        with pytest.raises(DBAPIError, match="cannot change"):
            await conn.execute(
                text("UPDATE duel_lobbies SET owner_share_bps = 10000 WHERE id = :id"),
                {"id": later},
            )
    for seat, value in ((1, 6), (2, 2), (3, 2)):
        await roll(RecordLobbyRollCommand(later, 1, seat, value, 10 + seat))
    assert await table.wallet(po) == 1
    assert (await table.legs(engine, later))["house_bankroll"] == 12


@pytest.mark.parametrize("attempt", range(3))
async def test_two_settlements_of_one_lobby_at_once_settle_it_once(table, engine, attempt) -> None:
    (a, pa), (b, pb), (c, pc) = [await table.player() for _ in range(3)]
    o, po = await table.player(0)
    await table.owned_by(o)
    lobby_id = await table.full([a, b, c], 20)
    roll = table.build()[2]
    await roll(RecordLobbyRollCommand(lobby_id, 1, 1, 6, 1))
    await roll(RecordLobbyRollCommand(lobby_id, 1, 2, 2, 2))
    results = await race(2, lambda i: roll(RecordLobbyRollCommand(lobby_id, 1, 3, 3, 3)))
    assert {r.state for r in results} == {LobbyState.SETTLED}, results
    wallets = [await table.wallet(p) for p in (pa, pb, pc, po)]
    assert wallets == [80 + 57, 80, 80, 1]
    assert await table.settlements(engine, f"lobby:{lobby_id}") == 1
