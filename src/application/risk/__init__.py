"""Risk controls: the rules that raise flags for staff review (`review`, `identities`), the
flags and their review by staff (`flags`), the scan of recent play (`scan`), and the
monitoring of each game's outcomes (`monitor`). The names are re-exported here."""

from application.risk.flags import (
    GetRiskFlag,
    HasOpenRiskFlags,
    ListRiskFlags,
    ReviewRiskFlag,
)
from application.risk.identities import RecordPaymentIdentity
from application.risk.monitor import MonitorOutcomes, MonitorResult
from application.risk.review import (
    DEFAULT_RISK_REVIEW,
    MAX_MONITOR_DAYS,
    MAX_PAGE,
    SYSTEM,
    RiskReview,
)
from application.risk.scan import ScanPlayersForRisk, ScanResult

__all__ = [
    "DEFAULT_RISK_REVIEW",
    "MAX_MONITOR_DAYS",
    "MAX_PAGE",
    "SYSTEM",
    "GetRiskFlag",
    "HasOpenRiskFlags",
    "ListRiskFlags",
    "MonitorOutcomes",
    "MonitorResult",
    "RecordPaymentIdentity",
    "ReviewRiskFlag",
    "RiskReview",
    "ScanPlayersForRisk",
    "ScanResult",
]
