"""The lean reference (issue 19): the stack's own floor for a settled bet.

A small grpc.aio service (on uvloop when installed) answering the same
`croupier.v1.BettingService` calls the load generator drives — `PlayInstant`, `StreamBets` and
`PlaceBatch` — by running the reference bet (reference-bet.sql: debit the wallet if it has the
stake, insert the bet, insert its two entries) as ONE statement on asyncpg, in the reference
database that reference.py creates (wallet/bet/entry, players 1..N). No authentication, no
game, no application import: what is left is what grpc.aio, asyncpg and PostgreSQL cost.

- `PlayInstant`, `--unary single`: one statement (`ONE`, prepared once per connection) per
  call, on one of `--connections` connections; its implicit transaction commits it.
- `PlayInstant`, `--unary batched`, and `StreamBets` always: the bet joins a queue; each of
  `--batchers` workers (a connection each) takes every bet waiting at that moment (up to
  1,000) and runs them as one statement (`MANY`, set-based) and one commit. A bet that finds a
  worker idle goes at once, alone.
- `PlaceBatch`: the message's bets as one `MANY` statement on a connection of the pool.

A player's bets in one `MANY` are taken together: the wallet is debited once by their sum, or
all of them are refused (FAILED_PRECONDITION). Every bet loses (payout 0), as in the reference.

    .venv/bin/python bench/lean.py --port 50099 --dsn postgresql://postgres@127.0.0.1:5432/x

It prints `ready` on stdout once it serves; SIGTERM stops it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import batch_wire
import grpc

from croupier.v1 import betting_pb2, common_pb2

SERVICE = "croupier.v1.BettingService"
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION.value[0]
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]
UNIMPLEMENTED = grpc.StatusCode.UNIMPLEMENTED.value[0]

# A bet alone: the reference transaction as one statement.
ONE = """
WITH w AS (
    UPDATE wallet SET balance = balance - $2
    WHERE player_id = $1 AND balance >= $2
    RETURNING player_id, balance
), b AS (
    INSERT INTO bet(player_id, stake, payout) SELECT player_id, $2, 0 FROM w
), e AS (
    INSERT INTO entry(account, amount)
    SELECT player_id, -$2::bigint FROM w UNION ALL SELECT 0, $2 FROM w
)
SELECT balance FROM w
"""

# Many bets: each player's wallet debited once by the sum of its bets (or not at all), every
# placed bet and its two entries inserted; one row a bet, in order, with the balance after.
# The wallets are locked in player order first (`locked` is read whole by the aggregate before
# any UPDATE), so two batches at once wait for each other instead of deadlocking.
MANY = """
WITH input AS (
    SELECT * FROM unnest($1::int[], $2::bigint[]) WITH ORDINALITY AS t(player_id, stake, n)
), locked AS (
    SELECT player_id FROM wallet WHERE player_id = ANY($1::int[])
    ORDER BY player_id FOR UPDATE
), debit AS (
    SELECT player_id, sum(stake)::bigint AS total
    FROM input JOIN locked USING (player_id) GROUP BY player_id
), w AS (
    UPDATE wallet SET balance = wallet.balance - debit.total FROM debit
    WHERE wallet.player_id = debit.player_id AND wallet.balance >= debit.total
    RETURNING wallet.player_id, wallet.balance
), placed AS (
    SELECT input.player_id, input.stake FROM input JOIN w USING (player_id)
), b AS (
    INSERT INTO bet(player_id, stake, payout) SELECT player_id, stake, 0 FROM placed
), e AS (
    INSERT INTO entry(account, amount)
    SELECT player_id, -stake FROM placed UNION ALL SELECT 0, stake FROM placed
)
SELECT w.balance FROM input LEFT JOIN w USING (player_id) ORDER BY input.n
"""


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _answer(request: betting_pb2.PlaceBetRequest, balance: int) -> betting_pb2.BetResponse:
    currency = request.stake.currency
    return betting_pb2.BetResponse(
        bet=betting_pb2.Bet(
            bet_id=request.bet_id,
            player_id=request.player_id,
            game=request.game,
            stake=request.stake,
            state=betting_pb2.BET_STATE_LOST,
            multiplier="0",
            payout=common_pb2.Money(amount=0, currency=currency),
        ),
        balance=common_pb2.Money(amount=balance, currency=currency),
    )


def _parse(request: betting_pb2.PlaceBetRequest) -> tuple[int, int]:
    try:
        player = int(request.player_id)
    except ValueError:
        raise Refused(INVALID_ARGUMENT, "player_id is not a number") from None
    if request.stake.amount <= 0:
        raise Refused(INVALID_ARGUMENT, "stake must be positive")
    return player, request.stake.amount


async def _many(conn: asyncpg.Connection, bets: list[tuple[int, int]]) -> list[int | None]:
    """One statement, one commit for all `bets`: each bet's balance after, None if refused."""
    for attempt in range(5):
        try:
            rows = await conn.fetch(MANY, [p for p, _ in bets], [s for _, s in bets])
        except asyncpg.DeadlockDetectedError:  # two batchers met on wallets; rare, retried
            if attempt == 4:
                raise
            continue
        return [row[0] for row in rows]
    raise AssertionError("unreachable")


