"""Staff accounts and what each role may do."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from domain.errors import InvalidRequest

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD_LENGTH = 12


class Role(enum.StrEnum):
    VIEWER = "viewer"  # reads everything, changes nothing
    SUPPORT = "support"  # players: block, unblock, notes
    FINANCE = "finance"  # money: adjustments and their approval, withdrawals
    OPERATOR = "operator"  # games: switch on/off, limits, house edge
    ADMIN = "admin"  # everything, and staff accounts


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int
    username: str
    role: Role
    created_at: datetime
    # Bumped on password change or lock-out; tokens of an older version stop working.
    token_version: int = 0
    totp_enabled: bool = False
    disabled: bool = False

    def may(self, *roles: Role) -> bool:
        """Whether this member holds one of `roles`; an admin may do anything."""
        return not self.disabled and (self.role is Role.ADMIN or self.role in roles)


def validate_username(username: str) -> str:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidRequest(
            "a username is 2-63 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise InvalidRequest("a password has at most 1024 characters")
    return password


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise InvalidRequest(f"roles are {', '.join(r.value for r in Role)}") from None


class AuditAction(enum.StrEnum):
    """Significant events, logged append-only with who, what, when, from where."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    STAFF_CREATED = "staff_created"
    STAFF_KEY_ISSUED = "staff_key_issued"
    STAFF_KEY_REVOKED = "staff_key_revoked"
    TOTP_ENABLED = "totp_enabled"  # confirmed by a first code
    TOTP_ENROLMENT_STARTED = "totp_enrolment_started"  # a new secret waits for its code
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  # nosec B105 - an action's name, not a password
    STAFF_DISABLED = "staff_disabled"
    STAFF_ENABLED = "staff_enabled"
    PLAYER_BLOCKED = "player_blocked"
    PLAYER_UNBLOCKED = "player_unblocked"
    PLAYER_NOTE_ADDED = "player_note_added"
    TERMS_ACCEPTED = "terms_accepted"  # 18+ and the terms, first time only
    PLAYER_REGISTERED = "player_registered"  # by an internal service (the bot's are not)
    ADJUSTMENT_REQUESTED = "adjustment_requested"
    ADJUSTMENT_APPROVED = "adjustment_approved"
    ADJUSTMENT_REJECTED = "adjustment_rejected"
    ADJUSTMENT_POSTED = "adjustment_posted"
    GAME_CHANGED = "game_changed"
    AGGREGATOR_GAME_CHANGED = "aggregator_game_changed"  # the operator's switch of one
    BET_VOIDED = "bet_voided"
    DICE_SUBMITTED = "dice_submitted"  # a service key told us what a Telegram dice showed
    EXPORT = "export"
    LIMIT_SET = "limit_set"
    LIMIT_INCREASE_REQUESTED = "limit_increase_requested"
    LIMIT_INCREASE_CONFIRMED = "limit_increase_confirmed"
    LIMIT_REMOVAL_REQUESTED = "limit_removal_requested"
    LIMIT_REMOVED = "limit_removed"
    DEPOSIT_PROMPT_DECLINED = "deposit_prompt_declined"  # "No limit for now" at the prompt
    TIMEOUT_STARTED = "timeout_started"
    SELF_EXCLUDED = "self_excluded"
    REALITY_CHECK_SET = "reality_check_set"
    REALITY_CHECK_ACKNOWLEDGED = "reality_check_acknowledged"
    STARS_REFUND_STARTED = "stars_refund_started"
    STARS_REFUNDED = "stars_refunded"
    STARS_REFUND_FAILED = "stars_refund_failed"
    WITHDRAWAL_REQUESTED = "withdrawal_requested"
    WITHDRAWAL_FIRST_APPROVAL = "withdrawal_first_approval"
    WITHDRAWAL_APPROVED = "withdrawal_approved"
    WITHDRAWAL_REJECTED = "withdrawal_rejected"
    WITHDRAWAL_PAID = "withdrawal_paid"
    WITHDRAWAL_FAILED = "withdrawal_failed"
    WITHDRAWAL_CANCELLED = "withdrawal_cancelled"
    KYC_STATUS_SET = "kyc_status_set"
    RISK_FLAG_RAISED = "risk_flag_raised"
    RISK_FLAG_RESOLVED = "risk_flag_resolved"
    RISK_FLAG_DISMISSED = "risk_flag_dismissed"
    LARGE_WIN = "large_win"
    LARGE_WAGER = "large_wager"
    OUTCOME_ALERT = "outcome_alert"  # a game's outcomes fail the chi-square test
    RTP_DRIFT_ALERT = "rtp_drift_alert"  # a game's actual RTP drifts from theory
    # Campaigns (docs/bonuses.md): the staff's steps, and every bonus a campaign grants.
    CAMPAIGN_CREATED = "campaign_created"
    CAMPAIGN_APPROVED = "campaign_approved"
    CAMPAIGN_PAUSED = "campaign_paused"
    CAMPAIGN_RESUMED = "campaign_resumed"
    CAMPAIGN_ENDED = "campaign_ended"
    CAMPAIGN_GRANTED = "campaign_granted"
    # Raises of a promotion budget's total (docs/bonuses.md#raising-a-budget).
    BUDGET_RAISED = "budget_raised"  # applied at once, under the four-eyes threshold
    BUDGET_RAISE_REQUESTED = "budget_raise_requested"  # awaiting a second staff member
    BUDGET_RAISE_APPROVED = "budget_raise_approved"
    BUDGET_RAISE_REJECTED = "budget_raise_rejected"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: AuditAction
    at: datetime
    actor: str  # "staff:<username>", "player:<id>", "service:<key name>", "system"...
    subject: str = ""  # what it was done to: "player:42", "game:dice", "staff:alice"
    source: str = ""  # where from: the client address
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StaffKey:
    """An API key for automation; it acts with its owner's role. Only the secret's hash is
    kept (see domain.access for the format and the constant-time check)."""

    key_id: str
    staff_id: int
    label: str
    secret_hash: bytes
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)
