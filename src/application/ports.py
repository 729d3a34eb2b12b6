"""The ports the use cases own. Adapters implement them; nothing here knows about SQL, Redis or
Telegram."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from application.events import EventEnvelope
from domain.accounts import Account, AccountKind
from domain.adjustments import AdjustmentRequest, AdjustmentState
from domain.bets import Bet
from domain.games.catalog import GameConfig
from domain.ledger import MetadataValue, PostedTransaction, Transaction, TransactionKind
from domain.money import Currency, Money
from domain.onboarding import PlayerPreferences
from domain.payments import StarsInvoice, StarsPayment
from domain.players import KycStatus, Player, PlayerStatus
from domain.responsible import (
    Exclusion,
    LimitKind,
    LimitPeriod,
    PlayerLimit,
    RealityCheck,
    ResponsibleProfile,
    Usage,
)
from domain.risk import (
    BetCell,
    Funding,
    PaymentIdentityKind,
    RiskFlag,
    RiskFlagKind,
    RiskFlagStatus,
)
from domain.seamless import ProviderTransaction, SeamlessRound
from domain.seeds import SeedPair
from domain.staff import AuditEntry, Role, StaffKey, StaffMember
from domain.standing import PlayerStanding
from domain.velocity import VelocityLimit
from domain.withdrawals import PayoutResult, Withdrawal, WithdrawalState


class Clock(Protocol):
    """The current time, timezone-aware (UTC)."""

    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    """Fresh, globally unique identifiers for new records."""

    def new_id(self) -> uuid.UUID: ...


class PlayerRepository(Protocol):
    """Players by their internal id and by their Telegram user id."""

    async def register(
        self,
        telegram_user_id: int,
        *,
        username: str | None,
        language_code: str | None,
        now: datetime,
    ) -> tuple[Player, bool]:
        """Create the player if this Telegram user is new. Returns the player and whether it was
        created by this call; safe under concurrent calls for the same user."""
        ...

    async def get(self, player_id: int) -> Player:
        """The player, or `NotFound`."""
        ...

    async def find_by_telegram_id(self, telegram_user_id: int) -> Player | None: ...

    async def set_status(
        self, player_id: int, status: PlayerStatus, reason: str, *, at: datetime
    ) -> tuple[PlayerStatus, str | None]:
        """Give the player `status` with its `reason`, locking the row until the unit of work
        ends (concurrent changes of one player queue); returns the status and reason it had
        before. A change of status adds its event (`player.blocked`, `player.unblocked`,
        happening `at`) to the unit of work's outbox. `NotFound` for an unknown player."""
        ...

    async def add_note(self, player_id: int, *, author: str, body: str, now: datetime) -> int:
        """Attach a staff note to the player; returns the note's id."""
        ...

    async def standing(self, player_id: int) -> PlayerStanding:
        """The player's status, terms acceptance and KYC status in one read (no exclusion: the
        responsible-gambling guard adds it under its lock); `NotFound` for an unknown player."""
        ...

    async def set_kyc_status(self, player_id: int, status: KycStatus) -> KycStatus:
        """Give the player `status`, locking the row until the unit of work ends; returns the
        status it had before. `NotFound` for an unknown player."""
        ...


class AccountRepository(Protocol):
    """Wallets and house accounts. Opening is idempotent; balances are read, never written here:
    only the ledger moves money."""

    async def open_wallet(self, player_id: int, currency: Currency) -> Account:
        """The player's wallet in that currency, created empty if missing."""
        ...

    async def wallet(self, player_id: int, currency: Currency) -> Account | None: ...

    async def wallets(self, player_id: int) -> Sequence[Account]:
        """Every wallet of the player, ordered by currency code."""
        ...

    async def get(self, account_id: int) -> Account:
        """The account, or `NotFound`."""
        ...

    async def house_account_id(self, kind: AccountKind, currency: Currency, shard: int) -> int:
        """The id of one shard of a house account, created if missing."""
        ...

    async def house_balance(self, kind: AccountKind, currency: Currency) -> int:
        """The balance of a house account summed over all its shards."""
        ...

    async def lock(self, account_ids: Sequence[int]) -> None:
        """Lock these accounts' rows until the transaction ends, in the order given."""
        ...


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One movement on one of a player's wallets, as the player sees it."""

    leg_id: int
    transaction_id: uuid.UUID
    kind: TransactionKind
    amount: Money
    balance_after: int
    created_at: datetime
    reference: str
    metadata: dict[str, MetadataValue]


