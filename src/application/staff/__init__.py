"""Staff accounts: creation, login (password, optional TOTP), tokens and API keys; and the
`Actor` every audited use case names.

One use case a module: `create`, `login`, `authenticate`, `keys`, `totp`, `password`; `actor`
apart."""

from application.staff.actor import Actor
from application.staff.authenticate import AuthenticateStaff
from application.staff.create import CreateStaff
from application.staff.keys import (
    STAFF_KEY_PREFIX,
    IssuedStaffKey,
    IssueStaffKey,
    ListStaffKeys,
    RevokeStaffKey,
)
from application.staff.login import Login, Session
from application.staff.password import ChangePassword, SetStaffDisabled
from application.staff.totp import ConfirmTotp, EnableTotp, TotpEnrolment

__all__ = [
    "STAFF_KEY_PREFIX",
    "Actor",
    "AuthenticateStaff",
    "ChangePassword",
    "ConfirmTotp",
    "CreateStaff",
    "EnableTotp",
    "IssueStaffKey",
    "IssuedStaffKey",
    "ListStaffKeys",
    "Login",
    "RevokeStaffKey",
    "Session",
    "SetStaffDisabled",
    "TotpEnrolment",
]
