"""In-memory implementations of the application's ports, for fast unit tests of use cases.

They keep the same rules as the PostgreSQL adapter (balance checks, idempotency by
fingerprint, all-or-nothing units of work) with plain dictionaries.

Over 400 lines on purpose: the unit of work and the ledger, accounts and bets it hands out
share one state and its all-or-nothing copy; the other ports' fakes live in tests/fake_*.py."""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta

from application.ports import HistoryEntry, VelocityStoreDown
from domain.accounts import Account, AccountKind
from domain.adjustments import AdjustmentRequest
from domain.aggregator_games import AggregatorGame
from domain.bets import Bet
from domain.bonuses import Bonus
from domain.budget_raises import BudgetRaise
from domain.campaigns import Campaign, Redemption
from domain.crash_rounds import CrashChain, CrashRound, CrashSeat
from domain.crypto_pay import CryptoInvoice
from domain.duel_groups import DuelGroup
from domain.duel_lobbies import Lobby
from domain.duels import Duel
from domain.errors import IdempotencyConflict, NotFound
from domain.events import DomainEvent
from domain.free_bets import FreeBet
from domain.games.catalog import GameConfig
from domain.kept_answers import KeptAnswer
from domain.ledger import PostedLeg, PostedTransaction, Transaction
from domain.mines import MinesField
from domain.money import Currency
from domain.notices import Notice
from domain.notifications import Topic
from domain.onboarding import PlayerPreferences
from domain.payments import StarsInvoice, StarsPayment
from domain.players import KycStatus, Player, PlayerStatus
from domain.promotions import PromotionBudget
from domain.rakeback import RakebackClaim
from domain.referrals import CommissionSettlement
from domain.responsible import ResponsibleProfile
from domain.risk import RiskFlag
from domain.seamless import ProviderTransaction, SeamlessRound
from domain.seeds import SeedPair
from domain.staff import AuditEntry, StaffKey, StaffMember
from domain.standing import PlayerStanding
from domain.velocity import VelocityAction, VelocityLimit
from domain.withdrawals import Withdrawal
from tests.fake_access import FakeKeyUsage
from tests.fake_aggregator_games import FakeAggregatorGames
from tests.fake_betting import (
    FakeBets,
    FakeGameConfigs,
    FakeKeptAnswers,
    FakeMines,
    FakePlacements,
    FakeProviderTransactions,
    FakeSeedPairs,
)
from tests.fake_bonuses import FakeBonuses
from tests.fake_campaigns import FakeCampaigns
from tests.fake_crash import FakeCrashRounds
from tests.fake_crypto_pay import FakeCryptoInvoices
from tests.fake_duels import FakeDuelGroups, FakeDuels, FakeLobbies
from tests.fake_free_bets import FakeFreeBets
from tests.fake_money import (
    FakeAuditLog,
    FakeResponsibleGambling,
    FakeRiskFlags,
    FakeWithdrawals,
)
from tests.fake_notices import FakeNoticeChoiceStore, FakeNoticeStore
from tests.fake_players import FakeAdjustments, FakePreferences, FakeStars
from tests.fake_promotions import FakePromotionBudgets
from tests.fake_referrals import FakeReferrals
from tests.fake_staff import FakeStaff
from tests.fake_vip import FakeVipBook


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 24, 12, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class SequentialIds:
    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=next(self._n))


