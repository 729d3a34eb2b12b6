"""MinesService over a real socket: a game from open to cash-out, the "betting" scope, and bad
input answered INVALID_ARGUMENT / FAILED_PRECONDITION / NOT_FOUND naming the problem, never
INTERNAL."""

from __future__ import annotations

import uuid

import grpc
import pytest

from croupier.v1 import mines_pb2, mines_pb2_grpc
from tests.entrypoints.grpc_calls import bad_fields, rpc_error, rpc_reason, xtr
from tests.entrypoints.mines_cap import (
    CAP_PAYOUT,
    CAP_TILES,
    CAPPED_MINES,
    CAPPED_STAKE,
    footprint,
    positions,
    safe_tiles,
)

pytestmark = pytest.mark.usefixtures("books")


@pytest.fixture
def mines(channel):
    return mines_pb2_grpc.MinesServiceStub(channel)


def _open(pid: str, mines: int = 1, stake: int = 10, request_id: str | None = None):
    return mines_pb2.OpenMinesRequest(
        player_id=pid, request_id=request_id or str(uuid.uuid4()), stake=xtr(stake), mines=mines
    )


async def _safe_game(mines, md, pid: str) -> mines_pb2.MinesGame:
    """A one-mine game with a safe tile revealed (tile 0, or a new game when it was the mine)."""
    while True:
        game = await mines.Open(_open(pid), metadata=md)
        step = await mines.Reveal(
            mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=0), metadata=md
        )
        if step.state == mines_pb2.MINES_STATE_OPEN:
            return step


async def test_a_game_from_open_to_cash_out(mines, md, player):
    pid = await player(1000)
    request = _open(pid)
    game = await mines.Open(request, metadata=md)
    assert game.state == mines_pb2.MINES_STATE_OPEN
    assert game.multiplier == "1"
    assert game.next_multiplier == "1.0312"
    assert not game.HasField("payout")
    assert list(game.mine_positions) == []
    assert game.balance.amount == 990
    again = await mines.Open(request, metadata=md)
    assert again.replayed
    assert again.id == game.id
    got = await mines.Get(mines_pb2.GetMinesRequest(player_id=pid, currency="XTR"), metadata=md)
    assert got.id == game.id
    step = await mines.Reveal(
        mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=0), metadata=md
    )
    if step.state == mines_pb2.MINES_STATE_BUSTED:  # 1 in 25: the mine was on tile 0
        assert step.payout == 0
        assert list(step.mine_positions) == [0]
        return
    assert list(step.revealed) == [0]
    assert step.multiplier == "1.0312"
    done = await mines.CashOut(
        mines_pb2.CashOutMinesRequest(player_id=pid, game_id=game.id), metadata=md
    )
    assert done.state == mines_pb2.MINES_STATE_CASHED_OUT
    assert done.payout == 10  # 10 * 1.0312, cut
    assert len(done.mine_positions) == 1
    assert done.balance.amount == 1000
    repeat = await mines.CashOut(
        mines_pb2.CashOutMinesRequest(player_id=pid, game_id=game.id), metadata=md
    )
    assert repeat.replayed
    assert repeat.balance.amount == 1000


async def test_mines_takes_the_betting_scope(mines, issue_key, player):
    pid = await player(1000)
    wallet_only = (("x-api-key", await issue_key("wallet")),)
    error = await rpc_error(mines.Open(_open(pid), metadata=wallet_only))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"mines": 0}, "1-24 mines"),
        ({"mines": 25}, "1-24 mines"),
        ({"request_id": "not-a-uuid"}, "request_id"),
        ({"amount": 0}, "amount must be positive"),
    ],
)
async def test_bad_opens_are_invalid_argument(mines, md, player, change, named):
    request = _open(await player(1000))
    for key, value in change.items():
        if key == "amount":
            request.stake.amount = value
        else:
            setattr(request, key, value)
    error = await rpc_error(mines.Open(request, metadata=md))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert named in error.details()


