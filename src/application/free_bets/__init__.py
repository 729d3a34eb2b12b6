"""Free bets (docs/bonuses.md, "Free bets"): a stake the house pays on a chosen game, the
winnings a bonus. Granted by the campaign road (`application.campaigns`, a campaign of kind
`free_bet`), which calls `granting`.

One use case a module: `play` (every door's), `status` (the player's view), `expire` (a step
of the bonuses' expiry job)."""

from application.free_bets.expire import ExpireFreeBets
from application.free_bets.play import FreeBetResult, PlayFreeBet
from application.free_bets.status import FreeBetOverview, PlayerFreeBets

__all__ = [
    "ExpireFreeBets",
    "FreeBetOverview",
    "FreeBetResult",
    "PlayFreeBet",
    "PlayerFreeBets",
]
