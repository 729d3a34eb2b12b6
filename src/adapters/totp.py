"""TOTP second factor (RFC 6238) with pyotp."""

from __future__ import annotations

from datetime import datetime

import pyotp


class TotpCodes:
    def new_secret(self) -> str:
        return pyotp.random_base32()

    def verify(self, secret: str, code: str, now: datetime) -> bool:
        code = code.strip()
        if not code.isdigit():
            return False
        # One step either side absorbs clock drift between the server and the phone.
        return bool(pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1))

    def provisioning_uri(self, secret: str, username: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Croupier")
