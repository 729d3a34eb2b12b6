"""Staff adjustments with the four-eyes rule: small ones post at once, large ones wait for a
second finance user. Each step and its audit entry commit together.

One use case a module: `request`, `decide`, and the staff's `queries`, on `adjuster`."""

from application.adjustments.adjuster import AdjustmentOutcome
from application.adjustments.decide import DecideAdjustment
from application.adjustments.queries import ListAdjustments
from application.adjustments.request import RequestAdjustment

__all__ = [
    "AdjustmentOutcome",
    "DecideAdjustment",
    "ListAdjustments",
    "RequestAdjustment",
]
