"""PlayersService: what an internal service records for a player, acting by its key name."""

from __future__ import annotations

import grpc
from dishka.integrations.grpcio import FromDishka, inject

from application.onboarding import AcceptTerms, EnsurePlayer, EnsurePlayerCommand
from application.staff import Actor
from croupier.v1 import players_pb2, players_pb2_grpc
from domain.players import validate_language_tag, validate_player_name, validate_telegram_user_id
from entrypoints.grpc import translate
from entrypoints.grpc.auth import current_key
from entrypoints.grpc.errors import guarded


class PlayersServicer(players_pb2_grpc.PlayersServiceServicer):
    @guarded
    @inject
    async def AcceptTerms(
        self,
        request: players_pb2.AcceptTermsRequest,
        context: grpc.aio.ServicerContext,
        accept: FromDishka[AcceptTerms],
    ) -> players_pb2.AcceptTermsResponse:
        accepted = await accept(
            translate.player_id(request.player_id), Actor.service(current_key.get().name)
        )
        return players_pb2.AcceptTermsResponse(
            terms_accepted_at=translate.timestamp(accepted.at), replayed=accepted.replayed
        )

    @guarded
    @inject
    async def EnsurePlayer(
        self,
        request: players_pb2.EnsurePlayerRequest,
        context: grpc.aio.ServicerContext,
        ensure: FromDishka[EnsurePlayer],
    ) -> players_pb2.EnsurePlayerResponse:
        command = EnsurePlayerCommand(
            translate.checked(
                "telegram_user_id", validate_telegram_user_id, request.telegram_user_id
            ),
            translate.checked("name", validate_player_name, request.name),
            translate.checked("language", validate_language_tag, request.language or "en"),
        )
        onboarded = await ensure(command, Actor.service(current_key.get().name))
        return players_pb2.EnsurePlayerResponse(
            player_id=str(onboarded.player.id),
            created=onboarded.created,
            terms_accepted=onboarded.preferences.terms_accepted,
        )
