"""A player's standing, and what it allows: one policy for every door.

Whether a player may do something with money depends on facts kept in several places (the
staff's block, the 18+ and terms confirmation, a timeout or self-exclusion the player chose).
`PlayerStanding` gathers them and `require` decides, for one `Operation`, the same way whichever
door asked (gRPC, the bot, the Mini App, the admin API, the CLI): the use cases call it inside
the transaction that moves the money, and no entrypoint decides standing itself.

Rules that depend on an amount are decided where the amount's history is read, from the
facts of this standing: deposit, loss and wager limits, a pending increase's cooling-off and
the reality check by the responsible-gambling guard (which adds the exclusion here, under the
player's lock), the KYC threshold of withdrawals by the withdrawal rules (from `kyc`), bets
and deposits per hour by the velocity limits. The standing itself is what holds whatever the
amount. `ALLOWED` is the table the docs show (docs/responsible-gambling.md,
"What each standing allows"); a test compares the two."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from domain.errors import DomainError, Forbidden, IllegalTransition
from domain.players import KycStatus, PlayerStatus
from domain.responsible import Exclusion


class Operation(enum.StrEnum):
    """What may be asked of a player's money, whichever door asks."""

    BET = "bet"  # a stake on any game, a seamless wallet's debit
    # Another step of a game whose stake is already taken (reveal a mines tile): no money
    # moves in, but it is gambling, so it follows a bet's rules of standing. Collecting what
    # the steps already won (a cash-out) is SETTLE.
    PLAY_ON = "play_on"
    DEPOSIT = "deposit"  # money in: Telegram Stars, a provider's deposit over gRPC
    WITHDRAW = "withdraw"  # the player asks for money out
    PAY_OUT = "pay_out"  # staff approve or pay a requested withdrawal
    # Money the house owes or takes back for what already happened: a bet's result, a void,
    # a seamless credit or rollback, a refund. Never refused: a blocked player is still paid
    # for a bet placed before the block.
    SETTLE = "settle"
    ADJUST = "adjust"  # a staff correction (its own four-eyes rules apply)
    # Anything a promotion gives or offers (docs/bonuses.md): a bonus grant, a promo code, a
    # referral commission, rakeback, the daily play-money bonus, and the offer itself. A player
    # on a break, unconfirmed or blocked gets none of them, and hears nothing about them.
    PROMOTION = "promotion"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: Final = {
    Operation.BET: "place a bet (every game, a seamless debit)",
    Operation.PLAY_ON: "play on in a game already open (reveal a mines tile)",
    Operation.DEPOSIT: "deposit",
    Operation.WITHDRAW: "request a withdrawal",
    Operation.PAY_OUT: "have a withdrawal approved or paid",
    Operation.SETTLE: "be paid for a bet already placed (settle, void, credit, rollback)",
    Operation.ADJUST: "receive a staff adjustment",
    Operation.PROMOTION: "receive a promotion (bonus, promo code, rakeback, referral commission)",
}


class Rule(enum.StrEnum):
    """Why a player may not do something: a fact of their standing."""

    BLOCKED = "blocked"  # staff blocked the account
    TERMS_NOT_ACCEPTED = "terms_not_accepted"  # never confirmed 18+ and the terms
    EXCLUDED = "excluded"  # a timeout or self-exclusion in force (the player's own choice)

    @property
    def label(self) -> str:
        return _RULE_LABELS[self]


_RULE_LABELS: Final = {
    Rule.BLOCKED: "blocked by staff",
    Rule.TERMS_NOT_ACCEPTED: "has not confirmed 18+ and accepted the terms",
    Rule.EXCLUDED: "timed out or self-excluded",
}

# For each operation, the rules that refuse it. What is not listed is allowed.
REFUSED_BY: Final[dict[Operation, frozenset[Rule]]] = {
    Operation.BET: frozenset({Rule.BLOCKED, Rule.TERMS_NOT_ACCEPTED, Rule.EXCLUDED}),
    Operation.PLAY_ON: frozenset({Rule.BLOCKED, Rule.TERMS_NOT_ACCEPTED, Rule.EXCLUDED}),
    Operation.DEPOSIT: frozenset({Rule.BLOCKED, Rule.TERMS_NOT_ACCEPTED, Rule.EXCLUDED}),
    # An excluded player may take their money out: that is what a break is for. A blocked
    # player may ask too: the request holds the money and waits for staff, because approving
    # or paying it (PAY_OUT) is what the block freezes. Money is never stuck behind a rule
    # that also stops the player from playing it.
    Operation.WITHDRAW: frozenset({Rule.TERMS_NOT_ACCEPTED}),
    # A blocked player's withdrawals are frozen: they wait for staff (unblock, or reject and
    # return the money), and are never paid while the block stands.
    Operation.PAY_OUT: frozenset({Rule.BLOCKED}),
    Operation.SETTLE: frozenset(),
    Operation.ADJUST: frozenset(),
    Operation.PROMOTION: frozenset({Rule.BLOCKED, Rule.TERMS_NOT_ACCEPTED, Rule.EXCLUDED}),
}
ALLOWED: Final[dict[Operation, frozenset[Rule]]] = {
    operation: frozenset(Rule) - refused for operation, refused in REFUSED_BY.items()
}


