"""Campaigns and their redemptions in PostgreSQL. A redemption is claimed with an INSERT on
the (campaign, player) key, so a player's second try waits for the first and then finds it;
a use is taken with a conditional UPDATE, so racing players never pass `max_uses` (which is a
check too)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.campaigns import (
    Audience,
    BonusTerms,
    Campaign,
    CampaignKind,
    CampaignState,
    Redemption,
    Target,
    WageringBase,
)
from domain.errors import IdempotencyConflict, NotFound
from domain.free_bets import FreeBetTerms
from domain.money import Currency, CurrencyRegistry, Money

_COLUMNS = (
    "c.code, c.kind, c.currency, c.amount, c.match_percent, c.starts_at, c.ends_at,"
    " c.audience, c.players, c.wagering_multiple, c.wagering_base, c.expires_after,"
    " c.max_stake, c.max_uses, c.uses, c.state, c.created_by, c.created_at, c.approved_by,"
    " b.total AS budget, c.free_bet_game, c.free_bet_params, c.free_bet_stake,"
    " c.free_bet_count, c.free_bet_expires_after"
)
_FROM = " FROM campaigns c JOIN promotion_budgets b ON b.code = c.code"
_GET = text(f"SELECT {_COLUMNS}{_FROM} WHERE c.code = :code")
_GET_FOR_UPDATE = text(f"SELECT {_COLUMNS}{_FROM} WHERE c.code = :code FOR UPDATE OF c")
_LIST = text(
    f"SELECT {_COLUMNS}{_FROM}"
    " WHERE CAST(:state AS text) IS NULL OR c.state = :state"
    " ORDER BY c.created_at DESC, c.code"
)
_OPEN_OF_KIND = text(
    f"SELECT {_COLUMNS}{_FROM}"
    " WHERE c.state = 'active' AND c.kind = :kind"
    " AND (CAST(:currency AS text) IS NULL OR c.currency = :currency)"
    " AND c.starts_at <= :now AND :now < c.ends_at"
    " ORDER BY c.created_at, c.code"
)
_ADD = text(
    "INSERT INTO campaigns (code, kind, currency, amount, match_percent, starts_at, ends_at,"
    " audience, players, wagering_multiple, wagering_base, expires_after, max_stake, max_uses,"
    " state, created_by, created_at, approved_by, free_bet_game, free_bet_params,"
    " free_bet_stake, free_bet_count, free_bet_expires_after)"
    " VALUES (:code, :kind, :currency, :amount, :match_percent, :starts_at, :ends_at,"
    " :audience, :players, :wagering_multiple, :wagering_base, :expires_after, :max_stake,"
    " :max_uses, :state, :created_by, :created_at, :approved_by, :free_bet_game,"
    " CAST(:free_bet_params AS jsonb), :free_bet_stake, :free_bet_count,"
    " :free_bet_expires_after)"
    " ON CONFLICT (code) DO NOTHING"
)
_SET_STATE = text(
    "UPDATE campaigns SET state = :state, approved_by = COALESCE(:approved_by, approved_by)"
    " WHERE code = :code"
)
_TAKE_USE = text(
    "UPDATE campaigns SET uses = uses + 1"
    " WHERE code = :code AND (max_uses IS NULL OR uses < max_uses) RETURNING uses"
)
_CLAIM = text(
    "INSERT INTO campaign_redemptions (campaign, player_id, key, amount, redeemed_at)"
    " VALUES (:campaign, :player, :key, :amount, :at)"
    " ON CONFLICT DO NOTHING RETURNING campaign"
)
_REDEMPTION_COLUMNS = (
    "r.campaign, r.player_id, r.key, r.amount, r.bonus_id, r.redeemed_at, c.currency"
)
_REDEMPTION = text(
    f"SELECT {_REDEMPTION_COLUMNS} FROM campaign_redemptions r"  # noqa: S608 - constant text  # nosec B608
    " JOIN campaigns c ON c.code = r.campaign"
    " WHERE (r.campaign = :campaign AND r.player_id = :player) OR r.key = :key"
)
_REDEMPTIONS = text(
    f"SELECT {_REDEMPTION_COLUMNS} FROM campaign_redemptions r"  # noqa: S608 - constant text  # nosec B608
    " JOIN campaigns c ON c.code = r.campaign"
    " WHERE r.campaign = :campaign ORDER BY r.redeemed_at DESC, r.player_id LIMIT :limit"
)
_SET_BONUS = text(
    "UPDATE campaign_redemptions SET bonus_id = :bonus"
    " WHERE campaign = :campaign AND player_id = :player"
)
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
# A budget's total as created: raises applied since are counted for whoever asked for them
# (promotion_budget_raises, the budgets' `raised_since`), not again here.
_CREATED_SINCE = text(
    "SELECT COALESCE(SUM(b.total - (SELECT COALESCE(SUM(r.increase), 0)"
    " FROM promotion_budget_raises r WHERE r.budget = c.code AND r.state = 'applied')), 0)"
    " AS total FROM campaigns c JOIN promotion_budgets b ON b.code = c.code"
    " WHERE c.created_by = :by AND c.currency = :currency AND c.created_at >= :since"
)
# Deposits are journal entries of kind 'deposit' whose wallet leg is the player's.
_HAS_DEPOSIT = text(
    "SELECT EXISTS (SELECT 1 FROM ledger_transactions t"
    " JOIN ledger_legs l ON l.transaction_id = t.id"
    " JOIN accounts a ON a.id = l.account_id"
    " WHERE a.player_id = :player AND a.kind = 'player_wallet' AND t.kind = 'deposit'"
    " AND t.idempotency_key <> COALESCE(CAST(:other AS text), ''))"
)


def free_bet_columns(terms: FreeBetTerms | None) -> dict[str, Any]:
    """A free-bet campaign's free bets as its columns (all NULL for the other kinds)."""
    return {
        "free_bet_game": terms.game if terms else None,
        "free_bet_params": json.dumps(dict(terms.params), sort_keys=True) if terms else None,
        "free_bet_stake": terms.stake.amount if terms else None,
        "free_bet_count": terms.count if terms else None,
        "free_bet_expires_after": terms.expires_after if terms else None,
    }


