"""Risk controls: flags for staff review and the statistics behind them.

A flag is raised with its evidence (plain JSON values) and stays open until a staff member
resolves or dismisses it with a note. The rules are pure functions over figures the
application reads for them:

- improbable results: a player's net result against the expected value and variance of the
  bets the player actually made, computed exactly from each game's pay table;
- rapid deposit → withdrawal with little play in between;
- one payment identity (only its hash is kept) on several accounts;
- single wins and wagers above a threshold per currency;
- staff chains: adjustments split to stay under the four-eyes threshold, or a staff member
  paying out a player whose balance they adjusted.

Outcome monitoring (each game's outcomes against theory, by chi-square) is in
`domain.outcome_tests`.

Money stays integer minor units and ratios of money are exact `Fraction`s; floats appear
only in statistics (z-scores, standard deviations, chi-square, p-values).

Over 400 lines on purpose: every rule shares the flag vocabulary (kinds, evidence, the review
states) defined here, and each rule is a few short functions; a rule that grows gets a module
of its own.

Over 400 lines since mines are priced by their steps (issue 21): the improbable-results rule
(`BetCell` to `improbable`, about 200 lines) is the part to move to a module of its own."""

from __future__ import annotations

import enum
import math
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

from domain.errors import DomainError, IllegalTransition, InvalidRequest
from domain.games.base import EnumeratedGame, Game, Selection
from domain.games.catalog import GAMES, payout_for
from domain.games.mines import Mines, played_moments
from domain.games.plinko import Plinko

MAX_NOTE_LENGTH = 1000
# Outcome spaces up to this size are enumerated for a bet's payout distribution; larger ones
# (dice's 10,001 rolls, limbo's results) pay one multiplier or nothing, which two points
# describe exactly. Plinko pays one multiplier per slot: its rows + 1 slots are its
# distribution (binomial, `Plinko.distribution`), whatever number of paths lead to them.
_MAX_ENUMERATED = 100


class RiskFlagKind(enum.StrEnum):
    IMPROBABLE_RESULTS = "improbable_results"
    RAPID_WITHDRAWAL = "rapid_withdrawal"
    SHARED_PAYMENT_IDENTITY = "shared_payment_identity"
    LARGE_WIN = "large_win"
    LARGE_WAGER = "large_wager"
    # A staff member's adjustments add up past the four-eyes threshold, or whoever adjusted a
    # player's balance tried to approve or pay that player's withdrawal.
    STAFF_CHAIN = "staff_chain"
    # A Stars charge that matched no invoice issued (payload, currency or amount): refunded.
    PAYMENT_MISMATCH = "payment_mismatch"
    # A referred player shares a payment identity with their referrer (domain.referrals):
    # raised on the referrer, who earns nothing for that player.
    REFERRAL_ABUSE = "referral_abuse"
    # Duels that look like chip dumping (domain.duels_collusion): raised on the player who
    # received.
    DUEL_COLLUSION = "duel_collusion"


class RiskFlagStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # looked into, action taken or cleared with a finding
    DISMISSED = "dismissed"  # a false alarm

    @property
    def is_decision(self) -> bool:
        return self is not RiskFlagStatus.OPEN


class PaymentIdentityKind(enum.StrEnum):
    WITHDRAWAL_DESTINATION = "withdrawal_destination"  # a wallet address, an account number
    STARS_PAYER = "stars_payer"  # the Telegram account that paid a Stars invoice
    PROVIDER_PAYER = "provider_payer"  # a payer id a payment provider reports


Evidence = Mapping[str, object]


def validate_note(note: str) -> str:
    note = note.strip()
    if not note:
        raise InvalidRequest("a review needs a note saying what was found")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidRequest(f"a note is at most {MAX_NOTE_LENGTH} characters")
    return note


