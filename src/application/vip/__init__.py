"""VIP levels, rakeback and the daily play-money bonus (docs/bonuses.md)."""

from application.vip.claim_rakeback import ClaimRakeback
from application.vip.daily_bonus import ClaimDailyBonus, DailyBonusResult
from application.vip.status import GetVipStatus, VipStatus

__all__ = ["ClaimDailyBonus", "ClaimRakeback", "DailyBonusResult", "GetVipStatus", "VipStatus"]
