"""What the bot's stake picker and its paused screens read, on in-memory fakes: the stake range
(`GetStakeRange`: the game's limits and the balance) and the standing's refusal for an
operation with the player's exclusion (`CheckStanding`). The arithmetic of the controls is
`domain.stakes`' (tests/unit/test_stakes.py)."""

from __future__ import annotations

import pytest

from application.betting.stake_range import GetStakeRange
from application.game_admin import GameChange, UpdateGame
from application.player_admin import BlockPlayer
from application.responsible import SelfExclude, StartTimeout
from application.responsible.standing import CheckStanding
from application.staff import Actor
from domain.errors import GameUnavailable, NotFound
from domain.games.catalog import StakeLimits
from domain.money import XTR, Money
from domain.responsible import ResponsibleGamblingRefusal, SelfExclusionPeriod, TimeoutPeriod
from domain.standing import Operation, PlayerBlocked
from tests.casino_on_fakes import Casino


@pytest.fixture
async def casino() -> Casino:
    casino = Casino()
    await casino.bankroll()
    return casino


async def test_the_range_is_the_games_limits_and_never_more_than_the_balance(casino):
    ann = await casino.player(1, deposit=120)
    stakes = await GetStakeRange(casino.db)(ann, "coin")
    assert (stakes.low, stakes.high, stakes.balance) == (1, 120, Money(120, XTR))
    assert stakes.capped_by_balance

    limits = {"XTR": StakeLimits(5, 50, 5_000)}
    await UpdateGame(casino.db, casino.clock)("coin", GameChange(limits=limits), Actor("staff:t"))
    stakes = await GetStakeRange(casino.db)(ann, "coin")
    assert (stakes.low, stakes.high) == (5, 50)  # the game's maximum, under the balance
    assert not stakes.capped_by_balance

    await UpdateGame(casino.db, casino.clock)("coin", GameChange(enabled=False), Actor("staff:t"))
    with pytest.raises(GameUnavailable):
        await GetStakeRange(casino.db)(ann, "coin")
    with pytest.raises(NotFound):
        await GetStakeRange(casino.db)(999, "dice")


async def test_an_empty_wallet_has_no_stake_to_offer(casino):
    bob = await casino.player(2)
    stakes = await GetStakeRange(casino.db)(bob, "dice")
    assert stakes.balance == Money(0, XTR)
    assert not stakes.playable


async def test_the_standing_says_what_is_paused_with_the_exclusion_read(casino):
    check = CheckStanding(casino.db, casino.clock)
    ann = await casino.player(1, deposit=100)
    assert await check(ann, Operation.BET) is None
    assert await check(ann, Operation.DEPOSIT) is None

    await StartTimeout(casino.db, casino.clock)(ann, TimeoutPeriod.DAY)
    refused = await check(ann, Operation.BET)
    assert isinstance(refused, ResponsibleGamblingRefusal)
    assert (refused.rule, refused.until) == (
        "timeout",
        casino.clock.now() + TimeoutPeriod.DAY.duration,
    )
    assert isinstance(await check(ann, Operation.DEPOSIT), ResponsibleGamblingRefusal)
    assert await check(ann, Operation.WITHDRAW) is None  # money out still works

    casino.clock.advance(hours=24)
    assert await check(ann, Operation.BET) is None  # over on time

    bob = await casino.player(2)
    await SelfExclude(casino.db, casino.clock)(bob, SelfExclusionPeriod.PERMANENT)
    refused = await check(bob, Operation.DEPOSIT)
    assert isinstance(refused, ResponsibleGamblingRefusal)
    assert (refused.rule, refused.until) == ("self_excluded", None)

    await BlockPlayer(casino.db, casino.clock)(ann, "review", Actor("staff:t"))
    assert isinstance(await check(ann, Operation.BET), PlayerBlocked)
    with pytest.raises(NotFound):
        await check(999, Operation.BET)
