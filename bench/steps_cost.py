"""CPU a bet of the placement's pure-Python steps, in-process: no gRPC, no database, no
event loop. 100 synthetic provably fair coin bets a round, each step timed with the
process's CPU clock (µs a bet): deciding (`decide_bet`, with its command), the postings
and events, the snapshot write's JSON arguments (`_write_args`), the outbox envelopes
(`appended_envelopes`) and the gRPC answer (a batch's `BetResult`: `bet_commands._ok`). On
a shared machine these move far less than a whole service's CPU a bet; compare trees
alternately:

    .venv/bin/python bench/steps_cost.py                  # this tree
    git archive HEAD~3 src | tar -x -C /tmp/old && cp -r src/croupier /tmp/old/src/
    PYTHONDONTWRITEBYTECODE=1 .venv/bin/python bench/steps_cost.py --root /tmp/old

(`src/croupier` is the generated gRPC code, which is not in git.)"""

from __future__ import annotations

import argparse
import gc
import secrets
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

N = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root / "src"))
    # The bet road's own encoding: envelopes apart since 0060, one JSON text before (--root).
    try:
        from adapters.event_wire.rows import appended_envelopes as outbox_encoding
    except ImportError:
        from adapters.event_wire.rows import appended_events as outbox_encoding
    from adapters.postgres.snapshot_placements import _write_args
    from application.betting.decision import PlaceBetCommand, PlacementFacts, decide_bet
    from application.betting.receipts import BetReceipt
    from application.betting.snapshot import posted_on
    from application.ports import PlacementWrite
    from croupier.v1 import betting_pb2
    from domain.accounts import AccountKind
    from domain.events import bet_stored, transactions_posted
    from domain.fairness import commitment
    from domain.games.catalog import GameConfig, StakeLimits
    from domain.money import XTR, Money
    from domain.players import PlayerStatus
    from domain.postings import bet_played_at_once
    from domain.seeds import SeedPair
    from domain.standing import PlayerStanding

    try:
        from entrypoints.grpc.bet_commands import _ok as answered
    except ImportError:  # the trees before bet_commands.py
        from entrypoints.grpc.betting import _response as bet_response  # type: ignore

        def answered(command: Any, receipt: Any) -> Any:
            return betting_pb2.BetResult(
                correlation_id=command.correlation_id, ok=bet_response(receipt)
            )

    class Ids:
        def new_id(self) -> uuid.UUID:
            return uuid.uuid4()

    config = GameConfig(code="coin", limits={"XTR": StakeLimits(1, 10**6, 10**9)})
    now = datetime.now(UTC)
    seed = secrets.token_hex(32)
    pair = SeedPair(
        id=5,
        player_id=1,
        server_seed=seed,
        server_seed_hash=commitment(seed),
        client_seed=secrets.token_hex(16),
        next_nonce=0,
        created_at=now,
    )

    def decided() -> tuple[float, list[Any]]:
        started = time.process_time()
        steps = []
        for i in range(N):
            command = PlaceBetCommand(
                player_id=1 + i,
                bet_id=uuid.uuid4(),
                game="coin",
                stake=Money(10, XTR),
                params={"side": "heads"},
            )
            facts = PlacementFacts(1000 + i, config, 10**12, (pair, i), 10**6)
            steps.append(decide_bet(command, facts, now=now, ids=Ids()))
        return time.process_time() - started, steps

    def one_round() -> list[float]:
        deciding, steps = decided()
        t1 = time.process_time()
        transactions, events = [], []
        for step in steps:
            events += bet_stored(step.final)
            legs = step.final.instant_legs(step.wallet_id, 2)
            transactions.append(bet_played_at_once(step.final, legs, at=now))
        balances = {1000 + i: 10**6 for i in range(N)}
        owners = {1000 + i: 1 + i for i in range(N)}
        posted = posted_on(transactions, balances, owners, {2: AccountKind.HOUSE_BANKROLL})
        events += transactions_posted(*posted)
        t2 = time.process_time()
        write = PlacementWrite(
            standings={1 + i: PlayerStanding(1 + i, PlayerStatus.ACTIVE, True) for i in range(N)},
            nonces={5: (0, N)},
            balances=balances,
            new_pairs=[],
            bets=[step.final for step in steps],
            absent=[],
            transactions=transactions,
            round=None,
        )
        _write_args(write, None)  # type: ignore[arg-type]  # no new pair: no cipher
        t3 = time.process_time()
        outbox_encoding(events)
        t4 = time.process_time()
        command = betting_pb2.BetCommand(correlation_id="x")
        for step in steps:
            answered(command, BetReceipt(step.final, Money(5, XTR)))
        t5 = time.process_time()
        return [deciding, t2 - t1, t3 - t2, t4 - t3, t5 - t4]

    # The serving process's young-generation threshold (CROUPIER_GC_THRESHOLD's default): with
    # Python's 700 a collection lands inside whichever step happens to allocate then.
    gc.set_threshold(50_000)
    for _ in range(20):  # warm: caches, allocator
        one_round()
    totals = [0.0] * 5
    for _ in range(args.rounds):
        for k, spent in enumerate(one_round()):
            totals[k] += spent
    names = (
        "decide_bet (with its command)",
        "postings, events, posted_on",
        "the write's arguments",
        "the outbox envelopes",
        "the gRPC answer (BetResult)",
    )
    for name, total in zip(names, totals, strict=True):
        print(f"{name:32s} {total / args.rounds / N * 1e6:6.1f} µs a bet")


if __name__ == "__main__":
    main()
