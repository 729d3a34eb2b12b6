"""The mines use cases on fakes: OpenMines places its bet through PlaceBet (and its rules),
RevealTile and CashOutMines step the field and settle the bet once, GetMines reads."""

from __future__ import annotations

import uuid
from datetime import timedelta
from fractions import Fraction

import pytest

from application.mines import (
    CashOutMines,
    CashOutMinesCommand,
    GetMines,
    MinesView,
    OpenMines,
    OpenMinesCommand,
    RevealTile,
    RevealTileCommand,
)
from domain.bets import BetState
from domain.errors import IllegalTransition, InvalidField, InvalidRequest, LimitExceeded, NotFound
from domain.events import BetPlaced, BetSettled
from domain.fairness import uint32_stream
from domain.games.base import payout_for
from domain.games.catalog import GameConfig, StakeLimits
from domain.games.mines import cash_out_multiplier, mine_positions, safe_tiles_within
from domain.mines import MinesState, OverPayoutLimit
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.standing import PlayerBlocked
from tests.casino_on_fakes import Casino
from tests.fakes import FakeUnitOfWork

pytestmark = pytest.mark.asyncio

# FixedSeeds' pair at nonce 0 (the player's first provably fair bet).
POSITIONS = tuple(mine_positions(uint32_stream("ab" * 32, "fakes", 0), 3))
SAFE = [t for t in range(25) if t not in POSITIONS]
EDGE = Fraction(1, 100)


def _cases(casino: Casino) -> tuple[OpenMines, RevealTile, CashOutMines, GetMines]:
    args = (casino.db, casino.clock, casino.ids, casino.house)
    return (
        OpenMines(casino.place_bet(), casino.clock),
        RevealTile(*args),
        CashOutMines(*args),
        GetMines(*args),
    )


async def _open(casino: Casino, player: int, stake: int = 10, mines: int = 3) -> MinesView:
    opened, *_ = _cases(casino)
    return await opened(OpenMinesCommand(player, uuid.uuid4(), Money(stake, XTR), mines))


async def test_open_places_a_bet_that_stays_placed_with_its_field() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    assert view.state is MinesState.OPEN
    assert view.revealed == ()
    assert view.multiplier == 1
    assert view.mine_positions is None
    assert view.payout is None
    assert view.balance == Money(90, XTR)
    bet = casino.db.state.bets[view.id]
    assert bet.state is BetState.PLACED
    assert bet.game == "mines"
    assert bet.fairness is not None
    assert casino.db.state.mines[view.id].positions == POSITIONS
    assert [type(e) for e in casino.db.state.events if isinstance(e, BetPlaced | BetSettled)] == [
        BetPlaced
    ]


async def test_a_repeated_open_returns_the_game_and_a_second_game_is_refused() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    opened, *_ = _cases(casino)
    command = OpenMinesCommand(player, uuid.uuid4(), Money(10, XTR), 3)
    first = await opened(command)
    again = await opened(command)
    assert again.id == first.id
    assert again.replayed
    assert again.balance == Money(90, XTR)
    with pytest.raises(IllegalTransition, match="open mines game"):
        await opened(OpenMinesCommand(player, uuid.uuid4(), Money(10, XTR), 3))
    assert len(casino.db.state.bets) == 1  # the refused one wrote nothing


