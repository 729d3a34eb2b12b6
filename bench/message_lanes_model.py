"""A model of the bet queue's message lanes (`BetQueue`, PlaceBatch messages): how often a
waiting message may be passed by later messages sharing its players, against bets/s and a
message's latency. No service, no database: messages of `--size` players drawn from
`--players`, `--in-flight` of them in a closed loop, each taking one unit of time alone and
sharing the machine when two run (`--overlap`: two at once place that many times the bets of
one, 1.25 as measured on two cores). A message starts when a lane is free and none of its
players is in a running message; the policies differ in what may pass a waiting one:

- `unbounded`: anything that shares no player with a running message (the queue of 55fb7e3);
- `at most N`: later work sharing its players passes it N times at most, then waits behind
  it (the queue since 2026-12-05, with N = 2);
- `strict`: nothing that shares one of its players ever passes it (a player's work starts
  in the order it came).

    .venv/bin/python bench/message_lanes_model.py [--messages 20000] [--seed 1]

It prints bets/s relative to one lane, and a message's latency (p50, p99, p99.9, worst) in
units of one message alone. The figures are quoted in bench/README.md."""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass


@dataclass
class _Message:
    players: frozenset[int]
    sent: float
    passed: int = 0
    left: float = 1.0


def simulate(
    policy: str,
    *,
    limit: int,
    lanes: int,
    args: argparse.Namespace,
) -> tuple[float, list[float]]:
    """Messages placed per unit of time, and every message's latency (after a warm-up)."""
    rng = random.Random(args.seed)
    population = range(args.players)

    def new(now: float) -> _Message:
        return _Message(frozenset(rng.sample(population, args.size)), now)

    waiting = [new(0.0) for _ in range(args.in_flight)]
    running: list[_Message] = []
    latencies: list[float] = []
    now = 0.0

    def start() -> None:
        busy = set().union(*(m.players for m in running))
        reserved: set[int] = set()
        passed: list[_Message] = []
        i = 0
        while i < len(waiting) and len(running) < lanes:
            message = waiting[i]
            if message.players.isdisjoint(busy) and message.players.isdisjoint(reserved):
                del waiting[i]
                for earlier in passed:
                    if not earlier.players.isdisjoint(message.players):
                        earlier.passed += 1
                running.append(message)
                busy |= message.players
                continue
            passed.append(message)
            if policy == "strict" or (policy == "bounded" and message.passed >= limit):
                reserved |= message.players
            i += 1

    start()
    while len(latencies) < args.messages:
        rate = 1.0 if len(running) == 1 else args.overlap / len(running)
        first = min(running, key=lambda m: m.left)
        step = first.left / rate
        now += step
        for message in running:
            message.left -= step * rate
        running.remove(first)
        latencies.append(now - first.sent)
        waiting.append(new(now))
        start()
    return len(latencies) / now, sorted(latencies[args.messages // 20 :])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--overlap", type=float, default=1.25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    one, _ = simulate("unbounded", limit=0, lanes=1, args=args)
    print(f"{'policy':<18} {'x one lane':>10} {'p50':>6} {'p99':>6} {'p99.9':>6} {'worst':>6}")
    cases = [("unbounded", 0), ("bounded", 1), ("bounded", 2), ("bounded", 3), ("strict", 0)]
    for name, limit in [("one lane", 0), *cases]:
        if name == "one lane":
            rate, latencies = simulate("unbounded", limit=0, lanes=1, args=args)
        else:
            rate, latencies = simulate(name, limit=limit, lanes=2, args=args)
        label = f"at most {limit}" if name == "bounded" else name
        n = len(latencies)
        print(
            f"{label:<18} {rate / one:>10.3f} {latencies[n // 2]:>6.1f}"
            f" {latencies[int(n * 0.99)]:>6.1f} {latencies[int(n * 0.999)]:>6.1f}"
            f" {latencies[-1]:>6.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
