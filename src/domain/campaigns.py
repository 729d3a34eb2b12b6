"""Campaigns: what the house offers which players, when, and on what terms (docs/bonuses.md,
"Campaigns and promo codes").

A campaign is one of three kinds: a deposit match (a share of a deposit, up to a cap), a
no-deposit grant (a fixed bonus at registration, or given by staff to a list) and a promo code
(a fixed bonus for a code a player types). Each spends from its own promotion budget (the
budget's code is the campaign's), is open in a time window, targets new players, everyone or a
list, grants a player at most once, and gives its bonus on the same terms (wagering, expiry,
largest stake). A fourth kind, free bets (`domain.free_bets`), gives free bets instead of a
bonus: its `amount` is the cap of one free bet's winnings (`max_win`), the bonus they become."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from domain.adjustments import FourEyesPolicy
from domain.errors import Forbidden, IllegalTransition, InvalidField, LimitExceeded, NotFound
from domain.free_bets import FreeBetTerms
from domain.money import Currency, Money

MAX_LIST = 10_000  # players in one campaign's list target
MAX_MATCH_PERCENT = 1_000  # a 1,000% match is already absurd; more is a typo
MAX_WAGERING_MULTIPLE = 200
MAX_EXPIRY = timedelta(days=365)

# A campaign whose budget, alone or added to what its creator budgeted in its currency over
# the four-eyes window, is larger than this waits for a second staff member's approval
# (CROUPIER_CAMPAIGN_FOUR_EYES_THRESHOLDS): 10,000 Stars, 1,000 TON, 10,000 USDT, 10,000,000
# FUN (play money is budgeted too, though it costs nothing).
CAMPAIGN_FOUR_EYES_THRESHOLDS: Mapping[str, int] = MappingProxyType(
    {"XTR": 10_000, "TON": 1_000 * 10**9, "USDT": 10_000 * 10**6, "FUN": 10**9}
)

# A campaign code is its budget's code too (`promotion_budgets.code`), so it follows the
# budget's form; players may type it in any case ("WELCOME10" is "welcome10").
_CODE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{2,39}")


def normalise_code(text: str) -> str:
    """A code as a player or staff member typed it, in the form it is stored in."""
    return text.strip().lower()


def validate_campaign_code(text: str) -> str:
    code = normalise_code(text)
    if not _CODE.fullmatch(code):
        raise InvalidField(
            "code", "a campaign code is 3-40 letters, digits, '_' or '-', starting alnum"
        )
    return code


class CampaignKind(enum.StrEnum):
    DEPOSIT_MATCH = "deposit_match"
    NO_DEPOSIT = "no_deposit"
    PROMO_CODE = "promo_code"
    FREE_BET = "free_bet"  # free bets (domain.free_bets), by a promo code or a staff grant


class CampaignState(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # over the four-eyes threshold: grants nothing
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"  # for good


class Audience(enum.StrEnum):
    NEW_PLAYERS = "new_players"  # registered at or after the start, no deposit yet
    ALL = "all"
    LIST = "list"  # the players named in the campaign


class WageringBase(enum.StrEnum):
    BONUS = "bonus"
    BONUS_AND_DEPOSIT = "bonus_and_deposit"  # a deposit match only


class UnknownPromoCode(NotFound):
    """No campaign has this code (or it is not one a player may type)."""

    code = "unknown_promo_code"


class CampaignRefused(LimitExceeded):
    """The campaign gives this player nothing now; `rule` says why, for a polite answer:
    `not_started`, `expired` (its window is over, or it ended), `paused`, `used` (this player
    had it), `not_for_you` (outside its target), `run_out` (no uses or budget left)."""

    code = "campaign_refused"

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message, rule=rule)


@dataclass(frozen=True, slots=True)
class Target:
    audience: Audience
    players: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.audience is Audience.LIST and not self.players:
            raise InvalidField("players", "a list target names at least one player")
        if self.audience is not Audience.LIST and self.players:
            raise InvalidField("players", "only a list target names players")
        if len(self.players) > MAX_LIST:
            raise InvalidField("players", f"a list target names at most {MAX_LIST} players")


@dataclass(frozen=True, slots=True)
class BonusTerms:
    """The terms every bonus of the campaign is granted on."""

    wagering_multiple: int
    expires_after: timedelta
    max_stake: Money | None = None
    wagering_base: WageringBase = WageringBase.BONUS

    def __post_init__(self) -> None:
        if not 0 <= self.wagering_multiple <= MAX_WAGERING_MULTIPLE:
            raise InvalidField(
                "wagering_multiple", f"the wagering multiple is 0-{MAX_WAGERING_MULTIPLE}"
            )
        if not timedelta(hours=1) <= self.expires_after <= MAX_EXPIRY:
            raise InvalidField("expires_after", "a bonus expires after 1 hour to 365 days")
        if self.max_stake is not None:
            self.max_stake.require_positive()


@dataclass(frozen=True, slots=True)
class Grant:
    """What the campaign gives one player: the bonus and the amount its wagering counts on."""

    amount: Money
    wagering_base: Money


@dataclass(frozen=True, slots=True)
class Campaign:
    code: str
    kind: CampaignKind
    budget: Money  # the total of its promotion budget (same code)
    starts_at: datetime
    ends_at: datetime
    target: Target
    terms: BonusTerms
    created_by: str
    created_at: datetime
    # A promo code's or no-deposit grant's fixed bonus; a deposit match's cap.
    amount: Money
    match_percent: int | None = None  # a deposit match's share of the deposit
    max_uses: int | None = None  # how many players may have it (None: the budget decides)
    state: CampaignState = CampaignState.ACTIVE
    approved_by: str | None = None
    uses: int = 0  # players who had it (the database's counter, with its check)
    # A free-bet campaign's free bets (its `amount` is then one free bet's `max_win`).
    free_bet: FreeBetTerms | None = None

    def __post_init__(self) -> None:
        validate_campaign_code(self.code)
        self.amount.require_positive()
        self.budget.require_positive()
        if self.budget.currency != self.amount.currency:
            raise InvalidField("currency", "the budget and the bonus share one currency")
        if self.amount > self.budget:
            raise InvalidField("budget", "the budget is smaller than one bonus")
        if self.ends_at <= self.starts_at:
            raise InvalidField("ends_at", "a campaign ends after it starts")
        if self.kind is CampaignKind.DEPOSIT_MATCH:
            if self.match_percent is None or not 1 <= self.match_percent <= MAX_MATCH_PERCENT:
                raise InvalidField(
                    "match_percent", f"a deposit match matches 1-{MAX_MATCH_PERCENT}%"
                )
        elif self.match_percent is not None:
            raise InvalidField("match_percent", "only a deposit match has a match percent")
        elif self.terms.wagering_base is WageringBase.BONUS_AND_DEPOSIT:
            raise InvalidField("wagering_base", "only a deposit match wagers the deposit too")
        if self.max_uses is not None and self.max_uses < 1:
            raise InvalidField("max_uses", "max_uses is at least 1 (or left out)")
        if self.terms.max_stake is not None and self.terms.max_stake.currency != self.currency:
            raise InvalidField("max_stake", "the largest stake is in the campaign's currency")
        if (self.kind is CampaignKind.FREE_BET) != (self.free_bet is not None):
            raise InvalidField("free_bet", "a free-bet campaign, and only one, has free bets")
        if self.free_bet is not None and self.free_bet.stake.currency != self.currency:
            raise InvalidField("free_bet.stake", "the free bets are in the campaign's currency")

    @property
    def currency(self) -> Currency:
        return self.amount.currency

    # -- staff steps -----------------------------------------------------------------------

    def _to(self, state: CampaignState, allowed: tuple[CampaignState, ...]) -> Campaign:
        if self.state not in allowed:
            raise IllegalTransition(f"campaign {self.code!r} is {self.state}, cannot be {state}")
        return replace(self, state=state)

    def approve(self, by: str) -> Campaign:
        if self.state is not CampaignState.AWAITING_APPROVAL:
            raise IllegalTransition(f"campaign {self.code!r} is {self.state}, not awaiting")
        if by == self.created_by:
            raise Forbidden("the second pair of eyes must belong to someone else")
        return replace(self, state=CampaignState.ACTIVE, approved_by=by)

    def pause(self) -> Campaign:
        return self._to(CampaignState.PAUSED, (CampaignState.ACTIVE,))

    def resume(self) -> Campaign:
        return self._to(CampaignState.ACTIVE, (CampaignState.PAUSED,))

    def end(self) -> Campaign:
        return self._to(
            CampaignState.ENDED,
            (CampaignState.ACTIVE, CampaignState.PAUSED, CampaignState.AWAITING_APPROVAL),
        )

    # -- granting --------------------------------------------------------------------------

    def require_open(self, now: datetime) -> None:
        """Refuse unless the campaign grants now (active, inside its window)."""
        if self.state is CampaignState.ENDED or now >= self.ends_at:
            raise CampaignRefused(f"campaign {self.code!r} is over", "expired")
        if self.state is not CampaignState.ACTIVE:
            # Paused or awaiting approval: a player hears the same (not now).
            raise CampaignRefused(f"campaign {self.code!r} is {self.state}", "paused")
        if now < self.starts_at:
            raise CampaignRefused(f"campaign {self.code!r} starts later", "not_started")
        if self.max_uses is not None and self.uses >= self.max_uses:
            raise CampaignRefused(f"campaign {self.code!r} has no uses left", "run_out")

    def require_target(self, player_id: int, registered_at: datetime, deposited: bool) -> None:
        """Refuse a player outside the target. New players registered at or after the start
        and have made no deposit (before the one a deposit match matches)."""
        audience = self.target.audience
        if audience is Audience.ALL:
            return
        if audience is Audience.LIST:
            if player_id in self.target.players:
                return
        elif registered_at >= self.starts_at and not deposited:
            return
        raise CampaignRefused(
            f"campaign {self.code!r} is not for player {player_id}", "not_for_you"
        )

    def grant_for(self, deposit: Money | None = None) -> Grant:
        """The bonus for one player: the fixed amount, or a deposit match's share of
        `deposit` (rounded down, at most the cap). 50% of 300 ⭐ capped at 100 ⭐ is 100 ⭐,
        on a wagering base of 100 ⭐, or 400 ⭐ with the deposit."""
        if self.kind is not CampaignKind.DEPOSIT_MATCH:
            return Grant(self.amount, self.amount)
        if deposit is None or deposit.currency != self.currency:
            raise InvalidField("deposit", "a deposit match needs a deposit in its currency")
        percent = self.match_percent or 0
        share = min(deposit.amount * percent // 100, self.amount.amount)
        bonus = Money(share, self.currency)
        if self.terms.wagering_base is WageringBase.BONUS_AND_DEPOSIT:
            return Grant(bonus, bonus + deposit)
        return Grant(bonus, bonus)


@dataclass(frozen=True, slots=True)
class Redemption:
    """One player's grant from one campaign (at most one each): `key` is the grant's
    idempotency key (`promo:{code}:{player}`, `deposit-match:{deposit key}`,
    `no-deposit:{code}:{player}`); `bonus_id` is None until the grant is posted, in the same
    transaction."""

    campaign: str
    player_id: int
    key: str
    at: datetime
    amount: Money
    bonus_id: str | None = None


@dataclass(frozen=True, slots=True)
class CampaignFourEyes:
    """The four-eyes rule for campaigns: the adjustments' rule (`FourEyesPolicy`) with the
    campaigns' own thresholds, a type of its own so the two are never swapped."""

    policy: FourEyesPolicy