class Ledger(Protocol):
    """The journal. Posting is atomic: every leg and balance change, or none."""

    async def post(self, transaction: Transaction) -> PostedTransaction:
        """Record the transaction and apply its legs to the balances.

        - Raises `InsufficientFunds` when an account that may not go negative would.
        - If a transaction with the same idempotency key exists: returns it with
          `replayed=True` when its content is the same (nothing moves), raises
          `IdempotencyConflict` when it differs.
        """
        ...

    async def post_all(self, transactions: Sequence[Transaction]) -> list[PostedTransaction]:
        """Post several transactions in this order, each exactly as `post` would (a later one
        sees the balances an earlier one left), in one round trip. If one fails, the error is
        raised and the caller's unit of work must not commit what came before it."""
        ...

    async def get(self, transaction_id: uuid.UUID) -> PostedTransaction:
        """The transaction, or `NotFound`."""
        ...

    async def has_key(self, idempotency_key: str) -> bool:
        """Whether a transaction with this idempotency key is committed (or being written by
        this unit of work): a repeat of it would be a replay, not a new movement."""
        ...

    async def history(
        self,
        account_ids: Sequence[int],
        *,
        before_leg_id: int | None,
        limit: int,
    ) -> Sequence[HistoryEntry]:
        """Movements on these accounts, newest first, strictly older than `before_leg_id`."""
        ...


