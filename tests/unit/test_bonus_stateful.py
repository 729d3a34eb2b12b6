"""A Hypothesis state machine over bonuses on the in-memory fakes (docs/bonuses.md): grants,
bets, claims, give-ups, the sweep, time passing and the expiry job, deposits and withdrawals
(refused while a bonus is active, or confirmed and forfeiting it), and free bets played (their
winnings a bonus), in any order. After every
step the books balance, each bonus account holds exactly its active bonus, every bonus has its
one grant and at most its one end, and cash is never created from bonus: every movement of a
wallet is a deposit, a bet's stake or result, a withdrawal, or a conversion of exactly a
converted bonus's amount; a free bet's winnings are exactly its bonus, within its cap, and no
nonce of a seed pair is used twice by bets and free bets.

On fakes, not PostgreSQL: the rules under test (which end happens when, what a withdrawal does
to a bonus, what counts toward wagering) are the use cases', and the fakes keep the adapter's
rules; hundreds of runs take seconds here. The database's side (constraints, the trigger,
locks under real concurrency, the reconcile queries) is proven by tests/integration's bonus
tests on real connections."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from application.betting import PlaceBetCommand
from application.bonuses import ConvertBonus, ExpireBonuses, ForfeitBonus, grant_bonus
from application.campaigns import CreateCampaign, RedeemPromoCode
from application.free_bets import ExpireFreeBets, PlayFreeBet
from application.staff import Actor
from application.withdrawals import NoWithdrawalHolds, RequestWithdrawal
from domain.accounts import AccountKind
from domain.adjustments import FourEyesPolicy
from domain.bonuses import (
    BonusActive,
    BonusBlocksWithdrawal,
    BonusOffer,
    BonusState,
    IllegalBonusTransition,
    WageringIncomplete,
)
from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignFourEyes,
    CampaignKind,
    CampaignRefused,
    Target,
)
from domain.errors import InsufficientFunds, LimitExceeded
from domain.free_bets import FreeBetState, FreeBetTerms, FreeBetUnavailable, free_bet_key
from domain.ledger import TransactionKind
from domain.money import XTR, Money
from domain.promotions import BudgetExhausted
from domain.withdrawal_policy import CurrencyWithdrawalLimits, WithdrawalPolicy
from domain.withdrawals import WithdrawalRefused
from tests.casino_on_fakes import Casino

POLICY = WithdrawalPolicy(
    {"XTR": CurrencyWithdrawalLimits(10, 5_000, kyc_threshold=10**9)}, wagering_multiple=0
)
# What may move a wallet. A grant or a forfeit never touches one: bonus money is elsewhere.
CASH_KINDS = frozenset(
    {
        TransactionKind.DEPOSIT,
        TransactionKind.BET,
        TransactionKind.WIN,
        TransactionKind.LOSS,
        TransactionKind.REFUND,
        TransactionKind.WITHDRAWAL,
        TransactionKind.CONVERSION,
    }
)
BUDGET = "stateful"
PARAMS = {
    "limbo": {"target": "2"},
    "coin": {"side": "heads"},
    "dice": {"target": "50.00", "direction": "under"},
}


class BonusMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.casino = Casino()
        self.players: list[int] = []

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.loop.close()

    @initialize()
    def open_casino(self) -> None:
        async def setup() -> None:
            await self.casino.bankroll(10**7)
            for telegram_id in (1, 2):
                self.players.append(await self.casino.player(telegram_id, deposit=500))
            async with self.casino.db() as uow:
                await uow.budgets.open(BUDGET, Money(2_000, XTR))
                await uow.commit()
            await self._free_bets()

        self.run(setup())

    async def _free_bets(self) -> None:
        """Ten free bets of 10 ⭐ on limbo x2 for each player (a campaign's, by its code)."""
        now = self.casino.clock.now()
        spins = Campaign(
            code="stateful-spins",
            kind=CampaignKind.FREE_BET,
            budget=Money(300, XTR),
            starts_at=now,
            ends_at=now + timedelta(days=30),
            target=Target(Audience.ALL),
            terms=BonusTerms(wagering_multiple=1, expires_after=timedelta(days=2)),
            created_by="staff:stateful",
            created_at=now,
            amount=Money(50, XTR),
            free_bet=FreeBetTerms("limbo", {"target": "2"}, Money(10, XTR), 10, timedelta(days=3)),
        )
        four_eyes = CampaignFourEyes(FourEyesPolicy({"XTR": 10**9}))
        await CreateCampaign(self.casino.db, self.casino.clock, four_eyes)(
            spins, Actor("staff:stateful")
        )
        for player in self.players:
            await self._use(RedeemPromoCode)(player, spins.code)

    def _use(self, kind):
        c = self.casino
        return kind(c.db, c.clock, c.ids, c.house)

    # -- rules ---------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 1),
        amount=st.integers(1, 150),
        multiple=st.integers(0, 2),
        max_stake=st.one_of(st.none(), st.integers(1, 100)),
        days=st.integers(1, 3),
    )
    def grant(self, who: int, amount: int, multiple: int, max_stake: int | None, days: int):
        offer = BonusOffer(
            amount=Money(amount, XTR),
            wagering_multiple=multiple,
            wagering_base=Money(amount, XTR),
            expires_after=timedelta(days=days),
            max_stake=None if max_stake is None else Money(max_stake, XTR),
            campaign="stateful",
            budget=BUDGET,
        )

        async def give() -> None:
            async with self.casino.db() as uow:
                await grant_bonus(
                    uow,
                    self.casino.ids,
                    player_id=self.players[who],
                    offer=offer,
                    key=f"stateful:{uuid.uuid4()}",
                    now=self.casino.clock.now(),
                    shards=self.casino.house.shards,
                )
                await uow.commit()

        with contextlib.suppress(BonusActive, BudgetExhausted):
            self.run(give())

    @rule(
        who=st.integers(0, 1),
        stake=st.integers(1, 200),
        game=st.sampled_from(["limbo", "limbo", "coin", "dice"]),  # 100% and 10% games
    )
    def bet(self, who: int, stake: int, game: str):
        params = PARAMS[game]
        command = PlaceBetCommand(self.players[who], uuid.uuid4(), game, Money(stake, XTR), params)
        with contextlib.suppress(InsufficientFunds, LimitExceeded):
            self.run(self.casino.place_bet()(command))

    @rule(who=st.integers(0, 1), amount=st.integers(1, 300))
    def deposit(self, who: int, amount: int):
        self.run(self.casino.deposit(self.players[who], amount))

    def _active(self, who: int):
        state = self.casino.db.state
        return [b for b in state.bonuses.values() if b.player_id == self.players[who]]

    @rule(who=st.integers(0, 1))
    def claim(self, who: int):
        for bonus in self._active(who):
            with contextlib.suppress(WageringIncomplete, IllegalBonusTransition):
                self.run(self._use(ConvertBonus)(bonus.id, player_id=bonus.player_id))

    @rule(who=st.integers(0, 1))
    def give_up(self, who: int):
        for bonus in self._active(who):
            with contextlib.suppress(IllegalBonusTransition):
                self.run(self._use(ForfeitBonus)(bonus.player_id, bonus.id))

    @rule()
    def sweep(self):
        self.run(self._use(ConvertBonus).sweep())

    @rule(who=st.integers(0, 1))
    def play_free_bet(self, who: int):
        player = self.players[who]
        granted = sorted(
            fb.id
            for fb in self.casino.db.state.free_bets.values()
            if fb.player_id == player and fb.state is FreeBetState.GRANTED
        )
        if not granted:
            return
        c = self.casino
        play = PlayFreeBet(c.db, c.clock, c.ids, c.house, c.seeds)
        with contextlib.suppress(BonusActive, FreeBetUnavailable, CampaignRefused):
            self.run(play(player, granted[0]))

    @rule()
    def expire_free_bets(self):
        self.run(ExpireFreeBets(self.casino.db, self.casino.clock)())

    @rule(hours=st.integers(1, 48))
    def time_passes(self, hours: int):
        self.casino.clock.advance(hours=hours)

    @rule()
    def expire(self):
        self.run(self._use(ExpireBonuses)())

    @rule(who=st.integers(0, 1), amount=st.integers(10, 400), confirm=st.booleans())
    def withdraw(self, who: int, amount: int, confirm: bool):
        c = self.casino
        request = RequestWithdrawal(c.db, c.clock, c.ids, c.house, POLICY, NoWithdrawalHolds())
        try:
            self.run(
                request(
                    self.players[who],
                    Money(amount, XTR),
                    "@stateful",
                    uuid.uuid4(),
                    forfeit_bonus=confirm,
                )
            )
        except BonusBlocksWithdrawal:
            assert not confirm
        except (InsufficientFunds, WithdrawalRefused):
            pass

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def the_books_balance(self):
        accounts = self.casino.db.state.accounts.values()
        assert sum(a.balance for a in accounts if a.currency == XTR) == 0
        assert all(a.balance >= 0 for a in accounts if not a.kind.may_go_negative)

    @invariant()
    def each_bonus_account_holds_its_active_bonus(self):
        state = self.casino.db.state
        for player in self.players:
            held = sum(
                a.balance
                for a in state.accounts.values()
                if a.kind is AccountKind.PLAYER_BONUS and a.player_id == player
            )
            active = [b for b in state.bonuses.values() if b.player_id == player and b.active]
            assert len(active) <= 1
            assert held == sum(b.amount.amount for b in active)

    @invariant()
    def every_bonus_has_its_grant_and_at_most_one_end(self):
        state = self.casino.db.state
        by_reference = Counter(
            (posted.reference, posted.kind) for _, posted in state.transactions.values()
        )
        for bonus in state.bonuses.values():
            reference = f"bonus:{bonus.id}"
            assert by_reference[(reference, TransactionKind.GRANT)] == 1
            ends = (
                by_reference[(reference, TransactionKind.CONVERSION)],
                by_reference[(reference, TransactionKind.FORFEIT)],
            )
            expected = {
                BonusState.ACTIVE: (0, 0),
                BonusState.CONVERTED: (1, 0),
                BonusState.FORFEITED: (0, 1),
                BonusState.EXPIRED: (0, 1),
            }[bonus.state]
            assert ends == expected

    @invariant()
    def a_free_bet_s_winnings_are_exactly_its_bonus_and_no_nonce_is_used_twice(self):
        state = self.casino.db.state
        used = [
            (b.fairness.seed_pair_id, b.fairness.nonce)
            for b in state.bets.values()
            if b.fairness is not None
        ]
        for fb in state.free_bets.values():
            if fb.play is None:
                continue
            play = fb.play
            used.append((play.proof.seed_pair_id, play.proof.nonce))
            assert play.winnings.amount == min(
                max(play.payout.amount - fb.stake.amount, 0), fb.max_win.amount
            )
            bonus = next((b for b in state.bonuses.values() if b.key == free_bet_key(fb.id)), None)
            if play.won:
                assert bonus is not None
                assert (bonus.id, bonus.amount) == (play.bonus_id, play.winnings)
            else:
                assert bonus is None
                assert play.bonus_id is None
        assert len(used) == len(set(used))
        assert state.budgets["stateful-spins"].spent <= state.budgets["stateful-spins"].total

    @invariant()
    def cash_never_comes_from_bonus_but_by_a_conversion(self):
        state = self.casino.db.state
        wallets = {
            a.id: a.player_id
            for a in state.accounts.values()
            if a.kind is AccountKind.PLAYER_WALLET
        }
        converted: Counter[int] = Counter()
        for _, posted in state.transactions.values():
            for leg in posted.legs:
                if leg.account_id not in wallets:
                    continue
                assert posted.kind in CASH_KINDS, posted
                if posted.kind is TransactionKind.CONVERSION:
                    converted[wallets[leg.account_id]] += leg.amount.amount
        for player in self.players:
            expected = sum(
                b.amount.amount
                for b in state.bonuses.values()
                if b.player_id == player and b.state is BonusState.CONVERTED
            )
            assert converted[player] == expected


BonusMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_bonus_books_stay_balanced = BonusMachine.TestCase
