"""A bet in two round trips: the snapshot a placement decides on, read without locks in one
statement, and the write of what it decided, one call of `place_bets` (revision 0023) that is
its own transaction. See `application.ports.PlacementReads.snapshot` / `defer`.

Both statements go through the pooled connection's asyncpg connection, as prepared statements
(asyncpg's per-connection cache): on the betting path SQLAlchemy's compile and execution layer
cost more than the statements themselves. Driver errors are translated here as the engine's
`handle_error` hook translates them for SQLAlchemy statements (`adapters.postgres.engine`)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

import asyncpg
import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.event_wire.rows import appended_envelopes
from adapters.postgres.bets import bet_columns
from adapters.postgres.engine import connection_lost, out_of_resources
from adapters.postgres.errors import CONTENDED
from adapters.postgres.placement_timings import PlacementTimings
from adapters.seed_cipher import SeedCipher
from application.ports import (
    BatchPlacementContext,
    LockContended,
    PlacementWrite,
    RoundSeats,
    SnapshotStale,
)
from domain.accounts import AccountKind
from domain.errors import InvalidRequest, StorageUnavailable
from domain.events import DomainEvent
from domain.fairness import commitment
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from domain.ledger import Transaction
from domain.players import PlayerStatus
from domain.seeds import SeedPair
from domain.standing import PlayerStanding

# One row, one JSON document, plain reads only (see `PlacementReads.snapshot`); a seed pair id
# is reserved (nextval) for each player with no active pair. The statement is the function
# `placement_snapshot` (revision 0033; its JSON built as text, revision 0065), planned once
# per connection.
_SNAPSHOT = "SELECT placement_snapshot($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text)"
# The rows as arrays, one a column, in asyncpg's binary encoding (revision 0066): the players'
# standings, the seed pairs' nonces, the wallets' balances, the refused bet ids, and the
# postings as `ledger_post_many` takes them; the new seed pairs and the bets as JSON. The events
# go as envelopes, each apart, with the aggregates the outbox numbers (revision 0060;
# `adapters.event_wire.rows.Envelopes`).
_ARGS = (
    "$1::bigint[], $2::text[], $3::boolean[], $4::bigint[], $5::bigint[], $6::bigint[],"
    " $7::bigint[], $8::bigint[], $9::jsonb, $10::jsonb, $11::uuid[], $12::uuid[], $13::text[],"
    " $14::text[], $15::bytea[], $16::text[], $17::jsonb[], $18::timestamptz[], $19::boolean[],"
    " $20::integer[], $21::bigint[], $22::text[], $23::bigint[]"
)
_WRITE = f"SELECT place_bets({_ARGS}, $24::text[], $25::text[], $26::text[], $27::text, $28::text)"
# Crash bets (revision 0030): `place_bets` wrapped with the round's checks and the seats.
_ROUND_WRITE = (
    f"SELECT place_round_bets($29::jsonb, {_ARGS}, $24::text[], $25::text[], $26::text[],"
    " $27::text, $28::text)"
)
_STALE = "CR412"
_LOST = "the database connection was lost; repeat the request with the same idempotency key"
T = TypeVar("T")

# Game configurations built from the columns read, by those columns: building one checks the
# game's exact RTP (dice: ~0.3 s), so it is done once per configuration and process. A change
# of the columns is a new key, so nothing needs invalidating.
_configs: dict[str, tuple[tuple[bool, str, Mapping[str, list[int]]], GameConfig]] = {}
# Seed pairs built, by their sealed seed (unique: a fresh AES-GCM nonce each), with the rest
# of the row but the nonce: a pair's seed, hash, client seed and creation never change, and
# opening the seed then checking its hash is the dearest Python step of a read; a read takes
# the pair at its nonce (`SeedPair.at_nonce`). Bounded: cleared when full.
_opened: dict[tuple[int, str], tuple[tuple[int, str, str, str], SeedPair]] = {}
_OPENED_MAX = 100_000


class SnapshotPlacements:
    """The snapshot road of one unit of work (see the module)."""

    def __init__(
        self,
        conn: AsyncConnection,
        cipher: SeedCipher,
        *,
        lock_wait: float = 0.05,
        house_wait: float = 0.5,
        fairy: Any = None,
        timings: PlacementTimings | None = None,
    ) -> None:
        # How long the write waits for a player's row (a seed pair, a wallet, the player) and
        # for a house row before it gives up (`LockContended`) and the caller tries again.
        self._conn = conn
        self._cipher = cipher
        self._lock_wait = f"{round(lock_wait * 1000)}ms"
        self._house_wait = f"{round(house_wait * 1000)}ms"
        self.deferred: PlacementWrite | None = None
        self._driver_connection: Any = None
        # The pooled connection under `conn` when its unit of work read it already
        # (`adapters.postgres.uow`): then no hop is taken to ask SQLAlchemy for it.
        self._fairy: Any = fairy
        # Told the batch's read, decisions and write once the write is in; the read's start
        # and answer are kept for it (the last read, when a stale one was read again).
        self._timings = timings
        self._read: tuple[float, float] | None = None

    async def snapshot(
        self,
        bet_ids: Sequence[uuid.UUID],
        player_ids: Sequence[int],
        currencies: Sequence[str],
        games: Sequence[str],
    ) -> BatchPlacementContext:
        driver = await self._driver()
        started = time.perf_counter()
        text = await self._run(
            lambda: driver.fetchval(
                _SNAPSHOT,
                list(bet_ids),
                sorted(set(player_ids)),
                sorted(set(currencies)),
                sorted(set(games)),
                AccountKind.HOUSE_BANKROLL.value,
            )
        )
        self._read = (started, time.perf_counter())
        # An empty part is JSON null (revision 0065: no coalesce a part in the statement).
        read = msgspec.json.decode(text)
        pairs, reserved = read["pairs"]
        return BatchPlacementContext(
            existing=frozenset(uuid.UUID(b) for b in read["existing"] or ()),
            guarded=frozenset(read["guarded"] or ()),
            standings={
                p: PlayerStanding(p, PlayerStatus(status), terms)
                for p, status, terms in read["standings"] or ()
            },
            wallets={(p, c): (i, b) for p, c, i, b in read["wallets"] or ()},
            seeds={row[1]: self._pair(row) for row in pairs or ()},
            configs=dict(_config(*row) for row in read["games"] or () if row[0] in GAMES),
            bankrolls={c: int(total) for c, total in (read["bankrolls"] or {}).items()},
            reserved_pair_ids=dict(reserved or ()),
        )

    def defer(self, write: PlacementWrite) -> None:
        if self.deferred is not None:
            raise RuntimeError("a unit of work writes one deferred placement")
        self.deferred = write

    async def send(self, events: Sequence[DomainEvent]) -> None:
        """Write the deferred placement with these events (the unit of work's commit)."""
        write, self.deferred = self.deferred, None
        assert write is not None
        driver = await self._driver()
        args = _write_args(write, self._cipher)
        envelopes = appended_envelopes(events)
        outbox = (envelopes.texts, envelopes.aggregate_types, envelopes.aggregate_ids)
        waits = (self._house_wait, self._lock_wait)
        seating = write.round
        started = time.perf_counter()
        if seating is None:
            await self._run(lambda: driver.execute(_WRITE, *args, *outbox, *waits))
        else:
            round_json = _dumps(_round_arg(seating))
            await self._run(
                lambda: driver.execute(_ROUND_WRITE, *args, *outbox, *waits, round_json)
            )
        if self._timings is not None and self._read is not None:
            read_started, read_done = self._read
            self._timings.written(
                len(write.bets) + len(write.absent),  # placed, and refused on the snapshot
                read_done - read_started,
                started - read_done,
                time.perf_counter() - started,
            )

    async def _driver(self) -> Any:
        # Asked once a unit of work (the read and the write share it): each ask is a hop
        # through SQLAlchemy's greenlet bridge. A connection that failed is thrown away
        # (`_lost`) and the unit of work ends with the error, so the one kept is never stale.
        if self._driver_connection is None:
            if self._fairy is None or self._conn.invalidated:
                # An invalidated connection: SQLAlchemy's ask says what is wrong with it.
                self._fairy = await self._conn.get_raw_connection()
            self._driver_connection = self._fairy.driver_connection
        return self._driver_connection

    async def _run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run a statement through the driver, its errors translated as the engine's hook
        translates SQLAlchemy's; a connection that failed mid-statement is thrown away (and
        every pooled one older than now), as SQLAlchemy does on a disconnect."""
        try:
            return await call()
        except asyncpg.PostgresError as error:
            code = getattr(error, "sqlstate", None) or ""
            if code == _STALE:
                raise SnapshotStale(str(error)) from error
            if code in CONTENDED:
                raise LockContended(str(error)) from error
            if out_of_resources(code):
                raise StorageUnavailable(
                    "the database cannot take this right now; nothing was changed, repeat the"
                    " request with the same idempotency key"
                ) from error
            if connection_lost(code, error):
                await self._lost(error)
                raise StorageUnavailable(_LOST) from error
            if code.startswith("22"):
                raise InvalidRequest(f"the database refused a value: {error}") from error
            raise
        except (OSError, asyncpg.InterfaceError, asyncpg.InternalClientError) as error:
            await self._lost(error)
            raise StorageUnavailable(_LOST) from error
        except asyncio.CancelledError as error:
            # The driver may be left mid-statement: the connection cannot be used again.
            await self._lost(error)
            raise

    async def _lost(self, error: BaseException) -> None:
        pool = self._conn.sync_engine.pool
        pool._invalidate(self._fairy, error, _checkin=False)  # only marks the time
        with contextlib.suppress(Exception):  # already closed: nothing more to throw away
            await self._conn.invalidate(error)

    def _pair(self, row: Sequence[Any]) -> SeedPair:
        pair_id, player_id, sealed, seed_hash, client_seed, next_nonce, created_at = row
        # The player is part of the key: the seal binds it (a row copied onto another player
        # must not open), and this cache must not undo that. The rest of the row is compared:
        # a row whose hash or client seed differs from the one built is built (checked) again.
        rest = (pair_id, seed_hash, client_seed, created_at)
        cached = _opened.get((player_id, sealed))
        if cached is not None and cached[0] == rest:
            return cached[1].at_nonce(next_nonce)
        pair = SeedPair(
            id=pair_id,
            player_id=player_id,
            server_seed=self._cipher.open(base64.b64decode(sealed), player_id),
            server_seed_hash=seed_hash,
            client_seed=client_seed,
            next_nonce=next_nonce,
            created_at=datetime.fromisoformat(created_at),
        )
        if len(_opened) >= _OPENED_MAX:
            _opened.clear()
        _opened[(player_id, sealed)] = (rest, pair)
        return pair


def _config(
    code: str, enabled: bool, house_edge: str, limits: Mapping[str, list[int]]
) -> tuple[str, GameConfig]:
    # Compared, never hashed: the limits as decoded (a dict of lists) are the key as they are,
    # with no encoding a read to make one.
    key = (enabled, house_edge, limits)
    cached = _configs.get(code)
    if cached is not None and cached[0] == key:
        return code, cached[1]
    config = GameConfig(
        code=code,
        enabled=enabled,
        house_edge=Fraction(Decimal(house_edge)),
        limits={c: StakeLimits(*values) for c, values in limits.items()},
    )
    _configs[code] = (key, config)
    return code, config


# The write's JSON arguments, encoded by msgspec (uuids, datetimes and decimal strings as
# PostgreSQL reads them; anything else as its str(), as `json.dumps(default=str)` did): the
# standard library's encoder with a `default` hook was ~7% of the serving process's CPU under
# PlaceBatch load (py-spy, bench/README.md).
_args_encoder = msgspec.json.Encoder(enc_hook=str)


def _dumps(value: Any) -> str:
    return _args_encoder.encode(value).decode()


def _write_args(write: PlacementWrite, cipher: SeedCipher) -> list[Any]:
    """`place_bets`' arguments before the events' (see `_WRITE`): lists asyncpg encodes as
    arrays, and JSON text for the new pairs and the bets."""
    standings = sorted(write.standings.items())
    nonces = sorted(write.nonces.items())
    balances = sorted(write.balances.items())
    bets = [bet_columns(bet, dict(bet.params)) for bet in write.bets]
    return [
        [p for p, _ in standings],
        [s.status.value for _, s in standings],
        [s.terms_accepted for _, s in standings],
        [i for i, _ in nonces],
        [read for _, (read, _) in nonces],
        [taken for _, (_, taken) in nonces],
        [i for i, _ in balances],
        [b for _, b in balances],
        _dumps(
            [
                {
                    "id": pair.id,
                    "player_id": pair.player_id,
                    "sealed": base64.b64encode(
                        cipher.seal(pair.server_seed, pair.player_id)
                    ).decode(),
                    "hash": commitment(pair.server_seed),
                    "client_seed": pair.client_seed,
                    "next_nonce": pair.next_nonce,
                    "created_at": pair.created_at.isoformat(),
                }
                for pair in write.new_pairs
            ]
        ),
        _dumps(bets),
        list(write.absent),
        *_postings(write.transactions, set(write.balances)),
    ]


def _round_arg(seating: RoundSeats) -> dict[str, Any]:
    return {
        "id": seating.round_id,
        "seats": [
            {
                "bet_id": str(seat.bet_id),
                "player_id": seat.player_id,
                "currency": seat.currency,
                "target": seat.target,
                "exposure": seat.exposure,
            }
            for seat in seating.seats
        ],
        "limits": dict(seating.limits),
    }


def _postings(transactions: Sequence[Transaction], wallets: set[int]) -> list[list[Any]]:
    """The postings as `ledger_post_many`'s arrays (revision 0021), and whether each moves
    only house accounts (`wallets`: the players' accounts of the write)."""
    ids, kinds, keys, fingerprints, references, metadata, created = [], [], [], [], [], [], []
    house_only, leg_of, accounts, currencies, amounts = [], [], [], [], []
    dumps = _dumps
    for n, transaction in enumerate(transactions, 1):
        ids.append(transaction.id)
        kinds.append(transaction.kind.value)
        keys.append(transaction.idempotency_key)
        fingerprints.append(transaction.fingerprint())
        references.append(transaction.reference)
        metadata.append(dumps(dict(transaction.metadata)))
        created.append(transaction.created_at)
        only_house = True
        for leg in transaction.legs:
            leg_of.append(n)
            accounts.append(leg.account_id)
            currencies.append(leg.currency.code)
            amounts.append(leg.amount.amount)
            if leg.account_id in wallets:
                only_house = False
        house_only.append(only_house)
    return [
        ids,
        kinds,
        keys,
        fingerprints,
        references,
        metadata,
        created,
        house_only,
        leg_of,
        accounts,
        currencies,
        amounts,
    ]
