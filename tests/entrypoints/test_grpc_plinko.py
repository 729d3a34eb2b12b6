"""Plinko over real gRPC: PlayInstant drops a ball on the one road (PlaceBet), the answer
shows the path and the slot, and bad parameters are INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import re
import uuid
from fractions import Fraction

import grpc
import pytest
from sqlalchemy import text

from adapters.seed_cipher import SeedCipher
from croupier.v1 import betting_pb2
from domain.fairness import uint32_stream
from domain.games.plinko import Plinko
from tests.entrypoints.grpc_calls import bad_fields, rpc_error, rpc_reason, xtr
from tests.written import row_counts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

PLINKO = Plinko()


def _drop(player_id: str, **params: str) -> betting_pb2.PlaceBetRequest:
    return betting_pb2.PlaceBetRequest(
        player_id=player_id,
        bet_id=str(uuid.uuid4()),
        game="plinko",
        stake=xtr(10),
        params=params,
    )


async def test_play_instant_drops_a_ball_from_the_seeds(betting, md, player, engine, grpc_settings):
    pid = await player(1000)
    for nonce, (rows, risk) in enumerate((("8", "low"), ("12", "medium"), ("16", "high"))):
        played = await betting.PlayInstant(_drop(pid, rows=rows, risk=risk), metadata=md)
        bet = played.bet
        assert bet.game == "plinko"
        assert dict(bet.params) == {"rows": rows, "risk": risk}
        assert bet.fairness.nonce == nonce
        shown = re.fullmatch(rf"slot (\d+) of 0-{rows}, path ([LR]{{{rows}}})", bet.outcome)
        assert shown is not None, bet.outcome
        slot, path = int(shown[1]), shown[2]
        assert path.count("R") == slot
        selection = PLINKO.parse(dict(bet.params))
        table = PLINKO.table(selection, Fraction(1, 100))
        assert Fraction(bet.multiplier) == table[slot]
        assert bet.payout.amount == int(10 * table[slot])
        # The path is the one the seeds give (the secret seed, opened with the server's key).
        async with engine.connect() as conn:
            sealed = (
                await conn.execute(
                    text("SELECT server_seed_encrypted FROM seed_pairs WHERE id = :id"),
                    {"id": int(bet.fairness.seed_pair_id)},
                )
            ).scalar_one()
        server_seed = SeedCipher(grpc_settings.seed_key).open(sealed, int(pid))
        words = uint32_stream(server_seed, bet.fairness.client_seed, nonce)
        expected = PLINKO.outcome_for(selection, words)
        assert PLINKO.describe_bet(selection, expected) == bet.outcome
        again = await betting.PlayInstant(
            betting_pb2.PlaceBetRequest(
                player_id=pid,
                bet_id=bet.bet_id,
                game="plinko",
                stake=xtr(10),
                params={"rows": rows, "risk": risk},
            ),
            metadata=md,
        )
        assert again.replayed
        assert again.bet == bet


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"rows": "20", "risk": "low"}, "params.rows", "from 8 to 16"),
        ({"rows": "eight", "risk": "low"}, "params.rows", "whole number"),
        ({"rows": "9" * 5000, "risk": "low"}, "params.rows", "whole number"),
        ({"rows": "8", "risk": "wild"}, "params.risk", "low, medium, high"),
    ],
)
async def test_bad_params_are_invalid_argument_naming_the_field(
    betting, md, player, engine, params, field, words
):
    pid = await player(1000)
    before = await row_counts(engine)
    for call in (betting.PlayInstant, betting.PlaceBet):
        refused = await rpc_error(call(_drop(pid, **params), metadata=md))
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert bad_fields(refused) == [field]
        assert words in (refused.details() or "")
        assert len(refused.details() or "") < 300
    assert await row_counts(engine) == before


async def test_missing_params_are_invalid_argument(betting, md, player):
    pid = await player(1000)
    refused = await rpc_error(betting.PlayInstant(_drop(pid, risk="low"), metadata=md))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "rows" in (refused.details() or "")


async def test_a_blocked_player_drops_no_ball(betting, md, player, uow_factory):
    """The door × rule matrix drives PlayInstant per door (with a coin); plinko takes the same
    road, so the same refusal."""
    from domain.players import PlayerStatus

    pid = await player(1000)
    async with uow_factory() as uow:
        await uow.players.set_status(int(pid), PlayerStatus.BLOCKED, "tests")
        await uow.commit()
    refused = await rpc_error(betting.PlayInstant(_drop(pid, rows="8", risk="low"), metadata=md))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert rpc_reason(refused) == "PLAYER_BLOCKED"


async def test_a_batch_of_drops_takes_the_batch_road(betting, md, player):
    """PlaceBatch decides every bet with the same decide_bet: each drop draws its own rows."""
    pid = await player(1000)
    shapes = [(str(rows), risk) for rows in (8, 11, 16) for risk in ("low", "high")]
    commands = [
        betting_pb2.BetCommand(correlation_id=f"d{i}", place=_drop(pid, rows=rows, risk=risk))
        for i, (rows, risk) in enumerate(shapes)
    ]
    answer = await betting.PlaceBatch(betting_pb2.BetBatch(commands=commands), metadata=md)
    assert [r.WhichOneof("result") for r in answer.results] == ["ok"] * len(shapes)
    nonces = sorted(r.ok.bet.fairness.nonce for r in answer.results)
    assert nonces == list(range(len(shapes)))
    for result, (rows, _) in zip(answer.results, shapes, strict=True):
        assert re.fullmatch(rf"slot \d+ of 0-{rows}, path [LR]{{{rows}}}", result.ok.bet.outcome)
