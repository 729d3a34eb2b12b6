"""Free bets on in-memory fakes (docs/bonuses.md, "Free bets"): a free-bet campaign's grant by
promo code, by staff to a list and at terms acceptance (no money moves), a play (the guard's
bet and promotion checks, the next nonce, the winnings a bonus through the one grant road, the
budget), its replay, the one-active-bonus rule, expiry, the player's view and the staff's
counts. The races run on PostgreSQL (tests/integration/test_free_bet_races.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.bonuses import ForfeitBonus
from application.campaigns import (
    CreateCampaign,
    GrantCampaignToPlayers,
    RedeemPromoCode,
    ShowCampaign,
    WelcomeOnAcceptance,
)
from application.free_bets import ExpireFreeBets, PlayerFreeBets, PlayFreeBet
from application.onboarding import AcceptTerms
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.responsible import SelfExclude, SetLimit
from application.staff import Actor
from domain.accounts import AccountKind
from domain.adjustments import FourEyesPolicy
from domain.bonuses import BonusActive
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignFourEyes,
    CampaignKind,
    CampaignRefused,
    Target,
)
from domain.errors import InvalidRequest, NotFound
from domain.free_bets import FreeBet, FreeBetState, FreeBetTerms, FreeBetUnavailable
from domain.money import XTR, Money
from domain.responsible import (
    LimitKind,
    LimitPeriod,
    ResponsibleGamblingRefusal,
    SelfExclusionPeriod,
)
from domain.standing import StandingRefusal
from tests.casino_on_fakes import Casino

ALICE = Actor("staff:alice")
FOUR_EYES = CampaignFourEyes(FourEyesPolicy({"XTR": 100_000}))


def stars(amount: int) -> Money:
    return Money(amount, XTR)


def spins(
    code: str = "spins",
    *,
    count: int = 3,
    max_win: int = 200,
    budget: int = 1_000,
    audience: Audience = Audience.ALL,
    players: frozenset[int] = frozenset(),
) -> Campaign:
    now = Casino().clock.now()
    return Campaign(
        code=code,
        kind=CampaignKind.FREE_BET,
        budget=stars(budget),
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=30),
        target=Target(audience, players),
        terms=BonusTerms(wagering_multiple=10, expires_after=timedelta(days=7)),
        created_by="staff:alice",
        created_at=now,
        amount=stars(max_win),
        free_bet=FreeBetTerms(
            "coin", {"side": "heads"}, stars(10), count, expires_after=timedelta(days=2)
        ),
    )


class FreeBetCasino(Casino):
    async def campaign(self, **changes: object) -> Campaign:
        created = await CreateCampaign(self.db, self.clock, FOUR_EYES)(
            spins(**changes),  # type: ignore[arg-type]
            ALICE,
        )
        return created.campaign

    def play(self) -> PlayFreeBet:
        return PlayFreeBet(self.db, self.clock, self.ids, self.house, self.seeds)

    async def redeem(self, player: int, code: str = "spins") -> list[FreeBet]:
        grant = await RedeemPromoCode(self.db, self.clock, self.ids, self.house)(player, code)
        return list(grant.free_bets)

    def bonus_balance(self, player: int) -> int:
        return sum(
            a.balance
            for a in self.db.state.accounts.values()
            if a.player_id == player and a.kind is AccountKind.PLAYER_BONUS
        )

    def ledger_size(self) -> int:
        return len(self.db.state.transactions)


@pytest.fixture
def casino() -> FreeBetCasino:
    return FreeBetCasino()


async def test_a_code_grants_free_bets_and_moves_no_money(casino: FreeBetCasino) -> None:
    await casino.campaign()
    player = await casino.player(1)
    before = casino.ledger_size()
    free_bets = await casino.redeem(player)
    assert len(free_bets) == 3
    assert casino.ledger_size() == before
    assert casino.db.state.budgets["spins"].spent == stars(0)
    again = await RedeemPromoCode(casino.db, casino.clock, casino.ids, casino.house)(
        player, "SPINS"
    )
    assert again.replayed
    assert len(casino.db.state.free_bets) == 3


async def test_a_win_becomes_a_bonus_net_of_the_stake_and_a_loss_moves_nothing(
    casino: FreeBetCasino,
) -> None:
    await casino.campaign()
    player = await casino.player(1)
    first, second, _ = sorted(fb.id for fb in await casino.redeem(player))
    # FixedSeeds: a coin on heads wins at nonce 0 (1.98x: 19 of a 10 stake) and loses at 1.
    won = await casino.play()(player, first)
    play = won.free_bet.play
    assert play is not None
    assert play.proof.nonce == 0
    assert (play.payout, play.winnings) == (stars(19), stars(9))
    assert won.bonus is not None
    assert won.bonus.amount == stars(9)
    assert won.bonus.wagering_required == stars(90)  # 10 x the winnings
    assert casino.bonus_balance(player) == 9
    assert casino.db.state.budgets["spins"].spent == stars(9)
    # The bonus must end before the next free bet is played (one active bonus).
    with pytest.raises(BonusActive):
        await casino.play()(player, second)
    assert casino.db.state.free_bets[second].state is FreeBetState.GRANTED


async def test_a_replay_answers_the_first_play(casino: FreeBetCasino) -> None:
    await casino.campaign()
    player = await casino.player(1)
    free_bet = sorted(fb.id for fb in await casino.redeem(player))[0]
    first = await casino.play()(player, free_bet)
    again = await casino.play()(player, free_bet)
    assert again.replayed
    assert not first.replayed
    assert again.free_bet == first.free_bet
    assert again.bonus == first.bonus
    assert len(casino.db.state.bonuses) == 1


async def test_a_free_bet_takes_the_next_nonce_a_bet_would_take(casino: FreeBetCasino) -> None:
    await casino.campaign(count=1)
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    bet = await casino.coin(player)  # nonce 0
    assert bet.bet.fairness is not None
    assert bet.bet.fairness.nonce == 0
    free_bet = (await casino.redeem(player))[0]
    played = await casino.play()(player, free_bet.id)
    assert played.free_bet.play is not None
    assert played.free_bet.play.proof.nonce == 1
    after = await casino.coin(player)
    assert after.bet.fairness is not None
    assert after.bet.fairness.nonce == 2


async def test_a_player_who_may_not_bet_the_stake_cannot_play(casino: FreeBetCasino) -> None:
    await casino.campaign()
    player = await casino.player(1)
    free_bet = sorted(fb.id for fb in await casino.redeem(player))[0]
    await SetLimit(casino.db, casino.clock)(player, LimitKind.WAGER, LimitPeriod.DAY, stars(5))
    with pytest.raises(ResponsibleGamblingRefusal):
        await casino.play()(player, free_bet)
    assert casino.db.state.free_bets[free_bet].state is FreeBetState.GRANTED


async def test_a_self_excluded_player_plays_nothing_and_sees_nothing(
    casino: FreeBetCasino,
) -> None:
    await casino.campaign()
    player = await casino.player(1)
    free_bet = sorted(fb.id for fb in await casino.redeem(player))[0]
    assert (await PlayerFreeBets(casino.db, casino.clock)(player)) is not None
    await SelfExclude(casino.db, casino.clock)(player, SelfExclusionPeriod.SIX_MONTHS)
    with pytest.raises((ResponsibleGamblingRefusal, StandingRefusal)):
        await casino.play()(player, free_bet)
    assert await PlayerFreeBets(casino.db, casino.clock)(player) is None


async def test_another_player_s_free_bet_is_not_found(casino: FreeBetCasino) -> None:
    await casino.campaign()
    owner, other = await casino.player(1), await casino.player(2)
    free_bet = sorted(fb.id for fb in await casino.redeem(owner))[0]
    with pytest.raises(NotFound):
        await casino.play()(other, free_bet)


async def test_a_budget_that_cannot_pay_the_largest_win_refuses_the_play(
    casino: FreeBetCasino,
) -> None:
    await casino.campaign(max_win=200, budget=205)
    player = await casino.player(1)
    first, second, _ = sorted(fb.id for fb in await casino.redeem(player))
    won = await casino.play()(player, first)  # wins 9: 196 left, less than one largest win
    assert won.bonus is not None
    await ForfeitBonus(casino.db, casino.clock, casino.ids, casino.house)(player, won.bonus.id)
    with pytest.raises(CampaignRefused) as refused:
        await casino.play()(player, second)
    assert refused.value.rule == "run_out"
    assert casino.db.state.free_bets[second].state is FreeBetState.GRANTED


async def test_unplayed_free_bets_expire_with_the_job(casino: FreeBetCasino) -> None:
    await casino.campaign()
    player = await casino.player(1)
    ids = sorted(fb.id for fb in await casino.redeem(player))
    await casino.play()(player, ids[0])
    casino.clock.advance(days=2)
    with pytest.raises(FreeBetUnavailable):
        await casino.play()(player, ids[1])
    assert await ExpireFreeBets(casino.db, casino.clock)() == 2
    assert await ExpireFreeBets(casino.db, casino.clock)() == 0
    states = [casino.db.state.free_bets[i].state for i in ids]
    assert states == [FreeBetState.PLAYED, FreeBetState.EXPIRED, FreeBetState.EXPIRED]


async def test_the_player_s_view_and_the_staff_s_counts(casino: FreeBetCasino) -> None:
    await casino.campaign()
    player = await casino.player(1)
    ids = sorted(fb.id for fb in await casino.redeem(player))
    await casino.play()(player, ids[0])
    overview = await PlayerFreeBets(casino.db, casino.clock)(player)
    assert overview is not None
    assert len(overview.playable) == 2
    assert len(overview.played) == 1
    report = await ShowCampaign(casino.db)("spins")
    assert report.free_bets is not None
    assert (report.free_bets.granted, report.free_bets.played, report.free_bets.won) == (3, 1, 1)
    assert report.free_bets.winnings == 9


async def test_staff_grant_free_bets_to_a_list(casino: FreeBetCasino) -> None:
    one, two = await casino.player(1), await casino.player(2)
    await casino.campaign(audience=Audience.LIST, players=frozenset({one}))
    grant = await GrantCampaignToPlayers(casino.db, casino.clock, casino.ids, casino.house)(
        "spins", [one, two], ALICE
    )
    assert [g.redemption.player_id for g in grant.granted] == [one]
    assert grant.skipped == (two,)
    assert grant.granted[0].redemption.key == f"free-bets:spins:{one}"
    assert len(grant.granted[0].free_bets) == 3


async def test_a_free_bet_campaign_for_new_players_welcomes_them(casino: FreeBetCasino) -> None:
    await casino.campaign(audience=Audience.NEW_PLAYERS)
    registered = await RegisterPlayer(casino.db, casino.clock)(
        RegisterPlayerCommand(9, currencies=(XTR,), accept_terms=False)
    )
    player = registered.player.id
    accept = WelcomeOnAcceptance(casino.db, casino.clock, casino.ids, casino.house)
    assert isinstance(accept, AcceptTerms)
    await accept(player)
    mine = [fb for fb in casino.db.state.free_bets.values() if fb.player_id == player]
    assert len(mine) == 3


async def test_a_free_bet_campaign_is_no_deposit_match(casino: FreeBetCasino) -> None:
    with pytest.raises(InvalidRequest):
        await GrantCampaignToPlayers(casino.db, casino.clock, casino.ids, casino.house)(
            "spins", [], ALICE
        )
