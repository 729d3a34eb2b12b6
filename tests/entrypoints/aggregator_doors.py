"""The seamless wallet's two doors driven alike, for the scenarios both must pass
(test_aggregator_wallet.py): the gRPC `SeamlessWalletService` with a provider's API key, and
the Hub88-style HTTP wallet with an aggregator's RSA-signed bodies. Each call answers with
what its door said (a status name) and the player's balance in whole ⭐ when it gave one."""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from croupier.v1 import seamless_pb2, seamless_pb2_grpc
from entrypoints.http.aggregator_wire import SIGNATURE_HEADER
from tests.entrypoints.grpc_calls import xtr

WIRE = 100_000  # one ⭐ on Hub88's wire


@dataclass(frozen=True)
class Said:
    status: str  # "OK" or a gRPC code's name; RS_… for HTTP
    balance: int | None = None  # whole ⭐


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey

    @classmethod
    def new(cls) -> KeyPair:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def sign(self, body: bytes) -> str:
        raw = self.private.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    def verify(self, body: bytes, signature: str) -> None:
        self.private.public_key().verify(
            base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256()
        )

    def write_public(self, path: Path) -> Path:
        path.write_bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return path

    def write_private(self, path: Path) -> Path:
        path.write_bytes(
            self.private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return path


class GrpcDoor:
    def __init__(self, channel: grpc.aio.Channel, md: Any, provider: str, player: str) -> None:
        self._stub = seamless_pb2_grpc.SeamlessWalletServiceStub(channel)
        self._md = md
        self.provider = provider
        self.player = player

    async def _said(self, call: Any) -> Said:
        try:
            answer = await call
        except grpc.aio.AioRpcError as error:
            return Said(error.code().name)
        return Said("OK", answer.balance.amount)

    def _movement(self, tx: str, round_id: str, amount: int) -> seamless_pb2.SeamlessRequest:
        return seamless_pb2.SeamlessRequest(
            player_id=self.player,
            amount=xtr(amount),
            transaction_id=tx,
            round_id=round_id,
            game_id="slots-1",
        )

    async def bet(self, tx: str, round_id: str, amount: int) -> Said:
        return await self._said(
            self._stub.Debit(self._movement(tx, round_id, amount), metadata=self._md)
        )

    async def win(self, tx: str, bet: str, round_id: str, amount: int) -> Said:
        return await self._said(
            self._stub.Credit(self._movement(tx, round_id, amount), metadata=self._md)
        )

    async def rollback(self, tx: str, bet: str, round_id: str) -> Said:
        request = seamless_pb2.RollbackRequest(
            player_id=self.player, transaction_id=bet, round_id=round_id, currency="XTR"
        )
        return await self._said(self._stub.Rollback(request, metadata=self._md))


class HttpDoor:
    """An aggregator: signs each body with its key, checks each answer's signature with
    Croupier's public key."""

    def __init__(
        self, client: Any, aggregator: str, key: KeyPair, ours: KeyPair, player: str, token: str
    ) -> None:
        self._client = client
        self.provider = aggregator
        self._key = key
        self._ours = ours
        self.player = player
        self.token = token
        # Every money call sent and what it was answered: (route, body, answer's bytes).
        self.sent: list[tuple[str, bytes, bytes]] = []

    async def post(self, route: str, fields: dict[str, Any], *, signature: str | None = None):
        body = json.dumps({"user": self.player, "request_uuid": secrets.token_hex(8), **fields})
        content = await self.send(route, body.encode(), signature=signature)
        if route.startswith("/transaction/"):
            self.sent.append((route, body.encode(), content))
        return json.loads(content)

    async def send(self, route: str, raw: bytes, *, signature: str | None = None) -> bytes:
        """POST these exact bytes, signed; the answer's bytes, its signature checked."""
        headers = {
            SIGNATURE_HEADER: self._key.sign(raw) if signature is None else signature,
            "content-type": "application/json",
        }
        response = await self._client.post(
            f"/aggregators/{self.provider}{route}", content=raw, headers=headers
        )
        assert response.status_code == 200, response.text
        self._ours.verify(response.content, response.headers[SIGNATURE_HEADER])  # raises if not
        return response.content

    @staticmethod
    def _said(answer: dict[str, Any]) -> Said:
        balance = answer.get("balance")
        if balance is not None:
            assert balance % WIRE == 0, answer
            assert answer["currency"] == "XTR", answer
        return Said(answer["status"], None if balance is None else balance // WIRE)

    async def info(self, token: str | None = None) -> Said:
        return self._said(await self.post("/user/info", {"token": token or self.token}))

    async def balance(self, token: str | None = None) -> Said:
        return self._said(await self.post("/user/balance", {"token": token or self.token}))

    async def bet(
        self, tx: str, round_id: str, amount: int, *, token: str | None = None, **extra: Any
    ) -> Said:
        fields = {
            "transaction_uuid": tx,
            "round": round_id,
            "currency": "XTR",
            "amount": amount * WIRE,
            "token": token or self.token,
            "game_code": "slots-1",
            **extra,
        }
        return self._said(await self.post("/transaction/bet", fields))

    async def win(
        self, tx: str, bet: str, round_id: str, amount: int, *, token: str | None = None
    ) -> Said:
        fields = {
            "transaction_uuid": tx,
            "reference_transaction_uuid": bet,
            "round": round_id,
            "currency": "XTR",
            "amount": amount * WIRE,
            "token": token or self.token,
            "game_code": "slots-1",
        }
        return self._said(await self.post("/transaction/win", fields))

    async def replay_all(self) -> list[tuple[bytes, bytes]]:
        """Every money call sent so far, sent again as it was (the same request_uuid and
        bytes): (the first answer, this one) each."""
        return [(first, await self.send(route, body)) for route, body, first in list(self.sent)]

    async def rollback(self, tx: str, bet: str, round_id: str, *, token: str | None = None) -> Said:
        fields = {
            "transaction_uuid": tx,
            "reference_transaction_uuid": bet,
            "round": round_id,
            "token": token or self.token,
            "game_code": "slots-1",
        }
        return self._said(await self.post("/transaction/rollback", fields))


@dataclass(frozen=True)
class Books:
    """What one player's play left: the wallet, its ledger legs in order, and the provider's
    records (their ids, kinds, states and amounts)."""

    balance: int
    legs: tuple[tuple[str, int, int], ...]  # (ledger kind, amount, balance after)
    records: tuple[tuple[str, str, str, str, int | None], ...]


async def books(engine: AsyncEngine, provider: str, player: str, run: str = "") -> Books:
    """The player's books, the provider's ids without the run's prefix `run`."""
    async with engine.connect() as connection:
        balance = await connection.scalar(
            text(
                "SELECT balance FROM accounts WHERE player_id = :p AND kind = 'player_wallet' "
                "AND currency = 'XTR'"
            ),
            {"p": int(player)},
        )
        legs = await connection.execute(
            text(
                "SELECT t.kind, l.amount, l.balance_after FROM ledger_legs l "
                "JOIN ledger_transactions t ON t.id = l.transaction_id "
                "JOIN accounts a ON a.id = l.account_id "
                "WHERE a.player_id = :p AND a.kind = 'player_wallet' ORDER BY l.id"
            ),
            {"p": int(player)},
        )
        records = await connection.execute(
            text(
                "SELECT transaction_id, kind, state, round_id, amount FROM provider_transactions "
                "WHERE provider = :provider AND player_id = :p ORDER BY transaction_id"
            ),
            {"provider": provider, "p": int(player)},
        )
        return Books(
            balance,
            tuple((k, a, b) for k, a, b in legs),
            tuple((t.removeprefix(run), k, s, r.removeprefix(run), a) for t, k, s, r, a in records),
        )