@dataclass
class _State:
    players: dict[int, Player] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    transactions: dict[str, tuple[bytes, PostedTransaction]] = field(default_factory=dict)
    legs: list[tuple[int, HistoryEntry]] = field(default_factory=list)  # (account id, entry)
    next_id: int = 1
    # The betting ports' (tests.fake_betting): bets, seed pairs by id, saved game configs.
    bets: dict[uuid.UUID, Bet] = field(default_factory=dict)
    seeds: dict[int, SeedPair] = field(default_factory=dict)
    games: dict[str, GameConfig] = field(default_factory=dict)
    mines: dict[uuid.UUID, MinesField] = field(default_factory=dict)
    provider_transactions: dict[tuple[str, str], ProviderTransaction] = field(default_factory=dict)
    rounds: dict[tuple[str, str], SeamlessRound] = field(default_factory=dict)
    kept_answers: dict[tuple[str, str], KeptAnswer] = field(default_factory=dict)
    key_usage: dict[tuple[str, str, date], int] = field(default_factory=dict)
    # The money ports' (tests.fake_money): withdrawals by id, the audit log in order.
    withdrawals: dict[uuid.UUID, Withdrawal] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    flags: dict[int, RiskFlag] = field(default_factory=dict)
    identities: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    profiles: dict[int, ResponsibleProfile] = field(default_factory=dict)
    deposit_prompt_answers: dict[int, datetime] = field(default_factory=dict)  # first answer
    # The players' side (tests.fake_players): preferences and four-eyes requests.
    preferences: dict[int, PlayerPreferences] = field(default_factory=dict)
    adjustments: dict[uuid.UUID, AdjustmentRequest] = field(default_factory=dict)
    invoices: dict[str, StarsInvoice] = field(default_factory=dict)
    status_reasons: dict[int, str] = field(default_factory=dict)
    kyc: dict[int, KycStatus] = field(default_factory=dict)
    notes: list[tuple[int, int, str, str, datetime]] = field(default_factory=list)
    # Staff (tests.fake_staff): id -> (member, password hash, TOTP secret); keys by key id.
    staff: dict[int, tuple[StaffMember, str, str | None]] = field(default_factory=dict)
    staff_keys: dict[str, StaffKey] = field(default_factory=dict)
    staff_totp_pending: dict[int, str] = field(default_factory=dict)  # secrets awaiting a code
    staff_totp_steps: dict[int, int] = field(default_factory=dict)  # the last code used
    payments: dict[str, StarsPayment] = field(default_factory=dict)
    # Crash (tests.fake_crash): chains, their secrets (standing for the checkpoints), rounds
    # and seats by id; the database's clock (None: the real time).
    crash_chains: dict[int, CrashChain] = field(default_factory=dict)
    crash_secrets: dict[int, bytes] = field(default_factory=dict)
    crash_rounds: dict[int, CrashRound] = field(default_factory=dict)
    crash_seats: dict[uuid.UUID, CrashSeat] = field(default_factory=dict)
    crash_interrupted: set[int] = field(default_factory=set)
    crash_clock: FakeClock | None = None
    # The bot's notices (tests.fake_notices) by id, and the players who blocked the bot.
    notices: dict[int, Notice] = field(default_factory=dict)
    notices_sent_at: dict[int, datetime] = field(default_factory=dict)
    # What each player turned off (tests.fake_notices.FakeNoticeChoiceStore).
    notices_off: dict[int, frozenset[Topic]] = field(default_factory=dict)
    # The opt-in topics each player turned on (the big-wins feed).
    notices_on: dict[int, frozenset[Topic]] = field(default_factory=dict)
    unreachable: dict[int, tuple[datetime, str]] = field(default_factory=dict)
    # Promotions (tests.fake_promotions): budgets by code.
    budgets: dict[str, PromotionBudget] = field(default_factory=dict)
    # Raises of a budget's total by id (tests.fake_promotions).
    budget_raises: dict[uuid.UUID, BudgetRaise] = field(default_factory=dict)
    # Campaigns (tests.fake_campaigns) by code; redemptions by (campaign, player).
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    redemptions: dict[tuple[str, int], Redemption] = field(default_factory=dict)
    # Bonuses (tests.fake_bonuses) by id.
    bonuses: dict[uuid.UUID, Bonus] = field(default_factory=dict)
    # Free bets (tests.fake_free_bets) by id.
    free_bets: dict[uuid.UUID, FreeBet] = field(default_factory=dict)
    # VIP (tests.fake_vip): rakeback claims by id.
    rakeback_claims: dict[uuid.UUID, RakebackClaim] = field(default_factory=dict)
    # Referrals (tests.fake_referrals): settlements by (referrer, period start, currency).
    referral_commissions: dict[tuple[int, datetime, str], CommissionSettlement] = field(
        default_factory=dict
    )
    # Duels (tests.fake_duels) by id.
    duels: dict[uuid.UUID, Duel] = field(default_factory=dict)
    lobbies: dict[uuid.UUID, Lobby] = field(default_factory=dict)
    # The groups duels are played in (tests.fake_duels.FakeDuelGroups) by chat id.
    duel_groups: dict[int, DuelGroup] = field(default_factory=dict)
    # Crypto Pay invoices (tests.fake_crypto_pay) by our reference.
    crypto_invoices: dict[str, CryptoInvoice] = field(default_factory=dict)
    # The aggregators' game catalogue (tests.fake_aggregator_games) by (aggregator, code).
    aggregator_games: dict[tuple[str, str], AggregatorGame] = field(default_factory=dict)
    # What use cases raised, in order, as their units of work committed them.
    events: list[DomainEvent] = field(default_factory=list)

    def copy(self) -> _State:
        # Accounts hold balances and are copied deeply; every other value kept here is
        # immutable (journal entries, bets, seed pairs, ...) or replaced rather than changed,
        # so a shallow copy of each collection is a snapshot.
        def snapshot(name: str, value: object) -> object:
            if name == "accounts":
                return copy.deepcopy(value)
            if isinstance(value, dict | list | set):
                return type(value)(value)
            return value

        return _State(**{f.name: snapshot(f.name, getattr(self, f.name)) for f in fields(self)})

    def take_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class FakeDatabase:
    def __init__(self) -> None:
        self.state = _State()

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        # Work on a copy; commit swaps it in, anything else throws it away.
        self.state = self._db.state.copy()
        self.players = _Players(self.state)
        self.accounts = _Accounts(self.state)
        self.ledger = _Ledger(self.state)
        self.responsible = FakeResponsibleGambling(self.state)
        self.bets = FakeBets(self.state)
        self.seeds = FakeSeedPairs(self.state)
        self.games = FakeGameConfigs(self.state)
        self.placements = FakePlacements(self.state)
        self.mines = FakeMines(self.state)
        self.provider_transactions = FakeProviderTransactions(self.state)
        self.key_usage = FakeKeyUsage(self.state.key_usage)
        self.withdrawals = FakeWithdrawals(self.state)
        self.audit = FakeAuditLog(self.state)
        self.risk = FakeRiskFlags(self.state)
        self.preferences = FakePreferences(self.state)
        self.adjustments = FakeAdjustments(self.state)
        self.stars = FakeStars(self.state)
        self.staff = FakeStaff(self.state)
        self.crash = FakeCrashRounds(self.state)
        self.notices = FakeNoticeStore(self.state)
        self.notice_choices = FakeNoticeChoiceStore(self.state)
        self.budgets = FakePromotionBudgets(self.state)
        self.campaigns = FakeCampaigns(self.state)
        self.bonuses = FakeBonuses(self.state)
        self.vip = FakeVipBook(self.state)
        self.referrals = FakeReferrals(self.state)
        self.free_bets = FakeFreeBets(self.state)
        self.duels = FakeDuels(self.state)
        self.lobbies = FakeLobbies(self.state)
        self.duel_groups = FakeDuelGroups(self.state)
        self.crypto_invoices = FakeCryptoInvoices(self.state)
        self.kept_answers = FakeKeptAnswers(self.state)
        self.aggregator_games = FakeAggregatorGames(self.state)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        await self.placements.write_deferred()
        self._db.state = self.state
        self.committed = True

    async def rollback(self) -> None:
        self.state = self._db.state.copy()

    def raise_events(self, *events: DomainEvent) -> None:
        self.state.events.extend(events)


