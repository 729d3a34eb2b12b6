"""A probe for stalls, loaded by every Python process started with this folder on PYTHONPATH
(`service_cost.py --trace DIR` puts it there for the service and the load generator) while
CROUPIER_BENCH_TRACE names a folder; without that variable it does nothing. Not part of the
application.

Each process appends to `DIR/proc-<pid>.txt`, with wall-clock times (to line up with the load
generator's trace and with PostgreSQL's log):
- `gc <time> <ms> gen<N> collected=<n>`: a pass of the garbage collector of 2 ms or more;
- `lag <time> <ms>`: its event loop woke 3 ms or more late from a 2-ms sleep (asyncio's
  loops and uvloop's);
- with CROUPIER_BENCH_GC_TYPES=1, in `croupier run`: `types <time> gen<N> n=<n> [...]`, what a
  pass found unreachable (its 25 commonest types), for passes that found 200 or more. This keeps
  every such object (gc.DEBUG_SAVEALL) until the process ends: for a short diagnosis only."""

from __future__ import annotations

import os
import sys

_FOLDER = os.environ.get("CROUPIER_BENCH_TRACE")


def _install(folder: str) -> None:
    import collections
    import gc
    import time

    out = open(os.path.join(folder, f"proc-{os.getpid()}.txt"), "a", buffering=1)  # noqa: SIM115 - open for the process's life
    out.write(f"argv {' '.join(sys.argv)[:200]}\n")
    started = [0.0]

    def passes(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - started[0]) * 1000
        if took >= 2:
            out.write(
                f"gc {time.time():.4f} {took:.1f} gen{info['generation']}"
                f" collected={info['collected']}\n"
            )

    gc.callbacks.append(passes)

    if os.environ.get("CROUPIER_BENCH_GC_TYPES") and "run" in sys.argv:
        gc.set_debug(gc.DEBUG_SAVEALL)
        seen = [0]

        def types(phase: str, info: dict[str, int]) -> None:
            if phase != "stop":
                return
            found = gc.garbage[seen[0] :]
            seen[0] = len(gc.garbage)
            if len(found) >= 200:
                common = collections.Counter(type(o).__qualname__ for o in found).most_common(25)
                when, generation = time.time(), info["generation"]
                out.write(f"types {when:.4f} gen{generation} n={len(found)} {common}\n")

        gc.callbacks.append(types)

    async def lag() -> None:
        import asyncio

        while True:
            due = time.perf_counter() + 0.002
            await asyncio.sleep(0.002)
            late = (time.perf_counter() - due) * 1000
            if late >= 3:
                out.write(f"lag {time.time():.4f} {late:.1f}\n")

    def probed(make):  # type: ignore[no-untyped-def]
        def new_event_loop():  # type: ignore[no-untyped-def]
            loop = make()
            loop.call_soon(lambda: loop.create_task(lag()))
            return loop

        return new_event_loop

    # Every loop the process makes: asyncio's own (`asyncio.run`, as the load generator and
    # `croupier relay`), and uvloop's (`croupier run`'s serving process).
    import asyncio.events

    asyncio.events.new_event_loop = probed(asyncio.events.new_event_loop)
    try:
        import uvloop
    except ImportError:
        return
    uvloop.new_event_loop = probed(uvloop.new_event_loop)


if _FOLDER:
    _install(_FOLDER)