class Batcher:
    """Bets waiting together go as one MANY statement; `workers` batches at most at once."""

    def __init__(self, connections: list[asyncpg.Connection]) -> None:
        self._waiting: list[tuple[int, int, asyncio.Future[int | None]]] = []
        self._wake = asyncio.Event()
        self._tasks = [asyncio.create_task(self._work(conn)) for conn in connections]

    def submit(self, player: int, stake: int) -> asyncio.Future[int | None]:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((player, stake, future))
        self._wake.set()
        return future

    async def _work(self, conn: asyncpg.Connection) -> None:
        while True:
            if not self._waiting:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._waiting[: batch_wire.MAX_COMMANDS]
            del self._waiting[: batch_wire.MAX_COMMANDS]
            try:
                balances = await _many(conn, [(p, s) for p, s, _ in batch])
            except Exception as error:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, _, future), balance in zip(batch, balances, strict=True):
                if not future.done():
                    future.set_result(balance)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class Lean:
    def __init__(
        self, pool: asyncio.Queue[asyncpg.Connection], batcher: Batcher, batched_unary: bool
    ) -> None:
        self._pool = pool
        self._batcher = batcher
        self._batched_unary = batched_unary

    async def _one(self, player: int, stake: int) -> int | None:
        conn = await self._pool.get()
        try:
            value: int | None = await conn.fetchval(ONE, player, stake)
            return value
        finally:
            self._pool.put_nowait(conn)

    async def play_instant(
        self, request: betting_pb2.PlaceBetRequest, context: grpc.aio.ServicerContext
    ) -> betting_pb2.BetResponse:
        try:
            player, stake = _parse(request)
        except Refused as refused:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(refused))
        if self._batched_unary:
            balance = await self._batcher.submit(player, stake)
        else:
            balance = await self._one(player, stake)
        if balance is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "insufficient funds")
        return _answer(request, balance)

    async def stream_bets(
        self, commands: AsyncIterator[betting_pb2.BetCommand], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[betting_pb2.BetResult]:
        """Commands are read as they come; each result goes out as soon as its batch is done."""
        results: asyncio.Queue[betting_pb2.BetResult | None] = asyncio.Queue()

        def deliver(command: betting_pb2.BetCommand, future: asyncio.Future[int | None]) -> None:
            if future.exception() is not None:
                results.put_nowait(_error(command, grpc.StatusCode.INTERNAL.value[0], "failed"))
            elif future.result() is None:
                results.put_nowait(_error(command, FAILED_PRECONDITION, "insufficient funds"))
            else:
                results.put_nowait(
                    betting_pb2.BetResult(
                        correlation_id=command.correlation_id,
                        ok=_answer(command.place, future.result()),  # type: ignore[arg-type]
                    )
                )

        read_in_all = 0

        async def read() -> None:
            nonlocal read_in_all
            async for command in commands:
                read_in_all += 1
                if not command.HasField("place"):
                    results.put_nowait(_error(command, UNIMPLEMENTED, "only place"))
                    continue
                try:
                    player, stake = _parse(command.place)
                except Refused as refused:
                    results.put_nowait(_error(command, refused.code, str(refused)))
                    continue
                future = self._batcher.submit(player, stake)
                future.add_done_callback(lambda f, c=command: deliver(c, f))
            results.put_nowait(None)  # every command read has or will have one result

        reader = asyncio.create_task(read())
        answered, all_read = 0, False
        try:
            while not (all_read and answered == read_in_all):
                result = await results.get()
                if result is None:
                    all_read = True
                    continue
                answered += 1
                yield result
        finally:
            reader.cancel()

    async def place_batch(self, data: bytes, context: grpc.aio.ServicerContext) -> bytes:
        commands = batch_wire.commands(data)
        if len(commands) > batch_wire.MAX_COMMANDS:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "at most 1,000 commands")
        answers: list[betting_pb2.BetResult | None] = [None] * len(commands)
        bets: list[tuple[int, int]] = []
        where: list[int] = []
        for i, command in enumerate(commands):
            if not command.HasField("place"):
                answers[i] = _error(command, UNIMPLEMENTED, "only place")
                continue
            try:
                bets.append(_parse(command.place))
            except Refused as refused:
                answers[i] = _error(command, refused.code, str(refused))
                continue
            where.append(i)
        if bets:
            conn = await self._pool.get()
            try:
                balances = await _many(conn, bets)
            finally:
                self._pool.put_nowait(conn)
            for i, balance in zip(where, balances, strict=True):
                command = commands[i]
                answers[i] = (
                    _error(command, FAILED_PRECONDITION, "insufficient funds")
                    if balance is None
                    else betting_pb2.BetResult(
                        correlation_id=command.correlation_id, ok=_answer(command.place, balance)
                    )
                )
        return batch_wire.encode(a for a in answers if a is not None)


