"""`croupier run`'s event loop: uvloop unless `CROUPIER_UVLOOP` is off."""

from __future__ import annotations

import asyncio

import uvloop

from entrypoints.cli import event_loop
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