class _Players:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def register(self, telegram_user_id, *, username, language_code, now):
        for p in self.s.players.values():
            if p.telegram_user_id == telegram_user_id:
                return p, False
        player = Player(self.s.take_id(), telegram_user_id, now, username, language_code)
        self.s.players[player.id] = player
        return player, True

    async def get(self, player_id: int) -> Player:
        if player_id not in self.s.players:
            raise NotFound(f"no player with id {player_id}")
        return self.s.players[player_id]

    async def find_by_telegram_id(self, telegram_user_id: int) -> Player | None:
        return next(
            (p for p in self.s.players.values() if p.telegram_user_id == telegram_user_id), None
        )

    async def set_status(
        self, player_id: int, status: PlayerStatus, reason: str
    ) -> tuple[PlayerStatus, str | None]:
        # A new Player, not the shared one changed in place: a unit of work left without
        # commit must leave the committed state as it was.
        player = await self.get(player_id)
        before = (player.status, self.s.status_reasons.get(player_id))
        self.s.players[player_id] = replace(player, status=status)
        self.s.status_reasons[player_id] = reason
        return before

    async def add_note(self, player_id: int, *, author: str, body: str, now: datetime) -> int:
        await self.get(player_id)
        note_id = self.s.take_id()
        self.s.notes.append((note_id, player_id, author, body, now))
        return note_id

    async def set_kyc_status(self, player_id: int, status: KycStatus) -> KycStatus:
        await self.get(player_id)
        before = self.s.kyc.get(player_id, KycStatus.UNVERIFIED)
        self.s.kyc[player_id] = status
        return before

    async def standing(self, player_id: int) -> PlayerStanding:
        player = await self.get(player_id)
        preferences = self.s.preferences.get(player_id)
        accepted = preferences is not None and preferences.terms_accepted
        kyc = self.s.kyc.get(player_id, KycStatus.UNVERIFIED)
        return PlayerStanding(player.id, player.status, accepted, kyc=kyc)


