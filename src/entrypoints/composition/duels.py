"""Duels in group chats (docs/duels.md): the bot's group commands and the expiry job."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.duels import (
    AcceptDuel,
    ChallengeDuel,
    DeclineDuel,
    ExpireDuels,
    ExpireLobbies,
    FindDuelGroup,
    JoinLobby,
    LeaveLobby,
    LobbyPlayers,
    OpenLobby,
    RecordDuelGroup,
    RecordDuelRoll,
    RecordLobbyRoll,
    ReportGroupDuels,
    StartLobby,
)
from domain.duels import DuelRules
from domain.duels_collusion import CollusionPolicy
from entrypoints.settings import Settings


class DuelsProvider(Provider):
    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def duel_rules(self, settings: Settings) -> DuelRules:
        return settings.duel_rules()

    @provide(scope=Scope.APP)
    def collusion_policy(self, settings: Settings) -> CollusionPolicy:
        return settings.duel_collusion_policy()

    challenge_duel = provide(ChallengeDuel)
    accept_duel = provide(AcceptDuel)
    decline_duel = provide(DeclineDuel)
    record_duel_roll = provide(RecordDuelRoll)
    expire_duels = provide(ExpireDuels)
    # Lobbies of 2–10 players, on the duels' rules.
    open_lobby = provide(OpenLobby)
    join_lobby = provide(JoinLobby)
    leave_lobby = provide(LeaveLobby)
    start_lobby = provide(StartLobby)
    record_lobby_roll = provide(RecordLobbyRoll)
    expire_lobbies = provide(ExpireLobbies)
    lobby_players = provide(LobbyPlayers)
    record_duel_group = provide(RecordDuelGroup)
    find_duel_group = provide(FindDuelGroup)
    report_group_duels = provide(ReportGroupDuels)
