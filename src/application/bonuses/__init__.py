"""Bonuses (docs/bonuses.md): `granting` (the one road into a bonus account, called inside a
campaign's, promo code's or staff's unit of work), `ending` (the one road out of it: a
conversion or a forfeit, on the bonus's locked row), `claim` (the player's claim and the
sweep), `give_up` (the player's request), `expire` (the periodic job), `status` (the player's
view)."""

from application.bonuses.claim import ConvertBonus
from application.bonuses.expire import ExpireBonuses
from application.bonuses.give_up import ForfeitBonus
from application.bonuses.granting import grant_bonus
from application.bonuses.status import BonusOverview, BonusStatus, PlayerBonuses

__all__ = [
    "BonusOverview",
    "BonusStatus",
    "ConvertBonus",
    "ExpireBonuses",
    "ForfeitBonus",
    "PlayerBonuses",
    "grant_bonus",
]
