"""Bonuses (docs/bonuses.md): `granting` (the one road into a bonus account, called inside a
campaign's, promo code's or staff's unit of work)."""

from application.bonuses.granting import grant_bonus

__all__ = ["grant_bonus"]
