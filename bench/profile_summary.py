"""Summarise a py-spy profile recorded with `--format raw` (collapsed stacks), as `run.py
--profile` writes them: where the service's CPU time goes, by library and by function.

    .venv/bin/python bench/profile_summary.py bench/.data/profiles/unary-uniform-64.txt"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# Inclusive buckets, first match per stack frame wins; a sample counts once per bucket.
BUCKETS = (
    ("asyncpg (driver, protocol)", re.compile(r"asyncpg/")),
    ("SQLAlchemy (core, ORM, async bridge)", re.compile(r"sqlalchemy/")),
    ("dishka (container, injection)", re.compile(r"dishka/")),
    ("protobuf build/serialise", re.compile(r"google/protobuf|_pb2\.py")),
    ("grpc aio server machinery", re.compile(r"grpc/_cython|grpc/aio|grpc/_")),
    ("logging", re.compile(r"logging/")),
    ("json / msgspec", re.compile(r"json/|msgspec")),
    ("asyncio event loop", re.compile(r"asyncio/|selectors\.py")),
    ("application (use cases)", re.compile(r"^application/")),
    ("domain", re.compile(r"^domain/")),
    ("adapters/postgres (repositories, uow, outbox)", re.compile(r"^adapters/postgres/")),
    ("other adapters (redis events, ids, cipher)", re.compile(r"^adapters/")),
    ("entrypoints (gRPC handlers, auth, translate)", re.compile(r"^entrypoints/(?!cli)")),
    ("redis client", re.compile(r"^redis/")),
)
_LOOP = dict(BUCKETS)["asyncio event loop"]
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for raw in stack.split(";"):
        match = _FRAME.match(raw.strip())
        frames.append((match["func"], match["file"]) if match else (raw.strip(), ""))
    return frames


def _owner(frames: list[tuple[str, str]]) -> str:
    for _, file in reversed(frames):
        for name, pattern in BUCKETS:
            if name != "asyncio event loop" and pattern.search(file):
                return name
    for _, file in reversed(frames):
        if _LOOP.search(file):
            return "asyncio event loop (itself)"
    return "other (threads, stdlib)"


def summarise(path: Path, top: int) -> str:
    samples: list[tuple[list[tuple[str, str]], int]] = []
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if stack and number.isdigit():
            samples.append((_frames(stack), int(number)))
    total = sum(count for _, count in samples) or 1
    buckets: Counter[str] = Counter()
    owner: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in samples:
        seen_buckets = set()
        seen_functions = set()
        for func, file in frames:
            for name, pattern in BUCKETS:
                if pattern.search(file):
                    seen_buckets.add(name)
                    break
            short = file.split("site-packages/")[-1].split("/src/")[-1]
            seen_functions.add(f"{func} ({short})")
        for name in seen_buckets:
            buckets[name] += count
        owner[_owner(frames)] += count
        for name in seen_functions:
            inclusive[name] += count
        if frames:
            func, file = frames[-1]
            leaf[f"{func} ({file.split('site-packages/')[-1].split('/src/')[-1]})"] += count
    lines = [f"{path.name}: {total} samples (CPU time of the service's threads)", ""]
    lines.append("inclusive share by library/layer (a sample counts in every bucket on its stack):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in buckets.most_common()]
    lines += ["", "self time by owner (a sample goes to the innermost frame of a known library or"]
    lines += ["layer, so a socket write made by asyncpg counts as asyncpg's):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in owner.most_common()]
    lines += ["", f"top {top} functions by inclusive time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", f"top {top} leaf functions (self time):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaf.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    for path in args.profiles:
        print(summarise(path, args.top))
        print()


if __name__ == "__main__":
    main()