async def test_refusals_name_the_problem(mines, md, player):
    pid = await player(1000)
    game = await mines.Open(_open(pid), metadata=md)
    second = await rpc_error(mines.Open(_open(pid), metadata=md))
    assert second.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "open mines game" in second.details()
    early = await rpc_error(
        mines.CashOut(mines_pb2.CashOutMinesRequest(player_id=pid, game_id=game.id), metadata=md)
    )
    assert early.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "reveal a safe tile" in early.details()
    off = await rpc_error(
        mines.Reveal(
            mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=25), metadata=md
        )
    )
    assert off.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "0-24" in off.details()
    other = await player(1000)
    stranger = await rpc_error(
        mines.Reveal(
            mines_pb2.RevealTileRequest(player_id=other, game_id=game.id, tile=1), metadata=md
        )
    )
    assert stranger.code() == grpc.StatusCode.NOT_FOUND
    none = await rpc_error(
        mines.Get(mines_pb2.GetMinesRequest(player_id=other, currency="XTR"), metadata=md)
    )
    assert none.code() == grpc.StatusCode.NOT_FOUND
    bad_id = await rpc_error(
        mines.Get(mines_pb2.GetMinesRequest(player_id=pid, game_id="x"), metadata=md)
    )
    assert bad_id.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(bad_id) == ["game_id"]
    too_big = await rpc_error(mines.Open(_open(other, mines=3, stake=10_001), metadata=md))
    assert too_big.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_reason(too_big) == "LIMIT_EXCEEDED"


async def test_a_finished_game_refuses_new_tiles(mines, md, player):
    pid = await player(1000)
    game = await _safe_game(mines, md, pid)
    done = await mines.CashOut(
        mines_pb2.CashOutMinesRequest(player_id=pid, game_id=game.id), metadata=md
    )
    late = await rpc_error(
        mines.Reveal(
            mines_pb2.RevealTileRequest(
                player_id=pid,
                game_id=game.id,
                tile=next(t for t in range(25) if t not in done.revealed),
            ),
            metadata=md,
        )
    )
    assert late.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is over" in late.details()


async def test_a_game_plays_to_its_payout_limit_and_the_tile_beyond_is_refused(
    mines, md, player, engine
):
    """12 mines for 1 Star used to be refused at the default limit; it opens, and the tile
    that would pay over the limit is FAILED_PRECONDITION with nothing written."""
    pid = await player(1000)
    game = await mines.Open(_open(pid, mines=CAPPED_MINES, stake=CAPPED_STAKE), metadata=md)
    assert game.state == mines_pb2.MINES_STATE_OPEN
    assert game.max_payout.amount == CAP_PAYOUT
    safe = await safe_tiles(engine, game.id)
    for tile in safe[:CAP_TILES]:
        game = await mines.Reveal(
            mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=tile), metadata=md
        )
    assert game.state == mines_pb2.MINES_STATE_OPEN
    assert game.next_multiplier == ""  # open, and cashing out is the only move
    before = await footprint(engine, game.id)
    mined = (await positions(engine, game.id))[0]
    for tile in (safe[CAP_TILES], mined):
        over = await rpc_error(
            mines.Reveal(
                mines_pb2.RevealTileRequest(player_id=pid, game_id=game.id, tile=tile),
                metadata=md,
            )
        )
        assert over.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert rpc_reason(over) == "LIMIT_EXCEEDED"
        assert "the next tile would pay" in over.details()
        assert "cash out" in over.details()
    assert await footprint(engine, game.id) == before
    done = await mines.CashOut(
        mines_pb2.CashOutMinesRequest(player_id=pid, game_id=game.id), metadata=md
    )
    assert done.payout == CAP_PAYOUT
    assert done.balance.amount == 1000 - CAPPED_STAKE + CAP_PAYOUT
