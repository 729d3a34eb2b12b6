"""Players: registration and onboarding (the bot and the Mini App), the staff's player
directory (search, profile, notes, block / unblock), and the rotation of the keys personal
data is sealed with."""

from __future__ import annotations

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.personal_data import PersonalDataCipher
from adapters.postgres.admin_queries import SqlPlayerDirectory
from adapters.postgres.personal_rotation import SqlPersonalDataRotation
from application.campaigns import WelcomeOnAcceptance
from application.onboarding import AcceptTerms, EnsurePlayer, SetLanguage, StartPlayer
from application.personal_data_rotation import CountStaleSeals, ResealPersonalData
from application.player_admin import (
    AddPlayerNote,
    BlockPlayer,
    GetPlayerProfile,
    ListPlayerNotes,
    SearchPlayers,
    UnblockPlayer,
)
from application.ports import PersonalDataRotation, PlayerDirectory
from application.registration import OpenWallet, RegisterPlayer


class PlayersProvider(Provider):
    """The player directory's read model (one per process, on the shared engine) and the
    players' use cases (one per request)."""

    scope = Scope.REQUEST

    @provide(scope=Scope.APP)
    def player_directory(
        self, engine: AsyncEngine, personal: PersonalDataCipher
    ) -> PlayerDirectory:
        return SqlPlayerDirectory(engine, personal)

    @provide(scope=Scope.APP)
    def personal_data_rotation(
        self, engine: AsyncEngine, personal: PersonalDataCipher
    ) -> PersonalDataRotation:
        return SqlPersonalDataRotation(engine, personal)

    register_player = provide(RegisterPlayer)
    open_wallet = provide(OpenWallet)
    start_player = provide(StartPlayer)
    ensure_player = provide(EnsurePlayer)
    # Accepting the terms grants the welcome campaigns (application/campaigns/no_deposit.py).
    accept_terms = provide(WelcomeOnAcceptance, provides=AcceptTerms)
    set_language = provide(SetLanguage)
    search_players = provide(SearchPlayers)
    get_player_profile = provide(GetPlayerProfile)
    list_player_notes = provide(ListPlayerNotes)
    block_player = provide(BlockPlayer)
    unblock_player = provide(UnblockPlayer)
    add_player_note = provide(AddPlayerNote)
    count_stale_seals = provide(CountStaleSeals)
    reseal_personal_data = provide(ResealPersonalData)
