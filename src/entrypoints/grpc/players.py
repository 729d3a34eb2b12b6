"""PlayersService: what an internal service records for a player, acting by its key name."""

from __future__ import annotations

import grpc
from dishka.integrations.grpcio import FromDishka, inject

from application.onboarding import AcceptTerms
from application.staff import Actor
from croupier.v1 import players_pb2, players_pb2_grpc
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
