"""Which services' methods the gRPC server registers with grpc's core (issue 19): only the
betting services'; every service's generic handler is added, so a method that is not
registered is still served (the wallet, players, health and reflection calls of
test_grpc.py and test_grpc_players.py go that way)."""

from __future__ import annotations

from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2_grpc

from croupier.v1 import betting_pb2_grpc, players_pb2_grpc, wallet_pb2_grpc
from entrypoints.grpc.server import _Registering


class _Recording:
    def __init__(self) -> None:
        self.generic: list[Any] = []
        self.registered: dict[str, list[str]] = {}

    def add_generic_rpc_handlers(self, handlers: Any) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        self.registered[service] = sorted(handlers)


def test_the_betting_services_methods_are_registered_and_the_others_only_generic() -> None:
    server = _Recording()
    registering: Any = _Registering(server)  # type: ignore[arg-type]
    betting_pb2_grpc.add_BettingServiceServicer_to_server(
        betting_pb2_grpc.BettingServiceServicer(), registering
    )
    wallet_pb2_grpc.add_WalletServiceServicer_to_server(
        wallet_pb2_grpc.WalletServiceServicer(), registering
    )
    players_pb2_grpc.add_PlayersServiceServicer_to_server(
        players_pb2_grpc.PlayersServiceServicer(), registering
    )
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), registering)

    assert server.registered == {
        "croupier.v1.BettingService": [
            "GetBet",
            "PlaceBatch",
            "PlaceBet",
            "PlayInstant",
            "SettleBet",
            "StreamBets",
            "VoidBet",
        ]
    }
    # Every service is reachable through its generic handler, registered or not.
    found = {
        method: any(handler.service(_Details(method)) is not None for handler in server.generic)
        for method in (
            "/croupier.v1.BettingService/PlayInstant",
            "/croupier.v1.WalletService/Deposit",
            "/croupier.v1.PlayersService/EnsurePlayer",
            "/grpc.health.v1.Health/Check",
        )
    }
    assert found == dict.fromkeys(found, True)


class _Details(grpc.HandlerCallDetails):  # type: ignore[misc]
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata = ()