def free_bet_terms(row: Any, currency: Currency) -> FreeBetTerms | None:
    if row.free_bet_game is None:
        return None
    params = row.free_bet_params
    return FreeBetTerms(
        game=row.free_bet_game,
        params=params if isinstance(params, dict) else json.loads(params),
        stake=Money(row.free_bet_stake, currency),
        count=row.free_bet_count,
        expires_after=row.free_bet_expires_after,
    )


class SqlCampaigns:
    def __init__(self, conn: AsyncConnection, currencies: CurrencyRegistry) -> None:
        self._conn = conn
        self._currencies = currencies

    async def add(self, campaign: Campaign) -> None:
        terms = campaign.terms
        params = {
            "code": campaign.code,
            "kind": campaign.kind.value,
            "currency": campaign.currency.code,
            "amount": campaign.amount.amount,
            "match_percent": campaign.match_percent,
            "starts_at": campaign.starts_at,
            "ends_at": campaign.ends_at,
            "audience": campaign.target.audience.value,
            "players": sorted(campaign.target.players),
            "wagering_multiple": terms.wagering_multiple,
            "wagering_base": terms.wagering_base.value,
            "expires_after": terms.expires_after,
            "max_stake": terms.max_stake.amount if terms.max_stake else None,
            "max_uses": campaign.max_uses,
            "state": campaign.state.value,
            "created_by": campaign.created_by,
            "created_at": campaign.created_at,
            "approved_by": campaign.approved_by,
            **free_bet_columns(campaign.free_bet),
        }
        if (await self._conn.execute(_ADD, params)).rowcount != 1:
            raise IdempotencyConflict(f"campaign code {campaign.code!r} is taken")

    async def get(self, code: str, *, for_update: bool = False) -> Campaign:
        query = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._conn.execute(query, {"code": code})).first()
        if row is None:
            raise NotFound(f"no campaign {code!r}")
        return self._campaign(row)

    async def set_state(
        self, code: str, state: CampaignState, approved_by: str | None = None
    ) -> None:
        params = {"code": code, "state": state.value, "approved_by": approved_by}
        if (await self._conn.execute(_SET_STATE, params)).rowcount != 1:
            raise NotFound(f"no campaign {code!r}")

    async def list(self, state: CampaignState | None = None) -> Sequence[Campaign]:
        rows = await self._conn.execute(_LIST, {"state": state.value if state else None})
        return [self._campaign(r) for r in rows]

    async def open_of_kind(
        self, kind: CampaignKind, currency: Currency | None, now: datetime
    ) -> Sequence[Campaign]:
        params = {"kind": kind.value, "currency": currency.code if currency else None, "now": now}
        return [self._campaign(r) for r in await self._conn.execute(_OPEN_OF_KIND, params)]

    async def claim(self, redemption: Redemption) -> Redemption | None:
        params = {
            "campaign": redemption.campaign,
            "player": redemption.player_id,
            "key": redemption.key,
            "amount": redemption.amount.amount,
            "at": redemption.at,
        }
        try:
            claimed = (await self._conn.execute(_CLAIM, params)).first()
        except IntegrityError as error:  # a player or campaign that does not exist
            raise NotFound(f"cannot redeem campaign {redemption.campaign!r}") from error
        if claimed is not None:
            return None
        row = (await self._conn.execute(_REDEMPTION, params)).first()
        if row is None:  # pragma: no cover - the conflicting row exists once committed
            raise IdempotencyConflict(f"redemption {redemption.key!r} is taken")
        return self._redemption(row)

    async def redemption(self, code: str, player_id: int) -> Redemption | None:
        params = {"campaign": code, "player": player_id, "key": None}
        row = (await self._conn.execute(_REDEMPTION, params)).first()
        return None if row is None else self._redemption(row)

    async def take_use(self, code: str) -> bool:
        return (await self._conn.execute(_TAKE_USE, {"code": code})).first() is not None

    async def set_bonus(self, code: str, player_id: int, bonus_id: str) -> None:
        params = {"campaign": code, "player": player_id, "bonus": bonus_id}
        await self._conn.execute(_SET_BONUS, params)

    async def redemptions(self, code: str, limit: int = 100) -> Sequence[Redemption]:
        rows = await self._conn.execute(_REDEMPTIONS, {"campaign": code, "limit": limit})
        return [self._redemption(r) for r in rows]

    async def created_since(self, created_by: str, currency: Currency, since: datetime) -> int:
        # A staff member's campaigns are added up under their lock: two created at once are
        # counted one after the other, never both as the first.
        await self._conn.execute(_LOCK, {"key": f"campaigns:staff:{created_by}"})
        params = {"by": created_by, "currency": currency.code, "since": since}
        return int((await self._conn.execute(_CREATED_SINCE, params)).scalar_one())

    async def has_deposit(self, player_id: int, other_than: str | None = None) -> bool:
        params = {"player": player_id, "other": other_than}
        return bool((await self._conn.execute(_HAS_DEPOSIT, params)).scalar_one())

    def _redemption(self, row: Any) -> Redemption:
        currency = self._currencies.get(row.currency)
        return Redemption(
            campaign=row.campaign,
            player_id=row.player_id,
            key=row.key,
            at=row.redeemed_at,
            amount=Money(row.amount, currency),
            bonus_id=row.bonus_id,
        )

    def _campaign(self, row: Any) -> Campaign:
        currency = self._currencies.get(row.currency)
        expires_after: timedelta = row.expires_after
        return Campaign(
            code=row.code,
            kind=CampaignKind(row.kind),
            budget=Money(row.budget, currency),
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            target=Target(Audience(row.audience), frozenset(row.players)),
            terms=BonusTerms(
                wagering_multiple=row.wagering_multiple,
                expires_after=expires_after,
                max_stake=Money(row.max_stake, currency) if row.max_stake else None,
                wagering_base=WageringBase(row.wagering_base),
            ),
            created_by=row.created_by,
            created_at=row.created_at,
            amount=Money(row.amount, currency),
            match_percent=row.match_percent,
            max_uses=row.max_uses,
            state=CampaignState(row.state),
            approved_by=row.approved_by,
            uses=row.uses,
            free_bet=free_bet_terms(row, currency),
        )
