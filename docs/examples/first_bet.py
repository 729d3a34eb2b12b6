"""A first bet over gRPC, as an internal game service places it (docs/quickstart.md).

    . .croupier/seed.env                                   # from `./dev croupier dev seed`
    .venv/bin/python docs/examples/first_bet.py            # a dice bet for $DEMO_PLAYER_ID
    .venv/bin/python docs/examples/first_bet.py --telegram-id 777000111
                                                           # your own player, made first

With --telegram-id it does what a service fronting its own bot or site does for a new player:
EnsurePlayer (scope "register"), AcceptTerms once the player accepted them in its front end
("players"), a Deposit of play money ("wallet"), then the bet ("betting"). The key in
$DEMO_API_KEY has all four. Uses the stubs generated into src/croupier/v1 by every install.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid

import grpc

from croupier.v1 import (
    betting_pb2,
    betting_pb2_grpc,
    common_pb2,
    players_pb2,
    players_pb2_grpc,
    wallet_pb2,
    wallet_pb2_grpc,
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # The port the server listens on, as `croupier run` reads it.
    port = os.environ.get("CROUPIER_GRPC_PORT", "50051")
    parser.add_argument("--address", default=f"127.0.0.1:{port}", help="the gRPC server")
    parser.add_argument("--telegram-id", type=int, help="make this Telegram user a player first")
    args = parser.parse_args()
    metadata = (("x-api-key", os.environ["DEMO_API_KEY"]),)

    async with grpc.aio.insecure_channel(args.address) as channel:
        player_id = os.environ.get("DEMO_PLAYER_ID", "")
        if args.telegram_id is not None:
            players = players_pb2_grpc.PlayersServiceStub(channel)
            ensured = await players.EnsurePlayer(
                players_pb2.EnsurePlayerRequest(
                    telegram_user_id=args.telegram_id, name="quickstart", language="en"
                ),
                metadata=metadata,
            )
            player_id = ensured.player_id
            print(f"player {player_id} ({'made now' if ensured.created else 'existed'})")
            await players.AcceptTerms(
                players_pb2.AcceptTermsRequest(player_id=player_id), metadata=metadata
            )
            deposited = await wallet_pb2_grpc.WalletServiceStub(channel).Deposit(
                wallet_pb2.DepositRequest(
                    player_id=player_id,
                    amount=common_pb2.Money(amount=500, currency="XTR"),
                    external_id=f"quickstart-{args.telegram_id}",  # the same payment once
                ),
                metadata=metadata,
            )
            print(f"deposit: balance {deposited.balance.amount} {deposited.balance.currency}")

        betting = betting_pb2_grpc.BettingServiceStub(channel)
        reply = await betting.PlaceBet(
            betting_pb2.PlaceBetRequest(
                player_id=player_id,
                bet_id=str(uuid.uuid4()),  # the idempotency key: a retry places it once
                game="dice",
                stake=common_pb2.Money(amount=100, currency="XTR"),
                params={"direction": "over", "target": "50"},
            ),
            metadata=metadata,
        )
        bet = reply.bet
        print(
            f"bet {bet.bet_id}: dice rolled {bet.outcome}, {betting_pb2.BetState.Name(bet.state)},"
            f" payout {bet.payout.amount} {bet.payout.currency}"
        )
        print(f"balance {reply.balance.amount} {reply.balance.currency}")


if __name__ == "__main__":
    asyncio.run(main())