class BetRepository(Protocol):
    """Bets by id. Only `add` creates one and only `save` changes one, from placed to final."""

    async def add(self, bet: Bet) -> bool:
        """Insert the bet; False (and nothing written) when a bet with its id already exists,
        even one that a concurrent transaction is still writing: the call waits for it."""
        ...

    async def find(self, bet_id: uuid.UUID, *, for_update: bool = False) -> Bet | None:
        """The bet, or None. `for_update` locks it until the unit of work ends, which is how
        concurrent settlements of one bet are serialised."""
        ...

    async def add_many(self, bets: Sequence[Bet]) -> set[uuid.UUID]:
        """Insert the bets in one go; the ids inserted (an id that exists already is left
        alone, as `add` does)."""
        ...

    async def save(self, bet: Bet) -> None:
        """Persist a placed bet's transition to won, lost or voided."""
        ...

    async def recent(self, player_id: int, *, limit: int) -> Sequence[Bet]:
        """The player's latest bets, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class PlacementContext:
    """What placing a bet reads before it decides, read at once (see `PlacementReads`)."""

    existing: Bet | None  # a bet with this id, committed before the read began
    standing: PlayerStanding | None  # the player's status and terms; None: no such player
    wallet_id: int | None  # the player's wallet in the stake's currency, if any
    config: GameConfig
    bankroll: int  # the house bankroll in the stake's currency, all shards
    guard_locked: bool  # the player has a responsible-gambling profile, now locked


@dataclass(frozen=True, slots=True)
class BatchPlacementContext:
    """What placing a batch of bets reads before it decides (see `PlacementReads.open_many`)."""

    existing: frozenset[uuid.UUID]  # bet ids committed before the read began
    guarded: frozenset[int]  # players with a responsible-gambling record (not locked)
    standings: Mapping[int, PlayerStanding]  # of the players that exist, by player
    wallets: Mapping[tuple[int, str], tuple[int, int]]  # (player, currency) -> (id, balance)
    seeds: Mapping[int, SeedPair]  # each player's active seed pair, by player
    configs: Mapping[str, GameConfig]  # of the games asked for that exist
    bankrolls: Mapping[str, int]  # the house bankroll per currency code, all shards


class PlacementReads(Protocol):
    """The reads of a bet placement in one round trip: on the betting path round trips, not
    work, are what a bet costs."""

    async def open(
        self, bet_id: uuid.UUID, player_id: int, currency: Currency, game: str
    ) -> PlacementContext:
        """First take the player's responsible-gambling lock, as
        `ResponsibleGamblingRepository.lock` does (so the guard need not), then read the
        rest, the player's standing as `PlayerRepository.standing` reads it included.
        `GameUnavailable` when there is no such game."""
        ...

    async def open_many(
        self,
        bet_ids: Sequence[uuid.UUID],
        player_ids: Sequence[int],
        currencies: Sequence[str],
        games: Sequence[str],
    ) -> BatchPlacementContext:
        """For a batch: which bet ids exist, which players have a responsible-gambling
        record, and the players' standings (plain reads), then the players' active seed pairs
        and their wallets in these currencies, locked until the unit of work ends (pairs in
        player order, then wallets in id order), the configurations of these games and the
        bankrolls."""
        ...


class SeedPairRepository(Protocol):
    """Provably fair seed pairs. Server seeds are secret at rest (the adapter encrypts them)."""

    async def active(self, player_id: int) -> SeedPair | None: ...

    async def create(
        self, player_id: int, *, server_seed: str, client_seed: str, now: datetime
    ) -> SeedPair | None:
        """Commit a new active pair with nonce 0; None if the player already has one."""
        ...

    async def create_many(
        self, seeds: Mapping[int, tuple[str, str]], *, now: datetime
    ) -> dict[int, SeedPair]:
        """`create` for several players at once (player -> (server seed, client seed)); the
        pairs created, by player (one that already has a pair is left out)."""
        ...

    async def lock_active(self, player_ids: Sequence[int]) -> dict[int, SeedPair]:
        """The players' active pairs, locked until the unit of work ends, in player order."""
        ...

    async def advance(self, taken: Mapping[int, int]) -> None:
        """Move each locked pair's next nonce on by the nonces taken (pair id -> count)."""
        ...

    async def take_nonce(self, player_id: int) -> tuple[SeedPair, int] | None:
        """Atomically hand out the active pair's next nonce and advance it by one. Concurrent
        callers get distinct, consecutive nonces. None when the player has no active pair."""
        ...

    async def retire(self, player_id: int, *, now: datetime) -> SeedPair | None:
        """Reveal the active pair (it can no longer be bet on); None if there is none."""
        ...

    async def get(self, seed_pair_id: int) -> SeedPair:
        """The pair, or `NotFound`."""
        ...


class ProviderTransactionRepository(Protocol):
    """The seamless wallet's records: game providers' transactions, keyed by (provider,
    transaction id), and their rounds, keyed by (provider, round id). A record is inserted
    once; a debit changes once (to rolled back) and a round once (to closed)."""

    async def find(
        self, provider: str, transaction_id: str, *, for_update: bool = False
    ) -> ProviderTransaction | None:
        """The provider's transaction, or None. `for_update` locks it until the unit of work
        ends, so that concurrent rollbacks of one debit are serialised."""
        ...

    async def add(self, transaction: ProviderTransaction) -> bool:
        """Insert the transaction; False (and nothing written) when the provider already has
        one with that id, even one a concurrent unit of work is still writing: the call waits
        for it. Its round must exist (see `lock_round`)."""
        ...

    async def save(self, transaction: ProviderTransaction) -> None:
        """Persist a debit's one transition, from debited to rolled back; `IllegalTransition`
        if it is no longer debited."""
        ...

    async def lock_round(
        self,
        provider: str,
        round_id: str,
        *,
        player_id: int,
        currency: Currency,
        now: datetime,
    ) -> SeamlessRound:
        """The round, locked until the unit of work ends; created open, for this player and
        currency, if the provider never named it. Every debit, credit and rollback takes this
        lock before it touches a transaction, so calls on one round are serialised (and
        always in the same lock order: round, provider transaction, accounts)."""
        ...

    async def close_round(self, round_: SeamlessRound) -> None:
        """Persist a locked round's one transition, from open to closed by a credit;
        `IllegalTransition` if it is closed already."""
        ...


