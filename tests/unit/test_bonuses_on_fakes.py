"""Bonus use cases on the in-memory fakes: granting (the API campaigns call), and the ends of a
bonus. Every grant is bounded by its budget, keyed once, one active per player and currency,
and never reaches a player the standing refuses promotions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.bonuses import (
    ConvertBonus,
    ExpireBonuses,
    ForfeitBonus,
    PlayerBonuses,
    grant_bonus,
)
from domain.accounts import AccountKind
from domain.bonuses import (
    Bonus,
    BonusActive,
    BonusOffer,
    BonusState,
    ForfeitReason,
    IllegalBonusTransition,
    WageringIncomplete,
)
from domain.errors import IdempotencyConflict, NotFound
from domain.events import (
    BonusConverted,
    BonusExpired,
    BonusForfeited,
    BonusGranted,
    TransactionPosted,
)
from domain.games.catalog import GameConfig
from domain.ledger import TransactionKind
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.promotions import BudgetExhausted
from domain.standing import StandingRefusal
from tests.casino_on_fakes import Casino

SHARDS = 4


def welcome(amount: int = 100, **changes: object) -> BonusOffer:
    terms: dict[str, object] = {
        "amount": Money(amount, XTR),
        "wagering_multiple": 5,
        "wagering_base": Money(amount, XTR),
        "expires_after": timedelta(days=7),
        "max_stake": Money(50, XTR),
        "campaign": "welcome",
        "budget": "welcome",
    }
    terms.update(changes)
    return BonusOffer(**terms)  # type: ignore[arg-type]


async def open_budget(casino: Casino, total: int = 1000, code: str = "welcome") -> None:
    async with casino.db() as uow:
        await uow.budgets.open(code, Money(total, XTR))
        await uow.commit()


async def grant(casino: Casino, player: int, offer: BonusOffer, key: str) -> Bonus:
    async with casino.db() as uow:
        bonus = await grant_bonus(
            uow,
            casino.ids,
            player_id=player,
            offer=offer,
            key=key,
            now=casino.clock.now(),
            shards=SHARDS,
        )
        await uow.commit()
    return bonus


async def bonus_balance(casino: Casino, player: int) -> int:
    async with casino.db() as uow:
        account = await uow.accounts.bonus_account(player, XTR)
    return 0 if account is None else account.balance


async def test_a_grant_moves_the_bonus_from_promotions_into_the_bonus_account() -> None:
    casino = Casino()
    player = await casino.player(1, deposit=30)
    await open_budget(casino)
    bonus = await grant(casino, player, welcome(), "promo:welcome:1")
    assert bonus.state is BonusState.ACTIVE  # type: ignore[attr-defined]
    assert await bonus_balance(casino, player) == 100
    async with casino.db() as uow:
        assert (await uow.budgets.get("welcome")).spent == Money(100, XTR)
        wallet = await uow.accounts.wallet(player, XTR)
        assert wallet is not None
        assert wallet.balance == 30
        promotions = await uow.accounts.house_balance(AccountKind.PROMOTIONS, XTR)
        assert promotions == -100
    events = casino.db.state.events
    assert BonusGranted(bonus) in events  # type: ignore[arg-type]
    [posted] = [e.transaction for e in events if isinstance(e, TransactionPosted)][-1:]
    assert posted.kind is TransactionKind.GRANT
    assert posted.idempotency_key == f"bonus:{bonus.id}:grant"  # type: ignore[attr-defined]


async def test_a_repeated_key_returns_the_first_bonus_and_spends_nothing() -> None:
    casino = Casino()
    player = await casino.player(1)
    await open_budget(casino)
    first = await grant(casino, player, welcome(), "promo:welcome:1")
    again = await grant(casino, player, welcome(), "promo:welcome:1")
    assert again == first
    assert await bonus_balance(casino, player) == 100
    async with casino.db() as uow:
        assert (await uow.budgets.get("welcome")).spent == Money(100, XTR)
    with pytest.raises(IdempotencyConflict):
        await grant(casino, player, welcome(200), "promo:welcome:1")


async def test_one_active_bonus_per_player_and_currency() -> None:
    casino = Casino()
    player = await casino.player(1)
    await open_budget(casino)
    await grant(casino, player, welcome(), "promo:welcome:1")
    with pytest.raises(BonusActive):
        await grant(casino, player, welcome(), "promo:other:1")
    assert await bonus_balance(casino, player) == 100


async def test_a_grant_past_its_budget_gives_nothing() -> None:
    casino = Casino()
    player = await casino.player(1)
    await open_budget(casino, total=99)
    with pytest.raises(BudgetExhausted):
        await grant(casino, player, welcome(), "promo:welcome:1")
    assert await bonus_balance(casino, player) == 0
    assert casino.db.state.bonuses == {}


async def test_a_blocked_or_unconfirmed_player_gets_no_bonus() -> None:
    casino = Casino()
    blocked = await casino.player(1)
    await open_budget(casino)
    async with casino.db() as uow:
        await uow.players.set_status(blocked, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    with pytest.raises(StandingRefusal):
        await grant(casino, blocked, welcome(), "promo:welcome:1")
    assert casino.db.state.bonuses == {}
    async with casino.db() as uow:
        assert (await uow.budgets.get("welcome")).spent == Money(0, XTR)


# -- wagering, and the ends of a bonus ----------------------------------------------------------


def convert(casino: Casino) -> ConvertBonus:
    return ConvertBonus(casino.db, casino.clock, casino.ids, casino.house)


def forfeit(casino: Casino) -> ForfeitBonus:
    return ForfeitBonus(casino.db, casino.clock, casino.ids, casino.house)


async def cash(casino: Casino, player: int) -> int:
    async with casino.db() as uow:
        wallet = await uow.accounts.wallet(player, XTR)
    assert wallet is not None
    return wallet.balance


async def count_coin_in_full(casino: Casino) -> None:
    async with casino.db() as uow:
        config = await uow.games.get("coin")
        await uow.games.save(
            GameConfig("coin", limits=config.limits, bonus_contribution_pct=100),
            casino.clock.now(),
        )
        await uow.commit()


async def granted_player(
    casino: Casino, *, wagering: int = 1, amount: int = 100
) -> tuple[int, Bonus]:
    """A player with 1000 ⭐ cash and a bonus of `amount` to wager `wagering` times."""
    await casino.bankroll()
    player = await casino.player(1, deposit=1000)
    await open_budget(casino)
    bonus = await grant(
        casino, player, welcome(amount, wagering_multiple=wagering), f"promo:welcome:{player}"
    )
    return player, bonus


async def test_progress_counts_settled_stakes_after_the_grant_weighted_and_capped() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=1000)
    await casino.coin(player, 40)  # before the grant: does not count
    casino.clock.advance(seconds=1)
    await open_budget(casino)
    bonus = await grant(casino, player, welcome(), f"promo:welcome:{player}")
    await casino.coin(player, 40)  # coin counts 10%: 4
    await casino.coin(player, 80)  # capped at the max stake 50, 10%: 5
    overview = await PlayerBonuses(casino.db, casino.clock)(player)
    assert overview is not None
    [status] = overview.bonuses
    assert status.bonus.id == bonus.id
    assert status.progress.wagered == Money(9, XTR)
    assert status.progress.required == Money(500, XTR)
    assert not status.claimable
    assert overview.contributions["coin"] == 10
    assert overview.contributions["plinko"] == 100
    assert overview.contributions["roulette"] == 5
    await count_coin_in_full(casino)
    overview = await PlayerBonuses(casino.db, casino.clock)(player)
    assert overview is not None
    assert overview.bonuses[0].progress.wagered == Money(90, XTR)  # 40 + 50


async def test_a_claim_converts_the_whole_bonus_once_when_wagering_is_met() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino)  # 100 to wager once
    await count_coin_in_full(casino)
    await casino.coin(player, 50)
    with pytest.raises(WageringIncomplete, match="50 XTR of 100 XTR"):
        await convert(casino)(bonus.id, player_id=player)
    assert await bonus_balance(casino, player) == 100
    await casino.coin(player, 50)
    before = await cash(casino, player)
    converted = await convert(casino)(bonus.id, player_id=player)
    assert converted.state is BonusState.CONVERTED
    assert await cash(casino, player) == before + 100
    assert await bonus_balance(casino, player) == 0
    assert await convert(casino)(bonus.id, player_id=player) == converted  # a repeat
    assert await cash(casino, player) == before + 100
    assert BonusConverted(converted) in casino.db.state.events
    with pytest.raises(IllegalBonusTransition):
        await forfeit(casino)(player, bonus.id)


async def test_a_player_gives_up_a_bonus_and_it_goes_back_to_promotions() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino)
    before = await cash(casino, player)
    given_up = await forfeit(casino)(player, bonus.id)
    assert (given_up.state, given_up.forfeit_reason) == (
        BonusState.FORFEITED,
        ForfeitReason.GIVEN_UP,
    )
    assert await forfeit(casino)(player, bonus.id) == given_up
    assert await cash(casino, player) == before  # nothing becomes cash
    assert await bonus_balance(casino, player) == 0
    async with casino.db() as uow:
        assert await uow.accounts.house_balance(AccountKind.PROMOTIONS, XTR) == 0
    assert BonusForfeited(given_up) in casino.db.state.events
    with pytest.raises(IllegalBonusTransition):
        await convert(casino)(bonus.id, player_id=player)


async def test_another_players_bonus_is_not_found() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino)
    other = await casino.player(2)
    with pytest.raises(NotFound):
        await forfeit(casino)(other, bonus.id)
    with pytest.raises(NotFound):
        await convert(casino)(bonus.id, player_id=other)
    assert await bonus_balance(casino, player) == 100


async def test_expiry_forfeits_once_and_a_late_claim_finds_it_expired() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino)
    await count_coin_in_full(casino)
    expire = ExpireBonuses(casino.db, casino.clock, casino.ids, casino.house)
    assert await expire() == 0
    casino.clock.advance(days=7)
    await casino.coin(player, 100)  # after the expiry: does not count
    late = await convert(casino)(bonus.id, player_id=player)  # the claim meets it first
    assert (late.state, late.forfeit_reason) == (BonusState.EXPIRED, ForfeitReason.EXPIRED)
    assert await expire() == 0  # already ended: nothing moves twice
    assert await bonus_balance(casino, player) == 0
    assert BonusExpired(late) in casino.db.state.events
    assert await PlayerBonuses(casino.db, casino.clock)(player) == (
        await PlayerBonuses(casino.db, casino.clock)(player)
    )


async def test_the_job_expires_due_bonuses_and_the_sweep_converts_met_ones() -> None:
    casino = Casino()
    player, bonus = await granted_player(casino)
    await count_coin_in_full(casino)
    other = await casino.player(2, deposit=500)
    second = await grant(casino, other, welcome(), f"promo:welcome:{other}")
    await casino.coin(player, 60)
    await casino.coin(player, 60)  # 50 + 50 counted: met
    assert await convert(casino).sweep() == 1
    async with casino.db() as uow:
        assert (await uow.bonuses.get(bonus.id)).state is BonusState.CONVERTED
        assert (await uow.bonuses.get(second.id)).state is BonusState.ACTIVE
    casino.clock.advance(days=8)
    assert await ExpireBonuses(casino.db, casino.clock, casino.ids, casino.house)() == 1
    async with casino.db() as uow:
        assert (await uow.bonuses.get(second.id)).state is BonusState.EXPIRED
    assert await bonus_balance(casino, other) == 0


async def test_a_player_refused_promotions_sees_nothing_of_bonuses() -> None:
    casino = Casino()
    player, _ = await granted_player(casino)
    async with casino.db() as uow:
        await uow.players.set_status(player, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    assert await PlayerBonuses(casino.db, casino.clock)(player) is None