class _Accounts:
    def __init__(self, state: _State) -> None:
        self.s = state

    def _find(self, kind: AccountKind, player_id: int, currency: Currency) -> Account | None:
        return next(
            (
                a
                for a in self.s.accounts.values()
                if a.kind is kind and a.player_id == player_id and a.currency == currency
            ),
            None,
        )

    def _open(self, kind: AccountKind, player_id: int, currency: Currency) -> Account:
        existing = self._find(kind, player_id, currency)
        if existing:
            return existing
        account = Account(self.s.take_id(), kind, currency, player_id=player_id)
        self.s.accounts[account.id] = account
        return account

    async def open_wallet(self, player_id: int, currency: Currency) -> Account:
        return self._open(AccountKind.PLAYER_WALLET, player_id, currency)

    async def open_bonus_account(self, player_id: int, currency: Currency) -> Account:
        return self._open(AccountKind.PLAYER_BONUS, player_id, currency)

    async def bonus_account(self, player_id: int, currency: Currency) -> Account | None:
        return self._find(AccountKind.PLAYER_BONUS, player_id, currency)

    async def wallet_ids(self, player_ids: Sequence[int], currency: Currency) -> dict[int, int]:
        return {
            a.player_id: a.id
            for a in self.s.accounts.values()
            if a.kind is AccountKind.PLAYER_WALLET
            and a.player_id in set(player_ids)
            and a.currency == currency
        }

    async def wallet(self, player_id: int, currency: Currency) -> Account | None:
        return self._find(AccountKind.PLAYER_WALLET, player_id, currency)

    async def wallets(self, player_id: int) -> Sequence[Account]:
        return sorted(
            (
                a
                for a in self.s.accounts.values()
                if a.kind is AccountKind.PLAYER_WALLET and a.player_id == player_id
            ),
            key=lambda a: a.currency.code,
        )

    async def get(self, account_id: int) -> Account:
        if account_id not in self.s.accounts:
            raise NotFound(f"no account with id {account_id}")
        return self.s.accounts[account_id]

    async def house_balance(self, kind: AccountKind, currency: Currency) -> int:
        return sum(
            a.balance for a in self.s.accounts.values() if a.kind is kind and a.currency == currency
        )

    async def house_account_id(self, kind: AccountKind, currency: Currency, shard: int) -> int:
        for a in self.s.accounts.values():
            if a.kind is kind and a.currency == currency and a.shard == shard:
                return a.id
        account = Account(self.s.take_id(), kind, currency, shard=shard)
        self.s.accounts[account.id] = account
        return account.id