class GameConfigRepository(Protocol):
    """How each game is configured: on/off, house edge, limits per currency."""

    async def get(self, code: str) -> GameConfig:
        """The configuration, or `GameUnavailable`."""
        ...

    async def all(self) -> Sequence[GameConfig]: ...

    async def save(self, config: GameConfig, now: datetime) -> None:
        """Store the configuration (on/off, house edge, limits per currency)."""
        ...


class SeedSource(Protocol):
    """Fresh seeds from a cryptographically secure generator."""

    def server_seed(self) -> str:
        """32 random bytes as 64 lower-case hex characters."""
        ...

    def client_seed(self) -> str:
        """A default client seed for a player who has not chosen one."""
        ...


class AdjustmentRequestRepository(Protocol):
    """Adjustments waiting for (or decided by) a second finance user."""

    async def add(self, request: AdjustmentRequest) -> None: ...

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> AdjustmentRequest:
        """The request, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save(self, request: AdjustmentRequest) -> None:
        """Persist a decision on a pending request."""
        ...

    async def list(
        self, state: AdjustmentState | None, limit: int
    ) -> Sequence[AdjustmentRequest]: ...


class PreferencesRepository(Protocol):
    """Per-player settings kept beside the player record: language, the 18+/terms gate,
    referral codes."""

    async def get(self, player_id: int) -> PlayerPreferences | None: ...

    async def create(
        self, player_id: int, *, language: str, referral_code: str, referred_by: int | None
    ) -> PlayerPreferences:
        """Create them unless they exist (then return the existing ones)."""
        ...

    async def player_by_referral(self, code: str) -> int | None: ...

    async def accept_terms(self, player_id: int, now: datetime) -> tuple[datetime, bool]:
        """Record the terms as accepted at `now` unless they already were; returns the first
        acceptance time and whether this call recorded it. A concurrent first acceptance waits
        for this one's unit of work and then finds it. The preferences must exist (`NotFound`
        otherwise)."""
        ...

    async def set_language(self, player_id: int, language: str) -> None: ...


class StarsPaymentRepository(Protocol):
    """Telegram Stars invoices we offered and charges Telegram reported. The ledger holds the
    money; these rows hold what Telegram said, so a refund can name the charge."""

    async def add_invoice(self, invoice: StarsInvoice) -> None: ...

    async def invoice(self, payload: str) -> StarsInvoice | None: ...

    async def add_payment(self, payment: StarsPayment) -> bool:
        """Record a charge; False (and nothing written) when that charge id is already known."""
        ...

    async def payment(self, charge_id: str, *, for_update: bool = False) -> StarsPayment:
        """The payment, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save_payment(self, payment: StarsPayment) -> None:
        """Persist a refund step of a known payment."""
        ...

    async def list_payments(self, player_id: int | None, limit: int) -> Sequence[StarsPayment]: ...


class StarsRefunds(Protocol):
    """Telegram's `refundStarPayment`, which returns a charge to the payer in full."""

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        """Return when Telegram has refunded the charge (or reports it refunded already).
        Raise `RefundRefused` when Telegram definitely will not refund it; any other exception
        means the outcome is unknown and the refund may be retried."""
        ...