@dataclass(frozen=True, slots=True)
class RiskFlag:
    """Something about a player that a person should look at, with what made the rule fire.
    One open flag per player and kind: a rule that fires again while one is open adds none."""

    player_id: int
    kind: RiskFlagKind
    evidence: Evidence
    raised_at: datetime
    status: RiskFlagStatus = RiskFlagStatus.OPEN
    id: int | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))
        if self.status.is_decision != (self.reviewed_at is not None):
            raise IllegalTransition(f"risk flag {self.id}: a {self.status} flag's review is wrong")

    def review(self, decision: RiskFlagStatus, *, by: str, at: datetime, note: str) -> RiskFlag:
        """Close the flag as resolved or dismissed; only an open flag is reviewed, once."""
        if not decision.is_decision:
            raise InvalidRequest("a review resolves or dismisses a flag")
        if self.status is not RiskFlagStatus.OPEN:
            raise IllegalTransition(f"risk flag {self.id} is already {self.status}")
        return replace(
            self, status=decision, reviewed_by=by, reviewed_at=at, note=validate_note(note)
        )


# The casino's large-win and large-wager thresholds unless the operator sets others
# (minor units): a win of 50,000 Stars, 500 TON or 2,500 USDT; a stake of 5,000 Stars, 100 TON
# or 500 USDT. Play money has none.
LARGE_WIN_THRESHOLDS: Mapping[str, int] = MappingProxyType(
    {"XTR": 50_000, "TON": 500 * 10**9, "USDT": 2_500 * 10**6}
)
LARGE_WAGER_THRESHOLDS: Mapping[str, int] = MappingProxyType(
    {"XTR": 5_000, "TON": 100 * 10**9, "USDT": 500 * 10**6}
)


@dataclass(frozen=True, slots=True)
class RiskPolicy:
    """The thresholds of every rule; configuration, validated here so a typo cannot switch a
    rule off silently."""

    z_threshold: float = 4.0
    min_bets: int = 100
    scan_window: timedelta = timedelta(days=30)
    rapid_window: timedelta = timedelta(hours=24)
    # A withdrawal after deposits in the window is suspicious when less than this share of
    # them was wagered.
    min_play_ratio: Fraction = Fraction(1, 2)
    # Per currency code, minor units; a currency not listed has no threshold. The casino's
    # thresholds by default, so a policy built without settings (tools, tests, a use case's
    # default review) flags large bets too; an operator's settings replace them.
    large_win: Mapping[str, int] = field(default_factory=lambda: LARGE_WIN_THRESHOLDS)
    large_wager: Mapping[str, int] = field(default_factory=lambda: LARGE_WAGER_THRESHOLDS)
    outcome_alpha: float = 0.001

    def __post_init__(self) -> None:
        if not 0 < self.z_threshold <= 100:
            raise InvalidRequest("the z-score threshold is a positive number of deviations")
        if self.min_bets < 2:
            raise InvalidRequest("the improbable-results rule needs at least 2 bets")
        if self.scan_window <= timedelta(0) or self.rapid_window <= timedelta(0):
            raise InvalidRequest("risk windows are positive durations")
        if self.min_play_ratio < 0:
            raise InvalidRequest("the minimum play ratio is not negative")
        if not 0 < self.outcome_alpha < 1:
            raise InvalidRequest("the outcome alpha is between 0 and 1")
        for name, thresholds in (("large win", self.large_win), ("large wager", self.large_wager)):
            for code, amount in thresholds.items():
                if amount <= 0:
                    raise InvalidRequest(f"the {name} threshold of {code} must be positive")
        object.__setattr__(self, "large_win", MappingProxyType(dict(self.large_win)))
        object.__setattr__(self, "large_wager", MappingProxyType(dict(self.large_wager)))


# -- improbable results ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BetCell:
    """Settled bets of one player in one currency that share a game, selection, house edge
    and stake, so each has the same payout distribution."""

    player_id: int
    currency: str
    game: str
    params: Mapping[str, str]
    house_edge: Fraction
    stake: int
    bets: int
    payouts: int  # Σ payout, minor units
    # Mines: the tiles each game of the cell pressed (the mine included), so it is priced
    # by what the player did (`mines.played_moments`); None for a game of one step.
    steps: int | None = None


@dataclass(frozen=True, slots=True)
class ResultScore:
    """A player's net result in one currency against what the bets made should give."""

    player_id: int
    currency: str
    bets: int
    stakes: int
    actual_net: int  # payouts − stakes, minor units
    expected_net: float
    sd: float
    z: float | None  # None when the bets have no variance (or none could be scored)
    unscored_bets: int = 0  # bets on selections this version cannot price

    def evidence(self, policy: RiskPolicy, since: datetime, until: datetime) -> dict[str, object]:
        return {
            "currency": self.currency,
            "bets": self.bets,
            "stakes": self.stakes,
            "expected_net": round(self.expected_net, 2),
            "actual_net": self.actual_net,
            "sd": round(self.sd, 2),
            "z": None if self.z is None else round(self.z, 3),
            "z_threshold": policy.z_threshold,
            "min_bets": policy.min_bets,
            "since": since.isoformat(),
            "until": until.isoformat(),
            "unscored_bets": self.unscored_bets,
        }