class _Ledger:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def post_all(self, transactions) -> list[PostedTransaction]:
        return [await self.post(t) for t in transactions]

    async def post(self, transaction: Transaction) -> PostedTransaction:
        known = self.s.transactions.get(transaction.idempotency_key)
        if known is not None:
            fingerprint, posted = known
            if fingerprint != transaction.fingerprint():
                raise IdempotencyConflict(
                    "idempotency key was already used for a different operation"
                )
            return _replayed(posted)
        legs = []
        for leg in sorted(transaction.legs, key=lambda leg: leg.account_id):
            account = self.s.accounts.get(leg.account_id)
            if account is None or account.currency != leg.currency:
                raise NotFound(f"no {leg.currency.code} account with id {leg.account_id}")
            balance = account.apply(leg.amount.amount)
            legs.append(
                PostedLeg(leg.account_id, leg.amount, balance, account.kind, account.player_id)
            )
            self.s.legs.append(
                (
                    leg.account_id,
                    HistoryEntry(
                        self.s.take_id(),
                        transaction.id,
                        transaction.kind,
                        leg.amount,
                        balance,
                        transaction.created_at,
                        transaction.reference,
                        dict(transaction.metadata),
                    ),
                )
            )
        posted = PostedTransaction(
            transaction.id,
            transaction.kind,
            transaction.idempotency_key,
            tuple(legs),
            transaction.created_at,
            transaction.reference,
            transaction.metadata,
        )
        self.s.transactions[transaction.idempotency_key] = (transaction.fingerprint(), posted)
        return posted

    async def get(self, transaction_id: uuid.UUID) -> PostedTransaction:
        for _, posted in self.s.transactions.values():
            if posted.id == transaction_id:
                return posted
        raise NotFound(f"no transaction with id {transaction_id}")

    async def has_key(self, idempotency_key: str) -> bool:
        return idempotency_key in self.s.transactions

    async def history(self, account_ids, *, before_leg_id, limit):
        rows = [
            e
            for a, e in self.s.legs
            if a in set(account_ids) and (before_leg_id is None or e.leg_id < before_leg_id)
        ]
        return sorted(rows, key=lambda e: e.leg_id, reverse=True)[:limit]


def _replayed(posted: PostedTransaction) -> PostedTransaction:
    return PostedTransaction(
        posted.id,
        posted.kind,
        posted.idempotency_key,
        posted.legs,
        posted.created_at,
        posted.reference,
        posted.metadata,
        replayed=True,
    )


class FakeLimiter:
    """Counts hits per (action, player) with no clock: `max_count` hits fit, then it answers
    with `wait`; `down` makes it fail like an unreachable Redis."""

    def __init__(self, wait: timedelta = timedelta(milliseconds=1500)) -> None:
        self.counts: dict[tuple[VelocityAction, int], int] = {}
        self.wait = wait
        self.down = False
        self.calls = 0

    async def hit(self, limit: VelocityLimit, player_id: int) -> timedelta | None:
        self.calls += 1
        if self.down:
            raise VelocityStoreDown("connection refused")
        key = (limit.action, player_id)
        if self.counts.get(key, 0) >= limit.max_count:
            return self.wait
        self.counts[key] = self.counts.get(key, 0) + 1
        return None


# A context variable the bet tests set as callers, to see in which context a bet was counted.
caller: ContextVar[str | None] = ContextVar("caller", default=None)


class RecordingQueueWaits:
    """`BetQueueWaits` that keeps what it is told (waited seconds, the message lane or not), and
    a clock for the queue that the test moves by hand (`now`)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.told: list[tuple[float, bool]] = []

    def started(self, waited: float, *, message: bool) -> None:
        self.told.append((waited, message))

    def clock(self) -> float:
        return self.now


class RecordingBetMetrics:
    """`BetMetrics` that remembers every call, with the `caller` of the context it came in."""

    def __init__(self) -> None:
        self.placed_bets: list[tuple[uuid.UUID, str, str | None]] = []
        self.refusals: list[tuple[str, str, str, str | None]] = []
        self.settlements: list[tuple[uuid.UUID, str]] = []

    def placed(self, bet: Bet) -> None:
        self.placed_bets.append((bet.id, bet.state.value, caller.get()))

    def refused(self, game: str, currency: Currency, reason: str) -> None:
        self.refusals.append((game, currency.code, reason, caller.get()))

    def settled(self, bet: Bet) -> None:
        self.settlements.append((bet.id, bet.state.value))
