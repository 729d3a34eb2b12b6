"""Random bytes for identifiers read ahead from the OS (adapters.entropy): fewer system calls,
the same randomness, never the same bytes twice, not even across a fork."""

from __future__ import annotations

import os
import uuid

import pytest

from adapters import entropy
from adapters.entropy import random_bytes, random_uuid4
from adapters.ids import UuidV7Generator


def test_ids_read_the_os_source_in_blocks(monkeypatch):
    reads: list[int] = []
    real = os.urandom

    def counted(count: int) -> bytes:
        reads.append(count)
        return real(count)

    monkeypatch.setattr(os, "urandom", counted)
    entropy._source.drop()
    ids = UuidV7Generator()
    made = {ids.new_id() for _ in range(200)}
    events = {random_uuid4() for _ in range(200)}
    assert len(made) == len(events) == 200
    # 200 ids and 200 event ids: ~2.4 KiB of randomness, one read (was one read each).
    assert len(reads) <= 2, reads


def test_event_ids_are_version_4_uuids():
    ids = [random_uuid4() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)


def test_bytes_are_handed_out_once():
    chunks = [random_bytes(16) for _ in range(1000)]  # several reads' worth
    assert len(set(chunks)) == 1000
    assert all(len(chunk) == 16 for chunk in chunks)
    assert len(random_bytes(10_000)) == 10_000  # more than one read at once


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_never_hands_out_its_parents_bytes():
    random_bytes(16)  # the parent holds bytes read ahead
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next bytes, to the parent, and out
        os.close(reader)
        os.write(writer, random_bytes(16))
        os._exit(0)
    os.close(writer)
    child = os.read(reader, 16)
    os.close(reader)
    os.waitpid(pid, 0)
    assert len(child) == 16
    assert child != random_bytes(16)


def test_a_uuid_made_from_its_int_is_the_constructors_uuid():
    """`uuid_from_int` skips `UUID.__init__`'s checks, not what it makes: equal, hashed,
    printed, pickled and versioned like `uuid.UUID(int=...)`, immutable all the same."""
    import pickle

    from adapters.entropy import uuid_from_int

    for value in (0, 1, 2**128 - 1, int.from_bytes(os.urandom(16), "big")):
        made, built = uuid_from_int(value), uuid.UUID(int=value)
        assert made == built
        assert hash(made) == hash(built)
        assert str(made) == str(built)
        assert made.bytes == built.bytes
        assert made.is_safe is built.is_safe
        assert pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(TypeError):
        uuid_from_int(5).int = 6
    for _ in range(1000):
        drawn = random_uuid4()
        assert drawn.version == 4
        assert drawn.variant == uuid.RFC_4122
        assert uuid.UUID(bytes=drawn.bytes, version=4) == drawn  # the bits uuid4 sets
    assert UuidV7Generator().new_id().version == 7