class ResponsibleGamblingRepository(Protocol):
    """A player's responsible-gambling settings (limits, exclusion, reality check) and the
    usage read model the limits are checked against. The use cases and the guard live in
    `application.responsible`; this port is declared here, beside the others, because that
    module imports `UnitOfWork` from this one (declaring it there would be an import cycle).

    Every change, and every guarded bet or deposit of a player who has settings, first takes
    the player's lock (`enroll` / `lock`), so they are serialised per player."""

    async def lock(self, player_id: int) -> bool:
        """Lock the player's responsible-gambling record until the unit of work ends (SELECT
        ... FOR UPDATE). False, with nothing locked and in one small query, when the player
        never set anything: no limit, exclusion or reality check can exist then."""
        ...

    async def enroll(self, player_id: int, now: datetime) -> None:
        """Create the player's record if missing, and lock it like `lock`. `NotFound` for an
        unknown player."""
        ...

    async def profile(self, player_id: int) -> ResponsibleProfile:
        """Everything the player set (an empty profile if nothing)."""
        ...

    async def has_deposit_limit(self, player_id: int) -> bool: ...

    async def save_limit(self, limit: PlayerLimit) -> None:
        """Insert or replace the limit of its (player, kind, period, currency)."""
        ...

    async def delete_limit(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> None: ...

    async def save_exclusion(self, exclusion: Exclusion) -> None:
        """Insert or replace the player's exclusion. The database refuses one that ends
        earlier than the stored one (`IllegalTransition`), and never deletes one."""
        ...

    async def save_reality_check(self, check: RealityCheck) -> None: ...

    async def delete_reality_check(self, player_id: int) -> None: ...

    async def usage(
        self,
        player_id: int,
        currency: Currency,
        since: datetime,
        kinds: frozenset[LimitKind] = frozenset(LimitKind),
    ) -> Usage:
        """What the player did in `currency` from `since` (inclusive) on: stakes wagered
        (bets not voided, seamless debits not rolled back), net loss (those stakes minus
        payouts and seamless credits; an open bet counts as lost) and deposits (deposit legs
        on the wallet). Only the parts for `kinds` are computed; the others are 0."""
        ...

    async def last_played_at(self, player_id: int) -> datetime | None:
        """When the player last placed a bet or a seamless debit, in any currency."""
        ...


class StaffRepository(Protocol):
    """Staff accounts. Password hashes and TOTP secrets never leave the adapter except to the
    use case that checks them."""

    async def add(
        self, username: str, password_hash: str, role: Role, now: datetime
    ) -> StaffMember:
        """Create the account; `InvalidRequest` when the username is taken."""
        ...

    async def credentials(self, username: str) -> tuple[StaffMember, str, str | None] | None:
        """The member, their password hash and TOTP secret (None when off), by username."""
        ...

    async def get(self, staff_id: int) -> StaffMember:
        """The member, or `NotFound`."""
        ...

    async def set_password_hash(self, staff_id: int, password_hash: str) -> None: ...

    async def set_totp_secret(self, staff_id: int, secret: str) -> None: ...

    async def add_key(self, key: StaffKey) -> None: ...

    async def key(self, key_id: str) -> tuple[StaffKey, StaffMember] | None: ...

    async def revoke_key(self, key_id: str, now: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class RiskFlagQuery:
    status: RiskFlagStatus | None = None
    player_id: int | None = None
    kind: RiskFlagKind | None = None
    before_id: int | None = None
    limit: int = 50


class RiskRepository(Protocol):
    """Risk flags for staff review, the hashed payment identities players used, and the
    figures the risk rules are computed from (read from bets and the ledger)."""

    async def add_flag(self, flag: RiskFlag) -> RiskFlag | None:
        """Insert an open flag; returns it with its id, or None (nothing written) when the
        player already has an open flag of that kind, one a concurrent unit of work is still
        writing included (the call waits for it)."""
        ...

    async def get(self, flag_id: int, *, for_update: bool = False) -> RiskFlag:
        """The flag, or `NotFound`; `for_update` locks it until the unit of work ends."""
        ...

    async def save(self, flag: RiskFlag) -> None:
        """Persist the review of an open flag; `IllegalTransition` if it is no longer open."""
        ...

    async def list(self, query: RiskFlagQuery) -> Sequence[RiskFlag]:
        """Flags matching the query, newest first, strictly older than `before_id`."""
        ...

    async def has_open(self, player_id: int) -> bool: ...

    async def add_identity(
        self, kind: PaymentIdentityKind, identity: str, player_id: int, now: datetime
    ) -> tuple[str, Sequence[int]]:
        """Record that the player used the (normalized) identity, once per player, as a
        keyed digest — never the identity itself — and return that digest and every player
        who has used it, ascending. Recordings of one identity are serialised until the unit
        of work ends, so two accounts recording it at once see each other."""
        ...

    async def bet_cells(
        self, since: datetime, until: datetime, player_id: int | None = None
    ) -> Sequence[BetCell]:
        """Bets won or lost with settlement time in [since, until), grouped by player,
        currency, game, selection, house edge and stake; of one player or of everyone."""
        ...

    async def funding(self, player_id: int, currency: Currency, since: datetime) -> Funding:
        """Deposits to the player's wallet in `currency` from `since` on, and the stakes
        wagered from the first of them on (bets not voided, seamless debits not rolled
        back)."""
        ...


class AuditLog(Protocol):
    """The append-only record of staff actions and significant events."""

    async def record(self, entry: AuditEntry) -> None: ...

    async def search(self, query: AuditQuery) -> Sequence[AuditEntry]:
        """Entries matching the query, newest first."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


class PasswordHasher(Protocol):
    """A slow, salted password hash (Argon2)."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""
        ...


class TokenCodec(Protocol):
    """Short-lived signed bearer tokens for staff sessions."""

    def issue(self, member: StaffMember, now: datetime) -> tuple[str, datetime]:
        """The token and when it expires."""
        ...

    def read(self, token: str, now: datetime) -> tuple[int, int] | None:
        """(staff id, token version) of a valid, unexpired token; None otherwise."""
        ...


class PlayerSessions(Protocol):
    """Short-lived signed bearer tokens for a player's Mini App session."""

    def issue(self, player_id: int, now: datetime) -> tuple[str, datetime]:
        """The token and when it expires."""
        ...

    def read(self, token: str, now: datetime) -> int | None:
        """The player id of a valid, unexpired token; None otherwise."""
        ...


class LoginThrottle(Protocol):
    """Counts failed logins per account and per address (in Redis: losing it loses only the
    counters)."""

    async def blocked(self, account: str, address: str) -> bool: ...

    async def failed(self, account: str, address: str) -> None: ...

    async def succeeded(self, account: str) -> None: ...


class BetMetrics(Protocol):
    """Counts bets as their outcomes become known, for monitoring (Prometheus in production).

    The use cases call it once per bet and outcome, after their unit of work committed, and
    never for a replay. It sits on the path of every bet: an implementation must be quick and
    must neither block nor raise."""

    def placed(self, bet: Bet) -> None:
        """A new bet was placed: already won or lost (provably fair), or waiting for its
        dice (`placed`)."""
        ...

    def refused(self, game: str, currency: Currency, reason: str) -> None:
        """A bet was refused and nothing moved; `reason` is the domain error's code. `game`
        is what the caller asked for, which may name no game."""
        ...

    def settled(self, bet: Bet) -> None:
        """A bet placed earlier was settled (won, lost) or voided."""
        ...


class VelocityStoreDown(Exception):
    """The velocity counters could not be reached or did not answer in time."""


class VelocityLimiter(Protocol):
    """Per-player sliding-window counters of bets and deposits, kept in Redis: losing them loses
    only the counts, never money. `application.velocity` decides what a missing answer means
    for each limit (fail open or closed); the limiter only counts."""

    async def hit(self, limit: VelocityLimit, player_id: int) -> timedelta | None:
        """Count one `limit.action` of the player, atomically, unless it would make more than
        `limit.max_count` in the window of `limit.window` ending now. None: counted, it fits.
        Otherwise nothing is counted and the answer is how long until one more would fit.
        Raises `VelocityStoreDown` when the counters cannot answer."""
        ...


class LiveSink(Protocol):
    """Where a `LiveFeed` hands what it receives (`application.live.LiveHub`)."""

    def deliver(self, topic: str, message: str) -> None:
        """One message (a JSON object, as published) for `topic` ("player:42", "staff")."""
        ...

    def subscribed(self) -> None:
        """The feed receives from now on (first time, or again after `interrupted`)."""
        ...

    def interrupted(self) -> None:
        """The feed lost its broker: messages published until `subscribed` are missed."""
        ...


class LiveFeed(Protocol):
    """Messages for live clients (players' sockets, the staff feed), published by any process
    and received by every app instance: Redis pub/sub. At most once; events are durable in the
    outbox and the streams, never here."""

    async def listen(self, sink: LiveSink) -> None:
        """Receive into `sink` until cancelled, reconnecting when the broker goes away."""
        ...


class OneTimeCodes(Protocol):
    """TOTP second factor."""

    def new_secret(self) -> str: ...

    def verify(self, secret: str, code: str, now: datetime) -> bool: ...

    def provisioning_uri(self, secret: str, username: str) -> str: ...


class WithdrawalRepository(Protocol):
    """Withdrawal requests. Only `add` creates one and only `save` moves one along its state
    machine; the database refuses any other move, and never deletes a row."""

    async def lock_player(self, player_id: int) -> None:
        """Lock the player until the unit of work ends, so that one player's requests are
        checked and recorded one at a time (the daily limit cannot be passed by two at once).
        `NotFound` for an unknown player."""
        ...

    async def find_by_request(self, player_id: int, request_id: uuid.UUID) -> Withdrawal | None:
        """The player's withdrawal made under that client request id, or None."""
        ...

    async def add(self, withdrawal: Withdrawal) -> None: ...

    async def get(self, withdrawal_id: uuid.UUID, *, for_update: bool = False) -> Withdrawal:
        """The withdrawal, or `NotFound`; `for_update` locks it until the unit of work ends,
        which is how concurrent decisions on one withdrawal are serialised."""
        ...

    async def save(self, withdrawal: Withdrawal, previous: WithdrawalState) -> None:
        """Persist a transition from `previous`; `IllegalTransition` if the stored withdrawal is
        no longer in that state."""
        ...

    async def requested_since(self, player_id: int, currency: Currency, since: datetime) -> int:
        """The total the player asked to withdraw in `currency` from `since` (inclusive) on,
        less what was rejected or failed (that money came back)."""
        ...

    async def list(
        self,
        state: WithdrawalState | None,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[Withdrawal]:
        """Withdrawals oldest first (the order staff work the queue in), strictly after the
        (requested_at, id) position `after`."""
        ...


class PayoutGateway(Protocol):
    """Sends an approved withdrawal's money to its destination: a payment provider's API, or
    staff paying by hand. Called after the approval has committed, never inside a database
    transaction; the withdrawal's id is the idempotency key to hand the provider, since a
    send can be repeated after a crash."""

    async def send(self, withdrawal: Withdrawal) -> PayoutResult:
        """`PayoutSent` when the payout was taken (completed, or still on its way);
        `PayoutDeclined` when it certainly was not and will not be made. Any exception means
        the outcome is unknown: the withdrawal stays approved for staff to settle."""
        ...


class WithdrawalHolds(Protocol):
    """Why a player's withdrawal must wait for review (open risk flags). Asked in the unit of
    work that records a request the rules allowed, so a check that raises flags of its own (a
    rapid deposit-to-withdrawal, a shared destination) commits or rolls back with it."""

    async def open_holds(
        self, uow: UnitOfWork, player_id: int, amount: Money, destination: str, now: datetime
    ) -> Sequence[str]:
        """The reasons that hold this request, empty when none does."""
        ...


class LockContended(Exception):
    """A savepoint's block waited for a lock longer than `UnitOfWork.limit_lock_waits` allows
    (or was chosen as a deadlock's victim); the block was undone, the transaction goes on."""


class UnitOfWork(Protocol):
    """One database transaction. Leaving the block without `commit()` rolls everything back."""

    @property
    def players(self) -> PlayerRepository: ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def bets(self) -> BetRepository: ...

    @property
    def placements(self) -> PlacementReads: ...

    @property
    def seeds(self) -> SeedPairRepository: ...

    @property
    def games(self) -> GameConfigRepository: ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def adjustments(self) -> AdjustmentRequestRepository: ...

    @property
    def preferences(self) -> PreferencesRepository: ...

    @property
    def provider_transactions(self) -> ProviderTransactionRepository: ...

    @property
    def responsible(self) -> ResponsibleGamblingRepository: ...

    @property
    def stars(self) -> StarsPaymentRepository: ...

    @property
    def withdrawals(self) -> WithdrawalRepository: ...

    @property
    def risk(self) -> RiskRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def limit_lock_waits(self, seconds: float | None) -> None:
        """From now until the transaction ends (or the next call), a statement that waits
        longer than this for a lock fails; inside a `savepoint()` as `LockContended`. None
        waits as long as it takes."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A block that is undone on its own when it raises (a SAVEPOINT): its writes, its
        pending events and the row locks it took go; the rest of the transaction stays."""
        ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work; use cases that need several transactions ask for one each."""

    def __call__(self) -> UnitOfWork: ...


class CurrencyCatalog(Protocol):
    """Where the accepted currencies are kept (data, not code)."""

    async def all(self) -> Sequence[Currency]: ...

    async def add(self, currency: Currency) -> bool:
        """Add a currency; False if that code already exists with the same exponent.
        A different exponent for an existing code is an `InvalidRequest`."""
        ...


# -- reconciliation ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One broken invariant of the books: which check, and the offending row or bet."""

    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.detail}"


class BooksAudit(Protocol):
    """Read-only full scans of the books, for reconciliation (never on the request path)."""

    async def ledger_problems(self) -> list[Discrepancy]:
        """Every broken ledger invariant (zero sums per currency and transaction, balances
        equal to their legs, running balances, no forbidden negative, bets, withdrawals and
        seamless rounds paid as they record), read in one consistent snapshot."""
        ...

    async def missing_events(self, limit: int) -> list[str]:
        """What the outbox owes: changes without their event, sequence gaps (up to `limit`)."""
        ...

    async def settled_bets(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[Bet, str | None]]:
        """Won and lost bets in id order after `after`, each with its seed pair's server seed
        (None for a bet settled by a Telegram dice, or when the seed does not open with the
        configured key)."""
        ...


# -- events: the outbox relay ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An unpublished outbox row: its place in the global order and the event."""

    position: int
    envelope: EventEnvelope


class RelaySession(Protocol):
    """The outbox as the one running relay sees it (it holds the relay lock)."""

    async def pending(self, limit: int) -> Sequence[PendingEvent]:
        """Up to `limit` unpublished events, oldest first (global order)."""
        ...

    async def mark_published(self, positions: Sequence[int]) -> None: ...


class OutboxFeed(Protocol):
    """Where the relay reads from. `claim()` yields a session when no other relay runs (None
    when one does: wait and claim again) and keeps the others out until the block ends, or
    the connection behind it dies, which ends the session too."""

    def claim(self) -> AbstractAsyncContextManager[RelaySession | None]: ...


class EventPublisher(Protocol):
    """Where the relay publishes to (the Redis stream and live channels)."""

    async def publish(self, events: Sequence[EventEnvelope]) -> None:
        """Publish every event, in order. Raising means some may not have been published:
        the relay publishes them all again (consumers dedupe by event id)."""
        ...
