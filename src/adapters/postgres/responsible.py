"""Responsible gambling in PostgreSQL: a per-player record (the lock), limits, the exclusion,
the reality check, and the usage read model over bets, seamless debits and deposits.

The limit, exclusion and reality-check rows reference the player's `responsible_profiles`
row, so a player without one has no settings at all: the guard's first query (the lock) then
finds nothing and is the only one it makes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.postgres.errors import server_message, sqlstate
from domain.errors import IllegalTransition, NotFound
from domain.money import Currency, CurrencyRegistry, Money
from domain.responsible import (
    Exclusion,
    ExclusionKind,
    LimitKind,
    LimitPeriod,
    PendingChange,
    PlayerLimit,
    RealityCheck,
    ResponsibleProfile,
    Usage,
)

_LOCK = text("SELECT player_id FROM responsible_profiles WHERE player_id = :p FOR UPDATE")
_ENROLL = text(
    "INSERT INTO responsible_profiles (player_id, created_at) VALUES (:p, :now)"
    " ON CONFLICT (player_id) DO NOTHING"
)

# One query for the whole profile: the exclusion and the reality check joined to the
# player's record, the limits aggregated beside them.
_PROFILE = text(
    """
    SELECT e.kind AS e_kind, e.started_at AS e_started_at, e.until AS e_until,
           r.interval_minutes, r.session_started_at, r.acknowledged_at,
           (SELECT coalesce(json_agg(json_build_object(
                        'kind', l.kind, 'period', l.period, 'currency', l.currency,
                        'amount', l.amount, 'set_at', l.set_at,
                        'pending_amount', l.pending_amount,
                        'pending_requested_at', l.pending_requested_at)
                    ORDER BY l.currency, l.kind, l.period), '[]'::json)
            FROM responsible_limits l WHERE l.player_id = p.player_id) AS limits
    FROM responsible_profiles p
    LEFT JOIN responsible_exclusions e ON e.player_id = p.player_id
    LEFT JOIN responsible_reality_checks r ON r.player_id = p.player_id
    WHERE p.player_id = :p
    """
)
_HAS_DEPOSIT_LIMIT = text(
    "SELECT EXISTS (SELECT 1 FROM responsible_limits WHERE player_id = :p AND kind = 'deposit')"
)
_DEPOSIT_PROMPT_DUE = text(
    "SELECT NOT EXISTS (SELECT 1 FROM responsible_limits WHERE player_id = :p"
    " AND kind = 'deposit') AND NOT EXISTS (SELECT 1 FROM responsible_profiles"
    " WHERE player_id = :p AND deposit_limit_prompt_answered_at IS NOT NULL)"
)
_ANSWER_DEPOSIT_PROMPT = text(
    "UPDATE responsible_profiles SET deposit_limit_prompt_answered_at = :now"
    " WHERE player_id = :p AND deposit_limit_prompt_answered_at IS NULL"
)
_SAVE_LIMIT = text(
    """
    INSERT INTO responsible_limits (player_id, kind, period, currency, amount, set_at,
        pending_amount, pending_requested_at)
    VALUES (:p, :kind, :period, :currency, :amount, :set_at, :pending_amount,
        :pending_requested_at)
    ON CONFLICT (player_id, kind, period, currency) DO UPDATE SET
        amount = EXCLUDED.amount, set_at = EXCLUDED.set_at,
        pending_amount = EXCLUDED.pending_amount,
        pending_requested_at = EXCLUDED.pending_requested_at
    """
)
_DELETE_LIMIT = text(
    "DELETE FROM responsible_limits"
    " WHERE player_id = :p AND kind = :kind AND period = :period AND currency = :currency"
)
_SAVE_EXCLUSION = text(
    """
    INSERT INTO responsible_exclusions (player_id, kind, started_at, until)
    VALUES (:p, :kind, :started_at, :until)
    ON CONFLICT (player_id) DO UPDATE SET
        kind = EXCLUDED.kind, started_at = EXCLUDED.started_at, until = EXCLUDED.until
    """
)
_SAVE_REALITY_CHECK = text(
    """
    INSERT INTO responsible_reality_checks (player_id, interval_minutes, session_started_at,
        acknowledged_at)
    VALUES (:p, :minutes, :session_started_at, :acknowledged_at)
    ON CONFLICT (player_id) DO UPDATE SET
        interval_minutes = EXCLUDED.interval_minutes,
        session_started_at = EXCLUDED.session_started_at,
        acknowledged_at = EXCLUDED.acknowledged_at
    """
)
_DELETE_REALITY_CHECK = text("DELETE FROM responsible_reality_checks WHERE player_id = :p")

# Stakes and payouts of the player's bets placed in the window (a voided bet gave its stake
# back; an open bet has no payout yet, so it counts as lost), and seamless debits (not rolled
# back) and credits made in it. Each uses an index on (player_id, time).
_BETTING = text(
    """
    SELECT
        (SELECT coalesce(sum(b.stake), 0) FROM bets b
         WHERE b.player_id = :p AND b.currency = :currency AND b.placed_at >= :since
           AND b.state <> 'voided') AS stakes,
        (SELECT coalesce(sum(b.payout), 0) FROM bets b
         WHERE b.player_id = :p AND b.currency = :currency AND b.placed_at >= :since
           AND b.state IN ('won', 'lost')) AS payouts,
        (SELECT coalesce(sum(t.amount), 0) FROM provider_transactions t
         WHERE t.player_id = :p AND t.currency = :currency AND t.created_at >= :since
           AND t.kind = 'debit' AND t.state = 'debited') AS debits,
        (SELECT coalesce(sum(t.amount), 0) FROM provider_transactions t
         WHERE t.player_id = :p AND t.currency = :currency AND t.created_at >= :since
           AND t.kind = 'credit') AS credits,
        -- A duel's stake is a bet (docs/duels.md): the challenger's from the challenge, the
        -- challenged player's from the accept, none once refunded; the winner's prize is
        -- the pot less the cut, rounded up as domain.duels.house_cut rounds it. One pass over
        -- the player's duels, found through the two indexes (player, time): a winner is one
        -- of the two, so each duel is met once. Written as an OR over both columns and a
        -- separate `winner_id` sum (no index), every guarded bet scanned the whole table,
        -- also for a player who never duelled (bench/README.md, "A bet that writes less").
        d.duel_stakes, d.duel_prizes,
        -- A lobby's seat is a bet from the join (revision 0046), none once left or the lobby
        -- refunded or expired; the winner's prize is kept on the lobby when it settles.
        (SELECT coalesce(sum(l.stake), 0) FROM duel_lobby_seats s
         JOIN duel_lobbies l ON l.id = s.lobby_id
         WHERE s.player_id = :p AND s.joined_at >= :since AND s.left_at IS NULL
           AND l.currency = :currency AND l.state NOT IN ('refunded', 'expired'))
            AS lobby_stakes,
        (SELECT coalesce(sum(l.prize), 0) FROM duel_lobbies l
         WHERE l.winner_id = :p AND l.currency = :currency AND l.created_at >= :since)
            AS lobby_prizes
    FROM (
        SELECT coalesce(sum(x.stake) FILTER (WHERE x.staked), 0) AS duel_stakes,
               coalesce(sum(2 * x.stake - (2 * x.stake * x.cut_bps + 9999) / 10000)
                        FILTER (WHERE x.winner_id = :p), 0) AS duel_prizes
        FROM (SELECT stake, cut_bps, winner_id,
                     state NOT IN ('declined', 'expired', 'refunded') AS staked
              FROM duels
              WHERE challenger_id = :p AND created_at >= :since AND currency = :currency
              UNION ALL
              SELECT stake, cut_bps, winner_id,
                     state IN ('accepted', 'rolling', 'settled') AS staked
              FROM duels
              WHERE challenged_id = :p AND created_at >= :since AND currency = :currency) x
    ) d
    """
)
# Deposits: the deposit legs on the player's wallet in that currency.
_DEPOSITS = text(
    """
    SELECT coalesce(sum(l.amount), 0)
    FROM accounts a
    JOIN ledger_legs l ON l.account_id = a.id
    JOIN ledger_transactions t ON t.id = l.transaction_id
    WHERE a.player_id = :p AND a.currency = :currency AND a.kind = 'player_wallet'
      AND t.kind = 'deposit' AND t.created_at >= :since
    """
)
# When the player last staked: a bet, a seamless debit, or a duel's stake (docs/duels.md: a
# duel's stake is a bet), the challenger's at the challenge and the challenged player's at the
# accept, when its stake posting was written (the duel keeps no accept time of its own).
_LAST_PLAYED = text(
    """
    SELECT greatest(
        (SELECT max(placed_at) FROM bets WHERE player_id = :p),
        (SELECT max(created_at) FROM provider_transactions
         WHERE player_id = :p AND kind = 'debit'),
        (SELECT max(d.created_at) FROM duels d WHERE d.challenger_id = :p),
        (SELECT max(t.created_at) FROM duels d
         JOIN ledger_transactions t
           ON t.idempotency_key = 'duel:' || CAST(d.id AS text) || ':stake:challenged'
         WHERE d.challenged_id = :p
           AND d.state IN ('accepted', 'rolling', 'settled', 'refunded')),
        -- A lobby's seat is staked when it is taken (revision 0046).
        (SELECT max(s.joined_at) FROM duel_lobby_seats s WHERE s.player_id = :p))
    """
)


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class SqlResponsibleGambling:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def lock(self, player_id: int) -> bool:
        return (await self._conn.execute(_LOCK, {"p": player_id})).first() is not None

    async def enroll(self, player_id: int, now: datetime) -> None:
        try:
            await self._conn.execute(_ENROLL, {"p": player_id, "now": now})
        except DBAPIError as error:
            raise _translate(error, player_id) from None
        await self.lock(player_id)

    async def profile(self, player_id: int) -> ResponsibleProfile:
        row = (await self._conn.execute(_PROFILE, {"p": player_id})).first()
        if row is None:
            return ResponsibleProfile(player_id)
        exclusion = None
        if row.e_kind is not None:
            exclusion = Exclusion(
                player_id, ExclusionKind(row.e_kind), row.e_started_at, row.e_until
            )
        check = None
        if row.interval_minutes is not None:
            check = RealityCheck(
                player_id,
                timedelta(minutes=row.interval_minutes),
                row.session_started_at,
                row.acknowledged_at,
            )
        raw = row.limits if isinstance(row.limits, list) else json.loads(row.limits)
        limits = tuple(self._limit(player_id, item) for item in raw)
        return ResponsibleProfile(player_id, limits, exclusion, check)

    def _limit(self, player_id: int, item: dict[str, Any]) -> PlayerLimit:
        requested_at = _moment(item["pending_requested_at"])
        pending = None
        if requested_at is not None:
            pending = PendingChange(item["pending_amount"], requested_at)
        set_at = _moment(item["set_at"])
        assert set_at is not None
        return PlayerLimit(
            player_id,
            LimitKind(item["kind"]),
            LimitPeriod(item["period"]),
            Money(int(item["amount"]), self._currencies.get(item["currency"])),
            set_at,
            pending,
        )

    async def has_deposit_limit(self, player_id: int) -> bool:
        return bool((await self._conn.execute(_HAS_DEPOSIT_LIMIT, {"p": player_id})).scalar())

    async def deposit_prompt_due(self, player_id: int) -> bool:
        return bool((await self._conn.execute(_DEPOSIT_PROMPT_DUE, {"p": player_id})).scalar())

    async def answer_deposit_prompt(self, player_id: int, now: datetime) -> None:
        await self._conn.execute(_ANSWER_DEPOSIT_PROMPT, {"p": player_id, "now": now})

    async def save_limit(self, limit: PlayerLimit) -> None:
        pending = limit.pending
        await self._conn.execute(
            _SAVE_LIMIT,
            {
                "p": limit.player_id,
                "kind": limit.kind.value,
                "period": limit.period.value,
                "currency": limit.currency.code,
                "amount": limit.amount.amount,
                "set_at": limit.set_at,
                "pending_amount": None if pending is None else pending.amount,
                "pending_requested_at": None if pending is None else pending.requested_at,
            },
        )

    async def delete_limit(
        self, player_id: int, kind: LimitKind, period: LimitPeriod, currency: Currency
    ) -> None:
        await self._conn.execute(
            _DELETE_LIMIT,
            {"p": player_id, "kind": kind.value, "period": period.value, "currency": currency.code},
        )

    async def save_exclusion(self, exclusion: Exclusion) -> None:
        try:
            await self._conn.execute(
                _SAVE_EXCLUSION,
                {
                    "p": exclusion.player_id,
                    "kind": exclusion.kind.value,
                    "started_at": exclusion.started_at,
                    "until": exclusion.until,
                },
            )
        except DBAPIError as error:
            raise _translate(error, exclusion.player_id) from None

    async def save_reality_check(self, check: RealityCheck) -> None:
        await self._conn.execute(
            _SAVE_REALITY_CHECK,
            {
                "p": check.player_id,
                "minutes": check.minutes,
                "session_started_at": check.session_started_at,
                "acknowledged_at": check.acknowledged_at,
            },
        )

    async def delete_reality_check(self, player_id: int) -> None:
        await self._conn.execute(_DELETE_REALITY_CHECK, {"p": player_id})

    async def usage(
        self,
        player_id: int,
        currency: Currency,
        since: datetime,
        kinds: frozenset[LimitKind] = frozenset(LimitKind),
    ) -> Usage:
        params = {"p": player_id, "currency": currency.code, "since": since}
        wagered = net_loss = deposited = 0
        if kinds & {LimitKind.WAGER, LimitKind.LOSS}:
            row = (await self._conn.execute(_BETTING, params)).one()
            duel_stakes = int(row.duel_stakes) + int(row.lobby_stakes)
            duel_prizes = int(row.duel_prizes) + int(row.lobby_prizes)
            wagered = int(row.stakes) + int(row.debits) + duel_stakes
            net_loss = wagered - int(row.payouts) - int(row.credits) - duel_prizes
        if LimitKind.DEPOSIT in kinds:
            deposited = int((await self._conn.execute(_DEPOSITS, params)).scalar_one())
        return Usage(wagered=wagered, net_loss=net_loss, deposited=deposited)

    async def last_played_at(self, player_id: int) -> datetime | None:
        value = (await self._conn.execute(_LAST_PLAYED, {"p": player_id})).scalar()
        return value if isinstance(value, datetime) else None


def _translate(error: DBAPIError, player_id: int) -> Exception:
    code = sqlstate(error)
    if code == "23503":  # foreign_key_violation: the player does not exist
        return NotFound(f"no player with id {player_id}")
    if code == "CR405":  # the exclusion guard: never shortened, never deleted
        return IllegalTransition(server_message(error))
    return error