@lru_cache(maxsize=4096)
def multiplier_distribution(
    code: str, selection: Selection, house_edge: Fraction
) -> tuple[tuple[Fraction, Fraction], ...]:
    """(multiplier, probability) pairs of one bet, exact, the probabilities summing to 1."""
    game = GAMES[code]
    if isinstance(game, Plinko):
        by_slot: dict[Fraction, Fraction] = {}
        for m, p in game.distribution(selection, house_edge):
            by_slot[m] = by_slot.get(m, Fraction(0)) + p
        return tuple(sorted(by_slot.items()))
    if isinstance(game, EnumeratedGame):
        outcomes = game.outcomes()
        if len(outcomes) <= _MAX_ENUMERATED:
            by_multiplier: dict[Fraction, Fraction] = {}
            for outcome, p in outcomes:
                m = game.multiplier(selection, outcome, house_edge)
                by_multiplier[m] = by_multiplier.get(m, Fraction(0)) + p
            return tuple(sorted(by_multiplier.items()))
    best = game.max_multiplier(selection, house_edge)
    win = game.rtp(selection, house_edge) / best
    return ((Fraction(0), 1 - win), (best, win))


def _payout_moments(
    code: str, selection: Selection, house_edge: Fraction, stake: int
) -> tuple[Fraction, Fraction]:
    """E[payout] and Var[payout] of one bet, with the payout rounded down to the minor unit
    as it is really paid."""
    mean = second = Fraction(0)
    for multiplier, p in multiplier_distribution(code, selection, house_edge):
        payout = payout_for(stake, multiplier)
        mean += p * payout
        second += p * payout * payout
    return mean, second - mean * mean


def _selection(cell: BetCell) -> tuple[Game, Selection] | None:
    game = GAMES.get(cell.game)
    if game is None:
        return None
    try:
        return game, game.parse(cell.params)
    except DomainError:  # a selection this version no longer offers
        return None


@dataclass(slots=True)
class _Tally:
    bets: int = 0
    stakes: int = 0
    actual: int = 0
    expected: Fraction = field(default_factory=Fraction)
    variance: Fraction = field(default_factory=Fraction)
    unscored: int = 0


def score_results(cells: Iterable[BetCell]) -> list[ResultScore]:
    """One score per (player, currency), ordered by player and currency.

    For independent bets the net result N = Σ (payout_i − stake_i) has E[N] = Σ (E[payout_i]
    − stake_i) and Var[N] = Σ Var[payout_i], both exact sums of fractions; z = (N − E[N]) /
    sqrt(Var[N]). Positive z means the player won more than the bets should give. Bets on a
    selection this version cannot price are counted but left out of N and its theory. A
    mines game is priced by the tiles it pressed (`BetCell.steps`), a sum of its steps'
    drifts and variances; without them, by the riskiest strategy (two outcomes: 0, or the
    last tile's multiplier at the game's RTP)."""
    tallies: dict[tuple[int, str], _Tally] = {}
    for cell in cells:
        tally = tallies.setdefault((cell.player_id, cell.currency), _Tally())
        tally.bets += cell.bets
        tally.stakes += cell.bets * cell.stake
        priced = _selection(cell)
        if priced is None:
            tally.unscored += cell.bets
            continue
        game, selection = priced
        if isinstance(game, Mines) and cell.steps is not None and selection.value is not None:
            mean, variance = played_moments(
                selection.value, cell.steps, cell.house_edge, cell.stake
            )
        else:
            mean, variance = _payout_moments(game.code, selection, cell.house_edge, cell.stake)
        tally.actual += cell.payouts - cell.bets * cell.stake
        tally.expected += cell.bets * (mean - cell.stake)
        tally.variance += cell.bets * variance
    scores = []
    for (player_id, currency), t in sorted(tallies.items()):
        sd = math.sqrt(t.variance)
        z = (t.actual - float(t.expected)) / sd if t.variance > 0 else None
        scores.append(
            ResultScore(
                player_id,
                currency,
                t.bets,
                t.stakes,
                t.actual,
                float(t.expected),
                sd,
                z,
                t.unscored,
            )
        )
    return scores


