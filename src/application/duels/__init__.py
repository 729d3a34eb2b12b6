"""Duels in group chats (docs/duels.md), one use case a module:

- `challenge`: `ChallengeDuel`, the duel made and the challenger's stake in escrow;
- `accept`: `AcceptDuel`, the challenged player's stake in escrow; `decline`: `DeclineDuel`;
- `roll`: `RecordDuelRoll`, a die the bot sent, settling the duel when it decides it;
- `expire`: `ExpireDuels`, the job that refunds duels not accepted or not rolled in time;
- `lobby_seats`: `OpenLobby`, `JoinLobby`, `LeaveLobby`, `StartLobby` (lobbies of 2–10);
- `lobby_roll`: `RecordLobbyRoll`, `ExpireLobbies`; `lobby_books`: what they share.
- `settle`: `DuelSettlement`, the one road out of the escrow (settlement or refund), which
  splits the cut with the group's owner;
- `groups`: `RecordDuelGroup`, `FindDuelGroup`, `ReportGroupDuels` (the groups duels are
  played in, and `/groupstats`).

The names below are re-exported so that doors import `application.duels`."""

from application.duels.accept import AcceptDuel
from application.duels.challenge import ChallengeDuel, ChallengeDuelCommand
from application.duels.decline import DeclineDuel
from application.duels.errors import DuelistUnknown, OpponentUnavailable
from application.duels.expire import ExpireDuels
from application.duels.groups import (
    FindDuelGroup,
    GroupDuelReport,
    RecordDuelGroup,
    ReportGroupDuels,
)
from application.duels.lobby_books import LobbyPlayers
from application.duels.lobby_roll import ExpireLobbies, RecordLobbyRoll, RecordLobbyRollCommand
from application.duels.lobby_seats import (
    JoinLobby,
    LeaveLobby,
    OpenLobby,
    OpenLobbyCommand,
    StartLobby,
)
from application.duels.roll import RecordDuelRoll, RecordDuelRollCommand
from application.duels.settle import DuelSettlement

__all__ = [
    "AcceptDuel",
    "ChallengeDuel",
    "ChallengeDuelCommand",
    "DeclineDuel",
    "DuelSettlement",
    "DuelistUnknown",
    "ExpireDuels",
    "ExpireLobbies",
    "FindDuelGroup",
    "GroupDuelReport",
    "JoinLobby",
    "LeaveLobby",
    "LobbyPlayers",
    "OpenLobby",
    "OpenLobbyCommand",
    "OpponentUnavailable",
    "RecordDuelGroup",
    "RecordDuelRoll",
    "RecordDuelRollCommand",
    "RecordLobbyRoll",
    "RecordLobbyRollCommand",
    "ReportGroupDuels",
    "StartLobby",
]