async def test_opening_follows_the_rules_of_every_bet() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    opened, *_ = _cases(casino)
    with pytest.raises(InvalidRequest, match="1-24 mines"):
        await opened(OpenMinesCommand(player, uuid.uuid4(), Money(10, XTR), 25))
    with pytest.raises(LimitExceeded, match="largest stake"):
        await opened(OpenMinesCommand(player, uuid.uuid4(), Money(10_001, XTR), 3))
    async with casino.db() as uow:
        assert isinstance(uow, FakeUnitOfWork)
        await uow.players.set_status(player, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    with pytest.raises(PlayerBlocked):
        await opened(OpenMinesCommand(player, uuid.uuid4(), Money(10, XTR), 3))
    assert casino.db.state.bets == {}
    assert casino.db.state.mines == {}


async def test_mines_is_not_placed_through_other_doors() -> None:
    from application.betting import PlaceBetCommand

    casino = Casino()
    player = await casino.player(1, deposit=100)
    command = PlaceBetCommand(player, uuid.uuid4(), "mines", Money(10, XTR), {"mines": "3"})
    with pytest.raises(InvalidField, match="its own service"):
        await casino.place_bet()(command)


async def test_reveal_then_cash_out_settles_once() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    _, reveal, cash_out, get = _cases(casino)
    step = await reveal(RevealTileCommand(player, view.id, SAFE[0]))
    assert step.revealed == (SAFE[0],)
    assert step.multiplier == cash_out_multiplier(3, 1, Fraction(1, 100))
    again = await reveal(RevealTileCommand(player, view.id, SAFE[0]))
    assert again.replayed
    assert again.revealed == (SAFE[0],)
    done = await cash_out(CashOutMinesCommand(player, view.id))
    assert done.state is MinesState.CASHED_OUT
    assert done.payout == 11
    assert done.mine_positions == tuple(sorted(POSITIONS))
    assert done.balance == Money(101, XTR)
    repeat = await cash_out(CashOutMinesCommand(player, view.id))
    assert repeat.replayed
    assert repeat.payout == 11
    assert repeat.balance == Money(101, XTR)
    bet = casino.db.state.bets[view.id]
    assert bet.state is BetState.WON
    assert bet.outcome == 1
    assert bet.payout == 11
    settled = [e for e in casino.db.state.events if isinstance(e, BetSettled)]
    assert len(settled) == 1
    assert (await get(player, game_id=view.id)).state is MinesState.CASHED_OUT


async def test_a_mine_loses_the_stake() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    _, reveal, cash_out, get = _cases(casino)
    busted = await reveal(RevealTileCommand(player, view.id, POSITIONS[0]))
    assert busted.state is MinesState.BUSTED
    assert busted.payout == 0
    assert busted.balance == Money(90, XTR)
    with pytest.raises(IllegalTransition, match="hit a mine"):
        await cash_out(CashOutMinesCommand(player, view.id))
    with pytest.raises(IllegalTransition, match="over"):
        await reveal(RevealTileCommand(player, view.id, SAFE[0]))
    assert casino.db.state.bets[view.id].state is BetState.LOST
    with pytest.raises(NotFound, match="no open mines game"):
        await get(player, currency="XTR")
    # The game is over: another may open.
    assert (await _open(casino, player)).state is MinesState.OPEN


async def test_another_players_game_is_not_found() -> None:
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    other = await casino.player(2, deposit=100)
    view = await _open(casino, player)
    _, reveal, cash_out, get = _cases(casino)
    with pytest.raises(NotFound):
        await reveal(RevealTileCommand(other, view.id, SAFE[0]))
    with pytest.raises(NotFound):
        await cash_out(CashOutMinesCommand(other, view.id))
    with pytest.raises(NotFound):
        await get(other, game_id=view.id)
    assert (await get(player, currency="XTR")).id == view.id


async def test_a_blocked_player_may_cash_out_but_not_reveal_more() -> None:
    """The stake was taken when the game opened: collecting the safe tiles revealed is
    always allowed; revealing more is gambling, refused by a block (nothing written)."""
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    _, reveal, cash_out, get = _cases(casino)
    await reveal(RevealTileCommand(player, view.id, SAFE[0]))
    async with casino.db() as uow:
        assert isinstance(uow, FakeUnitOfWork)
        await uow.players.set_status(player, PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    with pytest.raises(PlayerBlocked, match="no more tiles can be revealed"):
        await reveal(RevealTileCommand(player, view.id, SAFE[1]))
    assert (await get(player, game_id=view.id)).revealed == (SAFE[0],)
    # A repeat of a tile already revealed answers the game as it stands, as ever.
    assert (await reveal(RevealTileCommand(player, view.id, SAFE[0]))).replayed
    assert (await cash_out(CashOutMinesCommand(player, view.id))).payout == 11


@pytest.mark.parametrize("exclude", ["timeout", "self_exclusion"])
async def test_a_timed_out_or_self_excluded_player_may_cash_out_but_not_reveal(exclude) -> None:
    from application.responsible import SelfExclude, StartTimeout
    from domain.responsible import ResponsibleGamblingRefusal, SelfExclusionPeriod, TimeoutPeriod

    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    _, reveal, cash_out, _ = _cases(casino)
    await reveal(RevealTileCommand(player, view.id, SAFE[0]))
    if exclude == "timeout":
        await StartTimeout(casino.db, casino.clock)(player, next(iter(TimeoutPeriod)))
    else:
        await SelfExclude(casino.db, casino.clock)(player, next(iter(SelfExclusionPeriod)))
    with pytest.raises(ResponsibleGamblingRefusal):
        await reveal(RevealTileCommand(player, view.id, SAFE[1]))
    assert (await cash_out(CashOutMinesCommand(player, view.id))).payout == 11


async def test_a_mines_bet_is_not_voided() -> None:
    from application.betting import VoidBet, VoidBetCommand

    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    void = VoidBet(casino.db, casino.clock, casino.ids, casino.house)
    with pytest.raises(IllegalTransition, match="its player ends it"):
        await void(VoidBetCommand(view.id, "staff tidy-up"))
    assert casino.db.state.bets[view.id].state is BetState.PLACED


async def test_the_outcome_report_counts_every_mine_of_a_field() -> None:
    from application.reports import OutcomeReport, ReportQuery
    from domain.money import CurrencyRegistry
    from domain.outcome_tests import outcome_counting, theoretical_bins
    from domain.reports import ReportPeriod, ReportScope
    from domain.risk import RiskPolicy
    from tests.fake_reports import FakeReportReads

    bins = theoretical_bins("mines")
    assert [b.low for b in bins] == list(range(25))
    assert sum(b.probability for b in bins) == 1
    casino = Casino()
    await casino.bankroll()
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player)
    _, reveal, *_ = _cases(casino)
    await reveal(RevealTileCommand(player, view.id, POSITIONS[1]))  # a mine, not the first
    report = OutcomeReport(
        FakeReportReads(casino.db), CurrencyRegistry([XTR]), casino.clock, RiskPolicy()
    )
    rows = {r.game: r for r in (await report(ReportQuery(game="mines"))).rows}
    assert rows["mines"].bets == 1  # one field, however many mines
    assert sum(b.observed for b in rows["mines"].bins) == len(POSITIONS)
    today = casino.clock.now().date()
    counts = await FakeReportReads(casino.db).outcome_counts(
        ReportPeriod(today, today + timedelta(days=1)),
        ReportScope(None, "mines"),
        {"mines": list(outcome_counting("mines").edges)},
    )
    base = (len(POSITIONS) - 1) * 25
    assert counts["mines"] == [int(r - base in POSITIONS) for r in range(24 * 25)]


# The 12-mine field FixedSeeds deals at nonce 0.
POSITIONS_12 = tuple(mine_positions(uint32_stream("ab" * 32, "fakes", 0), 12))
SAFE_12 = [t for t in range(25) if t not in POSITIONS_12]


async def test_twelve_mines_open_at_one_star_and_stop_at_the_payout_limit() -> None:
    """12 mines' last tile pays 5,148,297x: a 1-Star game opens at the default limit
    (1,000,000 Stars), reserves what it can reach within it, and refuses the tile beyond."""
    casino = Casino()
    await casino.bankroll(10**6)
    player = await casino.player(1, deposit=100)
    view = await _open(casino, player, stake=1, mines=12)
    cap = safe_tiles_within(12, EDGE, 1, 1_000_000)
    assert cap == 12  # the 13th and last safe tile would pay 5,148,297 Stars
    best = payout_for(1, cash_out_multiplier(12, cap, EDGE))
    assert view.max_payout == Money(best, XTR) == Money(396_022, XTR)
    assert casino.db.state.bets[view.id].max_payout == best
    _, reveal, cash_out, get = _cases(casino)
    for tile in SAFE_12[:cap]:
        view = await reveal(RevealTileCommand(player, view.id, tile))
    assert view.state is MinesState.OPEN
    assert view.next_multiplier is None
    assert view.at_limit
    bets, fields, events = (
        dict(casino.db.state.bets),
        dict(casino.db.state.mines),
        list(casino.db.state.events),
    )
    for tile in (SAFE_12[cap], POSITIONS_12[0]):
        with pytest.raises(OverPayoutLimit, match="over the payout limit"):
            await reveal(RevealTileCommand(player, view.id, tile))
    assert (casino.db.state.bets, casino.db.state.mines) == (bets, fields)
    assert casino.db.state.events == events  # the refusals wrote nothing
    assert (await get(player, game_id=view.id)).at_limit
    done = await cash_out(CashOutMinesCommand(player, view.id))
    assert done.payout == best
    assert done.balance == Money(99 + best, XTR)


async def test_a_game_whose_first_tile_pays_over_the_limit_does_not_open() -> None:
    casino = Casino()
    await casino.bankroll(10**7)
    casino.db.state.games["mines"] = GameConfig(
        "mines", limits={"XTR": StakeLimits(1, 100_000, 1_000_000)}
    )
    player = await casino.player(1, deposit=200_000)
    with pytest.raises(LimitExceeded, match="first safe tile would pay 2475000 XTR"):
        await _open(casino, player, stake=100_000, mines=24)
    assert casino.db.state.bets == {}
    assert casino.db.state.mines == {}


async def test_the_bankroll_must_cover_what_a_capped_game_can_reach() -> None:
    casino = Casino()
    await casino.bankroll(396_022 - 2)  # one short of 12 mines' cap for 1 Star, less the stake
    player = await casino.player(1, deposit=100)
    with pytest.raises(LimitExceeded, match="cannot cover a win of 396022 XTR"):
        await _open(casino, player, stake=1, mines=12)
    await casino.bankroll(1)
    assert (await _open(casino, player, stake=1, mines=12)).max_payout == Money(396_022, XTR)