def _error(command: betting_pb2.BetCommand, code: int, message: str) -> betting_pb2.BetResult:
    return betting_pb2.BetResult(
        correlation_id=command.correlation_id,
        error=betting_pb2.BetError(code=code, message=message),
    )


def _handlers(lean: Lean) -> grpc.GenericRpcHandler:
    methods: dict[str, Any] = {
        "PlayInstant": grpc.unary_unary_rpc_method_handler(
            lean.play_instant,
            request_deserializer=betting_pb2.PlaceBetRequest.FromString,
            response_serializer=betting_pb2.BetResponse.SerializeToString,
        ),
        "StreamBets": grpc.stream_stream_rpc_method_handler(
            lean.stream_bets,
            request_deserializer=betting_pb2.BetCommand.FromString,
            response_serializer=betting_pb2.BetResult.SerializeToString,
        ),
        "PlaceBatch": grpc.unary_unary_rpc_method_handler(
            lean.place_batch,
            request_deserializer=batch_wire.raw,
            response_serializer=batch_wire.raw,
        ),
    }
    return grpc.method_handlers_generic_handler(SERVICE, methods)


async def serve(args: argparse.Namespace) -> None:
    pool: asyncio.Queue[asyncpg.Connection] = asyncio.Queue()
    count = args.connections + args.batchers
    opened = await asyncio.gather(*(asyncpg.connect(args.dsn) for _ in range(count)))
    for conn in opened[: args.connections]:
        pool.put_nowait(conn)
    batcher = Batcher(list(opened[args.connections :]))
    server = grpc.aio.server(options=[("grpc.max_concurrent_streams", 1000)])
    server.add_generic_rpc_handlers((_handlers(Lean(pool, batcher, args.unary == "batched")),))
    server.add_insecure_port(f"127.0.0.1:{args.port}")
    await server.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await server.stop(grace=1)
    await batcher.close()
    await asyncio.gather(*(conn.close() for conn in opened), return_exceptions=True)


def loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True, help="the reference database (reference.py)")
    parser.add_argument("--connections", type=int, default=20, help="pool for single statements")
    parser.add_argument("--batchers", type=int, default=2, help="batches at most at once")
    parser.add_argument("--unary", choices=["single", "batched"], default="single")
    args = parser.parse_args()
    factory = None
    with contextlib.suppress(ImportError):
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
