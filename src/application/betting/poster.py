"""The base of the bet use cases that post to the ledger (place, settle, void)."""

from __future__ import annotations

from application.betting.receipts import NO_BET_METRICS
from application.house import HouseBook
from application.ledger_use_case import LedgerUseCase
from application.ports import BetMetrics, Clock, IdGenerator, UnitOfWork, UnitOfWorkFactory
from application.risk import DEFAULT_RISK_REVIEW, RiskReview
from domain.accounts import AccountKind
from domain.bets import Bet
from domain.errors import NotFound
from domain.events import transactions_posted
from domain.ledger import PostedTransaction, Transaction
from domain.money import Money
from domain.postings import bet_settlement


class BetPoster(LedgerUseCase):
    """What every use case that posts a bet's ledger transactions shares: its dependencies, the
    accounts of a settlement, the settlement's posting (which raises its `TransactionPosted`
    and lets the risk review see the result) and the wallet balance a receipt shows."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        house: HouseBook,
        *,
        risk: RiskReview = DEFAULT_RISK_REVIEW,
        metrics: BetMetrics = NO_BET_METRICS,
    ) -> None:
        super().__init__(uow, clock, ids, house)
        self._risk = risk
        self._metrics = metrics

    async def _settlement_accounts(
        self, uow: UnitOfWork, bet: Bet, wallet_id: int | None = None
    ) -> tuple[int, int, int]:
        currency = bet.stake.currency
        if wallet_id is None:
            wallet = await uow.accounts.wallet(bet.player_id, currency)
            if wallet is None:  # pragma: no cover - a placed bet always has its wallet
                raise NotFound(f"player {bet.player_id} has no {currency.code} wallet")
            wallet_id = wallet.id
        in_play = await self._house.account_for(
            uow.accounts, AccountKind.BETS_IN_PLAY, currency, bet.player_id
        )
        bankroll = await self._house.account_for(
            uow.accounts, AccountKind.HOUSE_BANKROLL, currency, bet.player_id
        )
        return wallet_id, in_play, bankroll

    async def _post_settlement(
        self, uow: UnitOfWork, settled: Bet, wallet_id: int | None = None
    ) -> PostedTransaction:
        posted = await uow.ledger.post(await self._settlement(uow, settled, wallet_id))
        uow.raise_events(*transactions_posted(posted))
        # Large wins and wagers are flagged and audited in the settlement's own transaction.
        await self._risk.on_bet_settled(uow, settled)
        return posted

    async def _settlement(
        self, uow: UnitOfWork, settled: Bet, wallet_id: int | None = None
    ) -> Transaction:
        wallet, in_play, bankroll = await self._settlement_accounts(uow, settled, wallet_id)
        legs = settled.settlement_legs(wallet, in_play, bankroll)
        return bet_settlement(settled, legs, at=self._clock.now())

    async def _balance(self, uow: UnitOfWork, bet: Bet) -> Money:
        wallet = await uow.accounts.wallet(bet.player_id, bet.stake.currency)
        amount = wallet.balance if wallet is not None else 0
        return Money(amount, bet.stake.currency)
