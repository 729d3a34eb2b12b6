"""Staff accounts: creation, login (password, optional TOTP), tokens and API keys; and the
`Actor` every audited use case names.

One use case a module: `create`, `login`, `authenticate`, `keys`, `totp`; `actor` apart."""

from application.staff.actor import Actor
from application.staff.authenticate import AuthenticateStaff
from application.staff.create import CreateStaff
from application.staff.keys import STAFF_KEY_PREFIX, IssuedStaffKey, IssueStaffKey
from application.staff.login import Login, Session
from application.staff.totp import EnableTotp, TotpEnrolment

__all__ = [
    "STAFF_KEY_PREFIX",
    "Actor",
    "AuthenticateStaff",
    "CreateStaff",
    "EnableTotp",
    "IssueStaffKey",
    "IssuedStaffKey",
    "Login",
    "Session",
    "TotpEnrolment",
]
