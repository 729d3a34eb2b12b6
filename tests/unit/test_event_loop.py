"""`croupier run`'s event loop: uvloop unless `CROUPIER_UVLOOP` is off, and its garbage
collector tuned for serving."""

from __future__ import annotations

import asyncio
import gc
import importlib

import uvloop

from entrypoints.cli import event_loop
from entrypoints.process.collector import freeze_what_started
from entrypoints.settings import load_settings


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_the_serving_loop_is_uvloop_by_default():
    settings = load_settings({})
    assert settings.uvloop
    assert isinstance(event_loop.run(_running_loop(), settings), uvloop.Loop)


def test_the_standard_loop_when_uvloop_is_off():
    settings = load_settings({"CROUPIER_UVLOOP": "false"})
    loop = event_loop.run(_running_loop(), settings)
    assert not isinstance(loop, uvloop.Loop)
    assert isinstance(loop, asyncio.BaseEventLoop)


async def _young_threshold() -> int:
    return gc.get_threshold()[0]


def test_the_serving_process_collects_young_objects_less_often():
    # The cyclic collector's passes were a fifth of the serving process's CPU under load
    # (bench/README.md): `croupier run` sets the young generation's threshold from its setting.
    before = gc.get_threshold()
    try:
        assert load_settings({}).gc_threshold == 10_000
        settings = load_settings({"CROUPIER_GC_THRESHOLD": "12345"})
        assert event_loop.run(_young_threshold(), settings) == 12345
        assert gc.get_threshold()[1:] == before[1:]  # the older generations keep Python's
    finally:
        gc.set_threshold(*before)


def test_what_started_is_kept_out_of_later_collections():
    kept = [object() for _ in range(10)]
    try:
        freeze_what_started()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()


def test_the_relay_command_tunes_its_collector_too(monkeypatch):
    # The relay decodes and re-encodes every event (bench/outbox_cost.py: 57-60 -> 45-50 us of
    # CPU an event with the tuned collector): `croupier relay` tunes it as `croupier run` does.
    from click.testing import CliRunner

    import entrypoints.cli.supervisor as supervisor
    import entrypoints.composition.containers as containers

    # The module, not the command the `entrypoints.cli` package exports under the same name.
    relay_command = importlib.import_module("entrypoints.cli.relay")

    seen: list[tuple[int, int]] = []

    class _Container:
        async def close(self) -> None:
            pass

    async def relay_events(container: object, stop: asyncio.Event) -> None:
        seen.append((gc.get_threshold()[0], gc.get_freeze_count()))

    settings = load_settings({"CROUPIER_GC_THRESHOLD": "23456"})
    monkeypatch.setattr(relay_command, "prepared", lambda: (settings, object()))
    monkeypatch.setattr(containers, "make_cli_container", lambda *_: _Container())
    monkeypatch.setattr(supervisor, "relay_events", relay_events)
    before = gc.get_threshold()
    try:
        result = CliRunner().invoke(relay_command.relay, [])
        assert result.exit_code == 0, result.output
        assert len(seen) == 1
        assert seen[0][0] == 23456
        assert seen[0][1] > 0  # what the command loaded is out of the collector's passes
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
