"""Bonuses (docs/bonuses.md): the player's view, claim and give-up, and the jobs that expire
bonuses and convert those whose wagering is met. Granting is no door's: campaigns call
`application.bonuses.grant_bonus` inside their own use cases."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.bonuses import ConvertBonus, ExpireBonuses, ForfeitBonus, PlayerBonuses


class BonusesProvider(Provider):
    scope = Scope.REQUEST

    player_bonuses = provide(PlayerBonuses)
    convert_bonus = provide(ConvertBonus)
    forfeit_bonus = provide(ForfeitBonus)
    expire_bonuses = provide(ExpireBonuses)
