"""Free bets (docs/bonuses.md, "Free bets"): playing one (every door's one road), the
player's view and the expiry step of the bonuses' job. Granting is the campaigns' road."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.free_bets import ExpireFreeBets, PlayerFreeBets, PlayFreeBet


class FreeBetsProvider(Provider):
    scope = Scope.REQUEST

    play_free_bet = provide(PlayFreeBet)
    player_free_bets = provide(PlayerFreeBets)
    expire_free_bets = provide(ExpireFreeBets)