class StandingRefusal(Forbidden):
    """The player's standing refuses the operation; `rule` names the fact that does."""

    code = "player_standing"
    rule: Rule

    def __init__(self, message: str) -> None:
        super().__init__(message)


class PlayerBlocked(StandingRefusal):
    """Staff blocked the account: it may not move money (see `REFUSED_BY`)."""

    code = "player_blocked"
    rule = Rule.BLOCKED


class TermsNotAccepted(StandingRefusal):
    """The player has not confirmed being 18 or older and accepted the terms."""

    code = "terms_not_accepted"
    rule = Rule.TERMS_NOT_ACCEPTED


class WithdrawalFrozen(IllegalTransition):
    """Staff tried to approve or pay a withdrawal of a blocked player: it waits (409)."""

    code = "withdrawal_frozen"
    rule = Rule.BLOCKED


_MESSAGES: Final = {
    (Rule.BLOCKED, Operation.BET): "this account is blocked; bets are not accepted",
    (Rule.BLOCKED, Operation.PLAY_ON): ("this account is blocked; no more tiles can be revealed"),
    (Rule.BLOCKED, Operation.DEPOSIT): "this account is blocked; deposits are not accepted",
    (Rule.BLOCKED, Operation.PROMOTION): "this account is blocked; it receives no promotions",
    (Rule.BLOCKED, Operation.PAY_OUT): (
        "the player is blocked: this withdrawal is frozen until the block is lifted (or reject"
        " it, or mark it failed once approved, to return the money)"
    ),
}


@dataclass(frozen=True, slots=True)
class PlayerStanding:
    """What decides whether a player may do something with money, read inside the unit of work
    that would do it. `exclusion` is the player's timeout or self-exclusion when the caller read
    it (the responsible-gambling guard does, under the player's lock); None: none on record, or
    not read because no operation being asked is refused by one."""

    player_id: int
    status: PlayerStatus
    terms_accepted: bool
    exclusion: Exclusion | None = None
    # How far the player's identity is verified. It refuses nothing by itself: the withdrawal
    # rules ask for `verified` above an amount over 24 hours (`domain.withdrawal_policy`),
    # reading it here. None: not read by this road (a bet placement never needs it).
    kyc: KycStatus | None = None

    def with_exclusion(self, exclusion: Exclusion | None) -> PlayerStanding:
        return replace(self, exclusion=exclusion)

    def rules(self, now: datetime) -> frozenset[Rule]:
        """The facts of this standing that can refuse something, now."""
        found = set()
        if self.status is PlayerStatus.BLOCKED:
            found.add(Rule.BLOCKED)
        if not self.terms_accepted:
            found.add(Rule.TERMS_NOT_ACCEPTED)
        if self.exclusion is not None and self.exclusion.active(now):
            found.add(Rule.EXCLUDED)
        return frozenset(found)

    def refusal(self, operation: Operation, now: datetime) -> DomainError | None:
        """The error refusing `operation`, or None when it is allowed. A block is named before
        the terms, and the terms before an exclusion: the first thing the player (or staff)
        would have to settle."""
        broken = self.rules(now) & REFUSED_BY[operation]
        if Rule.BLOCKED in broken:
            message = _MESSAGES.get((Rule.BLOCKED, operation), "this account is blocked")
            if operation is Operation.PAY_OUT:
                return WithdrawalFrozen(message)
            return PlayerBlocked(message)
        if Rule.TERMS_NOT_ACCEPTED in broken:
            return TermsNotAccepted("confirm that you are 18 or older and accept the terms first")
        if Rule.EXCLUDED in broken:
            assert self.exclusion is not None
            return self.exclusion.refusal()
        return None

    def may_play(self, now: datetime) -> bool:
        """Whether the player may stake money now. One who may not (timed out, self-excluded,
        blocked) can no longer meet the rules meant for players who play, such as wagering
        deposits before withdrawing them (`domain.withdrawal_policy`): those rules are waived. The
        exclusion must have been read (`with_exclusion`) for this answer to count it."""
        return self.refusal(Operation.BET, now) is None

    def require(self, operation: Operation, now: datetime) -> None:
        refusal = self.refusal(operation, now)
        if refusal is not None:
            raise refusal
