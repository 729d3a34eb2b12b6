"""The ends of a bonus on the real database: progress read from the player's bets (weighted,
capped, after the grant), a claim, a give-up and the expiry racing on one bonus move its money
exactly once, and a confirmed withdrawal forfeits the bonus in its own transaction. The books
reconcile after every test."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from application.betting import PlaceBetCommand
from application.bonuses import (
    ConvertBonus,
    ExpireBonuses,
    ForfeitBonus,
    PlayerBonuses,
    grant_bonus,
)
from application.bonuses.ending import wagering_progress
from application.withdrawals import NoWithdrawalHolds, RequestWithdrawal
from domain.bonuses import (
    Bonus,
    BonusBlocksWithdrawal,
    BonusState,
    ForfeitReason,
    IllegalBonusTransition,
)
from domain.money import XTR, Money
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from tests.conftest import race
from tests.integration.test_bonuses import budget, grant, offer  # noqa: F401 - fixtures

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


def coin(player_id: int, stake: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "coin", Money(stake, XTR), {"side": "heads"})


def limbo(player_id: int, stake: int) -> PlaceBetCommand:
    return PlaceBetCommand(player_id, uuid.uuid4(), "limbo", Money(stake, XTR), {"target": "2"})


async def ended_postings(engine, bonus: Bonus) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind FROM ledger_transactions WHERE reference = :r ORDER BY kind"),
            {"r": f"bonus:{bonus.id}"},
        )
        return [r.kind for r in rows]


async def test_progress_is_read_from_settled_bets_after_the_grant(
    funded_player,
    place,
    budget,  # noqa: F811 - the fixture imported above
    grant,  # noqa: F811
    uow_factory,
    clock,
):
    player = await funded_player(5_000)
    await place(limbo(player.id, 100))  # before the grant: nothing
    bonus = await grant(player.id, offer(await budget()), f"promo:w:{player.id}")
    await place(limbo(player.id, 40))  # 100%: 40
    await place(limbo(player.id, 80))  # capped at 50
    await place(coin(player.id, 300))  # capped at 50, 10%: 5
    async with uow_factory() as uow:
        progress = await wagering_progress(uow, bonus, clock.now())
    assert progress.wagered == Money(95, XTR)
    assert progress.required == Money(500, XTR)
    overview = await PlayerBonuses(uow_factory, clock)(player.id)
    assert overview is not None
    assert [s.progress.wagered for s in overview.bonuses] == [Money(95, XTR)]
    assert overview.contributions["roulette"] == 5


async def _race_ends(bonus, player_id, uow_factory, clock, ids, house, engine) -> None:
    convert = ConvertBonus(uow_factory, clock, ids, house)
    give_up = ForfeitBonus(uow_factory, clock, ids, house)
    expire = ExpireBonuses(uow_factory, clock, ids, house)

    def one(i: int):
        if i % 3 == 0:
            return convert(bonus.id, player_id=player_id)
        if i % 3 == 1:
            return give_up(player_id, bonus.id)
        return expire()

    results = await race(9, one)
    # The losers find it ended: a give-up after a conversion (or the reverse) is refused.
    errors = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(e, IllegalBonusTransition) for e in errors), results
    async with uow_factory() as uow:
        ended = await uow.bonuses.get(bonus.id)
        account = await uow.accounts.bonus_account(player_id, XTR)
    assert ended.state is not BonusState.ACTIVE
    assert account is not None
    assert account.balance == 0
    postings = await ended_postings(engine, bonus)
    assert len(postings) == 2, postings  # the grant, and one end
    assert {r.state for r in results if isinstance(r, Bonus)} <= {ended.state}


async def test_a_claim_a_give_up_and_the_expiry_job_racing_move_a_met_bonus_once(
    funded_player,
    place,
    budget,  # noqa: F811 - the fixture imported above
    grant,  # noqa: F811
    uow_factory,
    clock,
    ids,
    house,
    engine,
):
    player = await funded_player(5_000)
    bonus = await grant(player.id, offer(await budget(), amount=20), f"promo:r:{player.id}")
    for _ in range(3):
        await place(limbo(player.id, 40))  # 120 counted of 100 required
    await _race_ends(bonus, player.id, uow_factory, clock, ids, house, engine)


async def test_the_same_race_on_a_bonus_past_its_expiry_expires_it_once(
    funded_player,
    budget,  # noqa: F811
    uow_factory,
    clock,
    ids,
    house,
    engine,
):
    player = await funded_player(1_000)
    code = await budget()
    # Granted eight days ago for seven: every door finds it expired (the real clock, so no
    # posting is dated in the future).
    async with uow_factory() as uow:
        bonus = await grant_bonus(
            uow,
            ids,
            player_id=player.id,
            offer=offer(code),
            key=f"promo:late:{player.id}",
            now=clock.now() - timedelta(days=8),
            shards=house.shards,
        )
        await uow.commit()
    await _race_ends(bonus, player.id, uow_factory, clock, ids, house, engine)
    async with uow_factory() as uow:
        assert (await uow.bonuses.get(bonus.id)).state is BonusState.EXPIRED


async def test_a_confirmed_withdrawal_forfeits_the_bonus_in_its_own_transaction(
    funded_player,
    budget,  # noqa: F811 - the fixture imported above
    grant,  # noqa: F811
    uow_factory,
    clock,
    ids,
    house,
    engine,
):
    player = await funded_player(1_000)
    bonus = await grant(player.id, offer(await budget()), f"promo:wd:{player.id}")
    policy = WithdrawalPolicy(
        {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
    )
    request = RequestWithdrawal(uow_factory, clock, ids, house, policy, NoWithdrawalHolds())
    with pytest.raises(BonusBlocksWithdrawal):
        await request(player.id, Money(100, XTR), "@me", uuid.uuid4())
    assert await ended_postings(engine, bonus) == ["grant"]
    await request(player.id, Money(100, XTR), "@me", uuid.uuid4(), forfeit_bonus=True)
    async with uow_factory() as uow:
        ended = await uow.bonuses.get(bonus.id)
    assert (ended.state, ended.forfeit_reason) == (BonusState.FORFEITED, ForfeitReason.WITHDRAWAL)
    assert await ended_postings(engine, bonus) == ["forfeit", "grant"]
