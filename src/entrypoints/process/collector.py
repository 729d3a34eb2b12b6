"""Python's cyclic garbage collector in a serving process (issue 19).

A bet allocates a few hundred short-lived objects (commands, decided bets, postings, events,
protobuf messages), freed by reference counting; the cyclic collector still runs a
young-generation pass every 700 allocations by default and now and then a full pass over every
object the process holds (its imported modules, the container, the caches: a few hundred
thousand). py-spy with native frames put `gc_collect_main` at a fifth of the serving process's
CPU under PlaceBatch load (bench/README.md). Two changes, both done once per process:

- the young generation is collected every `CROUPIER_GC_THRESHOLD` allocations instead of 700
  (a pass then frees the same garbage in one go). Not many more: grpc.aio leaves a reference
  cycle of six objects a call (its `_find_method_handler` keeps a closure that points back at
  its own frame's scope), which only a pass frees, so a pass lasts about a millisecond per
  thousand allocations. At 50,000 a pass took 50-60 ms every ten seconds or so at 400 calls a
  second, and those pauses set the p99 at half of peak; at 10,000 they are a few ms, for the
  same CPU a bet (bench/README.md, 2026-12-04 17:47). Since 2026-12-05 the gRPC server looks
  a call's method up without that cycle (`entrypoints.grpc.method_lookup`, with the grpcio it
  was checked against), so its passes free next to nothing and come far less often; the
  threshold stays for a grpcio it does not know, and for the other processes;
- once the process serves, what it built to get there is moved out of the collector's sight
  (`gc.freeze`): full passes no longer walk the modules and the container each time."""

from __future__ import annotations

import gc


def tune_collector(young_threshold: int) -> None:
    """Collect the young generation every `young_threshold` allocations (the older
    generations' ratios stay Python's)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)


def freeze_what_started() -> None:
    """Everything alive now lives as long as the process: collect what start-up left over
    once, then keep the rest out of every later pass."""
    gc.collect()
    gc.freeze()
