"""The group owner's share of a duel's cut on the real database (docs/duels.md, "The group
owner's share"): the split posted in the settlement's one transaction and reconciled (the
`books` fixture reconciles after every test, and the check catches a forged split), a
settings change after the duel is made leaves its split alone (the table refuses a change of
the share too), two settlements of one duel at once settle it once, and /groupstats' figures
from the postings."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    ChallengeDuelCommand,
    RecordDuelRoll,
    RecordDuelRollCommand,
    ReportGroupDuels,
)
from application.risk.review import RiskReview
from domain.duels import DuelRules, DuelState, Seat
from domain.duels_collusion import CollusionPolicy
from domain.duels_postings import duel_settlement
from domain.money import XTR, Money
from domain.risk import RiskPolicy
from tests.conftest import race
from tests.integration.group_table import HALF, GroupTable

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


class DuelTable(GroupTable):
    def build(self, rules: DuelRules = HALF):
        return (
            ChallengeDuel(*self.parts, rules),
            AcceptDuel(*self.parts, rules),
            RecordDuelRoll(*self.parts, RiskReview(RiskPolicy()), CollusionPolicy()),
        )

    async def legs(self, engine, duel_id: uuid.UUID) -> dict[str, int]:
        return await self.settlement_legs(engine, f"duel:{duel_id}:settle")

    async def challenge_accepted(self, a: int, b: int, stake: int, rules=HALF) -> uuid.UUID:
        challenge, accept, _ = self.build(rules)
        duel_id = uuid.uuid4()
        await challenge(ChallengeDuelCommand(duel_id, self.chat, a, Money(stake, XTR), "🎲", b))
        await accept(duel_id, b)
        return duel_id


@pytest.fixture
def table(uow_factory, ids, house, register, credit, new_telegram_id):
    return DuelTable(uow_factory, ids, house, register, credit, new_telegram_id)


async def test_the_split_is_posted_in_the_settlement_and_reconciled(
    table, engine, uow_factory
) -> None:
    (a, pa), (b, pb), (o, po) = await table.player(), await table.player(), await table.player(0)
    await table.owned_by(o)
    duel_id = await table.challenge_accepted(a, b, 30)  # pot 60, cut 3: owner 1, house 2
    roll = table.build()[2]
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 6, 1))
    settled = await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 2, 2))
    assert settled.state is DuelState.SETTLED
    legs = await table.legs(engine, duel_id)
    assert legs == {"duel_escrow": -60, str(pa): 57, str(po): 1, "house_bankroll": 2}
    assert (await table.wallet(pa), await table.wallet(pb), await table.wallet(po)) == (127, 70, 1)
    report = await ReportGroupDuels(uow_factory, HALF)(table.chat, o)
    (stats,) = report.stats
    assert report.for_owner
    assert (stats.settled, stats.staked, stats.cut, stats.owner_share) == (
        1,
        Money(60, XTR),
        Money(3, XTR),
        Money(1, XTR),
    )


async def test_the_reconcile_check_catches_a_split_the_duel_did_not_allow(
    table, uow_factory
) -> None:
    """A settlement forged (never committed) to give the owner the whole cut of a duel whose
    share is half: the check names the duel."""
    (a, pa), (b, _), (_o, po) = await table.player(), await table.player(), await table.player(0)
    duel_id = await table.challenge_accepted(a, b, 30)
    now = table.clock.now()
    async with uow_factory() as uow:
        duel = await uow.duels.lock(duel_id)
        duel = duel.record_roll(Seat.CHALLENGER, 6, 1, now)
        duel = duel.record_roll(Seat.CHALLENGED, 2, 2, now)
        await uow.duels.save(duel)
        found = await table.forge_whole_cut_to_owner(
            uow, duel_settlement, duel, opener=pa, winner=pa, owner=po, at=now
        )
        assert [row.id for row in found] == [duel_id]
        # Left without a commit: the forgery rolls back.


async def test_a_settings_change_after_the_duel_is_made_leaves_its_split(table, engine) -> None:
    (a, _pa), (b, _), (o, po) = await table.player(), await table.player(), await table.player(0)
    await table.owned_by(o)
    duel_id = await table.challenge_accepted(a, b, 30)
    # The operator switches the share off (and raises the cut) while the duel is in play:
    # the dice and the settlement of a duel made before go by its own terms.
    changed = DuelRules(cut_bps=2000, max_ties=1, owner_share_bps=0)
    roll = table.build(changed)[2]
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 6, 1))
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 2, 2))
    assert await table.wallet(po) == 1
    assert (await table.legs(engine, duel_id))["house_bankroll"] == 2
    # A duel made after the change follows it: cut 20% of 60 = 12, no owner's share.
    later = await table.challenge_accepted(a, b, 30, rules=changed)
    await roll(RecordDuelRollCommand(later, 1, Seat.CHALLENGER, 6, 1))
    async with engine.connect() as conn:  # rolling: a step the table allows, but not this
        with pytest.raises(DBAPIError, match="cannot change"):
            await conn.execute(
                text("UPDATE duels SET owner_share_bps = 10000 WHERE id = :id"), {"id": later}
            )
    await roll(RecordDuelRollCommand(later, 1, Seat.CHALLENGED, 2, 2))
    assert await table.wallet(po) == 1
    assert (await table.legs(engine, later))["house_bankroll"] == 12


@pytest.mark.parametrize("attempt", range(3))
async def test_two_settlements_of_one_duel_at_once_settle_it_once(table, engine, attempt) -> None:
    (a, pa), (b, pb), (o, po) = await table.player(), await table.player(), await table.player(0)
    await table.owned_by(o)
    duel_id = await table.challenge_accepted(a, b, 30)
    roll = table.build()[2]
    await roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGER, 6, 1))
    results = await race(
        2, lambda i: roll(RecordDuelRollCommand(duel_id, 1, Seat.CHALLENGED, 2, 2))
    )
    assert {r.state for r in results} == {DuelState.SETTLED}, results
    assert (await table.wallet(pa), await table.wallet(pb), await table.wallet(po)) == (127, 70, 1)
    assert await table.settlements(engine, f"duel:{duel_id}") == 1
