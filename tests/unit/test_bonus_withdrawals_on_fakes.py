"""A withdrawal while a bonus is active (docs/bonuses.md, "Withdrawals"): refused with the
bonus's amount and progress until the player confirms; confirmed, the bonus is forfeited in
the withdrawal's own unit of work. A player the standing refuses promotions is never asked."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.withdrawals import NoWithdrawalHolds, RequestWithdrawal
from domain.bonuses import BonusBlocksWithdrawal, BonusState, ForfeitReason
from domain.money import XTR, Money
from domain.responsible import Exclusion, ExclusionKind
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import WithdrawalState
from tests.casino_on_fakes import Casino
from tests.unit.test_bonuses_on_fakes import bonus_balance, cash, granted_player

POLICY = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10_000)}, wagering_multiple=0
)


def request(casino: Casino) -> RequestWithdrawal:
    return RequestWithdrawal(
        casino.db, casino.clock, casino.ids, casino.house, POLICY, NoWithdrawalHolds()
    )


async def test_a_withdrawal_is_refused_while_a_bonus_is_active_until_confirmed() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino, wagering=5)
    await casino.coin(player, 300)  # 50 counted at 10%: 5 of 500
    before = await cash(casino, player)
    with pytest.raises(BonusBlocksWithdrawal) as refused:
        await request(casino)(player, Money(100, XTR), "@me", uuid.uuid4())
    assert refused.value.rule == "bonus_active"
    assert (refused.value.amount, refused.value.wagered, refused.value.required) == (
        Money(100, XTR),
        Money(5, XTR),
        Money(500, XTR),
    )
    assert await cash(casino, player) == before  # nothing written
    assert await bonus_balance(casino, player) == 100
    withdrawal = await request(casino)(
        player, Money(100, XTR), "@me", uuid.uuid4(), forfeit_bonus=True
    )
    assert withdrawal.state is WithdrawalState.REQUESTED
    assert await cash(casino, player) == before - 100
    assert await bonus_balance(casino, player) == 0
    async with casino.db() as uow:
        ended = await uow.bonuses.get(bonus.id)
    assert (ended.state, ended.forfeit_reason) == (BonusState.FORFEITED, ForfeitReason.WITHDRAWAL)


async def test_without_a_bonus_nothing_is_asked() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=500)
    withdrawal = await request(casino)(player, Money(100, XTR), "@me", uuid.uuid4())
    assert withdrawal.state is WithdrawalState.REQUESTED


async def test_an_excluded_player_withdraws_and_the_bonus_goes_without_a_word() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino)
    async with casino.db() as uow:
        await uow.responsible.enroll(player, casino.clock.now())
        await uow.responsible.save_exclusion(
            Exclusion(
                player,
                ExclusionKind.SELF_EXCLUSION,
                casino.clock.now(),
                casino.clock.now() + timedelta(days=180),
            )
        )
        await uow.commit()
    await request(casino)(player, Money(100, XTR), "@me", uuid.uuid4())
    async with casino.db() as uow:
        assert (await uow.bonuses.get(bonus.id)).state is BonusState.FORFEITED
