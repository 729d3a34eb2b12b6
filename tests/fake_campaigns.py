"""In-memory campaigns and redemptions (the adapter's rules: one redemption per campaign and
player and per key, uses never past `max_uses`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from domain.accounts import AccountKind
from domain.budget_raises import RaiseState
from domain.campaigns import Campaign, CampaignKind, CampaignState, Redemption
from domain.errors import IdempotencyConflict, NotFound
from domain.ledger import TransactionKind
from domain.money import Currency

if TYPE_CHECKING:
    from tests.fakes import _State


class FakeCampaigns:
    def __init__(self, state: _State) -> None:
        self.s = state

    async def add(self, campaign: Campaign) -> None:
        if campaign.code in self.s.campaigns:
            raise IdempotencyConflict(f"campaign code {campaign.code!r} is taken")
        if campaign.code not in self.s.budgets:
            raise NotFound(f"no promotion budget {campaign.code!r}")
        self.s.campaigns[campaign.code] = campaign

    async def get(self, code: str, *, for_update: bool = False) -> Campaign:
        if code not in self.s.campaigns:
            raise NotFound(f"no campaign {code!r}")
        campaign = self.s.campaigns[code]
        return replace(campaign, budget=self.s.budgets[code].total)

    async def set_state(
        self, code: str, state: CampaignState, approved_by: str | None = None
    ) -> None:
        campaign = await self.get(code)
        self.s.campaigns[code] = replace(
            campaign, state=state, approved_by=approved_by or campaign.approved_by
        )

    async def list(self, state: CampaignState | None = None) -> Sequence[Campaign]:
        found = [await self.get(c) for c in self.s.campaigns]
        found = [c for c in found if state is None or c.state is state]
        return sorted(found, key=lambda c: (c.created_at, c.code), reverse=True)

    async def open_of_kind(
        self, kind: CampaignKind, currency: Currency | None, now: datetime
    ) -> Sequence[Campaign]:
        found = [
            await self.get(c.code)
            for c in self.s.campaigns.values()
            if c.state is CampaignState.ACTIVE
            and c.kind is kind
            and currency in (None, c.currency)
            and c.starts_at <= now < c.ends_at
        ]
        return sorted(found, key=lambda c: (c.created_at, c.code))

    async def claim(self, redemption: Redemption) -> Redemption | None:
        await self.get(redemption.campaign)
        for existing in self.s.redemptions.values():
            if existing.key == redemption.key:
                return existing
        key = (redemption.campaign, redemption.player_id)
        if key in self.s.redemptions:
            return self.s.redemptions[key]
        self.s.redemptions[key] = redemption
        return None

    async def redemption(self, code: str, player_id: int) -> Redemption | None:
        return self.s.redemptions.get((code, player_id))

    async def take_use(self, code: str) -> bool:
        campaign = await self.get(code)
        if campaign.max_uses is not None and campaign.uses >= campaign.max_uses:
            return False
        self.s.campaigns[code] = replace(campaign, uses=campaign.uses + 1)
        return True

    async def set_bonus(self, code: str, player_id: int, bonus_id: str) -> None:
        key = (code, player_id)
        self.s.redemptions[key] = replace(self.s.redemptions[key], bonus_id=bonus_id)

    async def redemptions(self, code: str, limit: int = 100) -> Sequence[Redemption]:
        found = [r for r in self.s.redemptions.values() if r.campaign == code]
        return sorted(found, key=lambda r: (r.at, -r.player_id), reverse=True)[:limit]

    async def created_since(self, created_by: str, currency: Currency, since: datetime) -> int:
        # The budgets as created: raises applied since count for whoever asked for them.
        raised: dict[str, int] = {}
        for r in self.s.budget_raises.values():
            if r.state is RaiseState.APPLIED:
                raised[r.budget] = raised.get(r.budget, 0) + r.increase.amount
        return sum(
            self.s.budgets[c.code].total.amount - raised.get(c.code, 0)
            for c in self.s.campaigns.values()
            if c.created_by == created_by and c.currency == currency and c.created_at >= since
        )

    async def has_deposit(self, player_id: int, other_than: str | None = None) -> bool:
        wallets = {
            a.id
            for a in self.s.accounts.values()
            if a.player_id == player_id and a.kind is AccountKind.PLAYER_WALLET
        }
        return any(
            posted.kind is TransactionKind.DEPOSIT
            and key != other_than
            and any(leg.account_id in wallets for leg in posted.legs)
            for key, (_, posted) in self.s.transactions.items()
        )
