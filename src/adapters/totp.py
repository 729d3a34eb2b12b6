"""TOTP second factor (RFC 6238) with pyotp."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

import pyotp


class TotpCodes:
    def new_secret(self) -> str:
        return pyotp.random_base32()

    def step(self, secret: str, code: str, now: datetime) -> int | None:
        code = code.strip()
        if not code.isdigit() or len(code) != 6:
            return None
        totp = pyotp.TOTP(secret)
        # One step either side absorbs clock drift between the server and the phone; the step
        # is returned so the caller can refuse it a second time.
        for drift in (-1, 0, 1):
            at = now + timedelta(seconds=drift * totp.interval)
            if hmac.compare_digest(totp.at(at), code):
                return int(totp.timecode(at))
        return None

    def provisioning_uri(self, secret: str, username: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Croupier")