def improbable(score: ResultScore, policy: RiskPolicy) -> bool:
    """Enough scored bets, and a win more than `z_threshold` standard deviations above what
    the bets should give. Losing streaks are the house's business, not a risk."""
    scored = score.bets - score.unscored_bets
    return scored >= policy.min_bets and score.z is not None and score.z > policy.z_threshold


# -- deposits, withdrawals and payment identities -------------------------------------------


@dataclass(frozen=True, slots=True)
class Funding:
    """A player's deposits in one currency over a window, and what was wagered since."""

    currency: str
    deposited: int  # minor units
    wagered: int  # stakes of bets not voided and seamless debits not rolled back
    first_deposit_at: datetime | None
    last_deposit_at: datetime | None


def rapid_withdrawal(
    funding: Funding, amount: int, now: datetime, policy: RiskPolicy
) -> dict[str, object] | None:
    """The evidence when a withdrawal follows deposits of the last `rapid_window` and less
    than `min_play_ratio` of them was wagered (exactly: wagered < ratio × deposited); None
    when the rule does not fire."""
    if funding.deposited <= 0 or funding.last_deposit_at is None:
        return None
    if funding.wagered >= policy.min_play_ratio * funding.deposited:
        return None
    return {
        "currency": funding.currency,
        "withdrawal_amount": amount,
        "deposited": funding.deposited,
        "wagered": funding.wagered,
        "play_ratio": round(funding.wagered / funding.deposited, 4),
        "min_play_ratio": str(policy.min_play_ratio),
        "window_hours": policy.rapid_window.total_seconds() / 3600,
        "first_deposit_at": (
            funding.first_deposit_at.isoformat() if funding.first_deposit_at else None
        ),
        "last_deposit_at": funding.last_deposit_at.isoformat(),
        "minutes_since_last_deposit": int((now - funding.last_deposit_at).total_seconds() // 60),
    }


def normalize_identity(identity: str) -> str:
    """The form an identity is compared in: Unicode NFKC, no whitespace, case-folded, so
    that "EQab 12" and "eqAB12" are one identity. Folding case can only merge two addresses
    that differ in case alone; a false match raises a flag for review, never a refusal."""
    folded = "".join(unicodedata.normalize("NFKC", identity).split()).casefold()
    if not folded:
        raise InvalidRequest("a payment identity is not empty")
    if len(folded) > 512:
        raise InvalidRequest("a payment identity is at most 512 characters")
    return folded


def shared_identity_evidence(
    kind: PaymentIdentityKind, digest: str, players: Sequence[int], recorded_for: int
) -> dict[str, object]:
    return {
        "identity_kind": kind.value,
        "identity_hash": digest,
        "players": sorted(players),
        "recorded_for": recorded_for,
    }


# -- large wins and wagers -------------------------------------------------------------------


def large_bet_evidence(
    *,
    bet_id: str | uuid.UUID,
    game: str,
    currency: str,
    stake: int,
    payout: int,
    policy: RiskPolicy,
) -> dict[RiskFlagKind, dict[str, object]]:
    """The large-win and large-wager findings of one settled bet (at or above the threshold
    of its currency), keyed by kind; empty when neither applies. The evidence (the bet id as
    text) is built only for a finding: every settled bet is checked, few are large."""
    found: dict[RiskFlagKind, dict[str, object]] = {}
    win_threshold = policy.large_win.get(currency)
    wager_threshold = policy.large_wager.get(currency)
    large_win = win_threshold is not None and payout >= win_threshold
    large_wager = wager_threshold is not None and stake >= wager_threshold
    if not (large_win or large_wager):
        return found
    base: dict[str, object] = {
        "bet_id": str(bet_id),
        "game": game,
        "currency": currency,
        "stake": stake,
        "payout": payout,
    }
    if large_win:
        found[RiskFlagKind.LARGE_WIN] = base | {"threshold": win_threshold}
    if large_wager:
        found[RiskFlagKind.LARGE_WAGER] = base | {"threshold": wager_threshold}
    return found
