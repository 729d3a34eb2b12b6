"""Random bytes for identifiers, from the OS CSPRNG, read 4 KiB at a time.

A bet takes about seven random values (its transactions' UUIDv7 ids, its events' UUIDv4 ids),
and `os.urandom` is a system call each time: ~10% of the use case's CPU a bet in a batch
(cProfile, bench/README.md). Reading ahead keeps the bytes exactly as random (the same
source), hands each out once (under a lock, for the threads a process may run), and a child
process forked with bytes left never sees its parent's (the buffer is dropped on fork)."""

from __future__ import annotations

import os
import threading
import uuid

_READ = 4096


class _ReadAhead:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._at = 0

    def take(self, count: int) -> bytes:
        with self._lock:
            if self._at + count > len(self._buffer):
                self._buffer = os.urandom(max(_READ, count))
                self._at = 0
            chunk = self._buffer[self._at : self._at + count]
            self._at += count
            return chunk

    def drop(self) -> None:
        """Forget the bytes read (a forked child must not hand out its parent's)."""
        self._lock = threading.Lock()  # a lock held at fork time stays held in the child
        self._buffer = b""
        self._at = 0


_source = _ReadAhead()
os.register_at_fork(after_in_child=_source.drop)


def random_bytes(count: int) -> bytes:
    """`count` bytes from the OS CSPRNG, each handed out once in this process."""
    return _source.take(count)


# The version (4) and variant (RFC 4122) bits of a UUIDv4, cleared then set.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)
_new = object.__new__
_set = object.__setattr__


def uuid_from_int(value: int) -> uuid.UUID:
    """`uuid.UUID(int=value)` for a value already known to fit in 128 bits, without the
    constructor's argument checks (its pure-Python `__init__` was most of an id's cost, and
    a bet takes five or so: its transactions', its events'). The object is what the
    constructor makes: its two slots, `int` and `is_safe` (unknown)."""
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", uuid.SafeUUID.unknown)
    return made


def random_uuid4() -> uuid.UUID:
    """What `uuid.uuid4()` returns, from `random_bytes`."""
    return uuid_from_int(int.from_bytes(random_bytes(16), "big") & _V4_CLEAR | _V4_SET)
