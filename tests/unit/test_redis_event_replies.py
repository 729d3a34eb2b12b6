"""The publisher's reading of its batch's replies (adapters.redis_events): whole replies are
counted wherever the reads split them, an error reply raises, and anything else a batch of
XADDs and PUBLISHes cannot get back is refused rather than miscounted."""

from __future__ import annotations

import pytest
from redis.exceptions import InvalidResponse, ResponseError

from adapters.redis_events import _parse_replies

# An XADD's entry id, a PUBLISH's receivers, a nil bulk string, another id: four replies.
REPLIES = b"$15\r\n1764826201123-0\r\n:2\r\n$-1\r\n$15\r\n1764826201123-1\r\n"


def _read_in_pieces(data: bytes, cuts: list[int], count: int) -> int:
    """Feed `data` cut at `cuts` as the publisher does its reads; the replies still owed."""
    buffer = b""
    for start, stop in zip([0, *cuts], [*cuts, len(data)], strict=True):
        buffer += data[start:stop]
        position, count = _parse_replies(buffer, count)
        buffer = buffer[position:]
    assert buffer == b""
    return count


def test_every_split_of_the_replies_counts_all_four():
    for cut in range(1, len(REPLIES)):
        for second in range(cut, len(REPLIES)):
            assert _read_in_pieces(REPLIES, [cut, second], 4) == 0


def test_a_reply_not_whole_yet_is_left_for_the_next_read():
    last = b"$15\r\n1764826201123-1\r\n"
    assert _parse_replies(REPLIES[:-3], 4) == (len(REPLIES) - len(last), 1)
    assert _parse_replies(b":1", 1) == (0, 1)


def test_an_error_reply_raises_it():
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        _parse_replies(b":1\r\n-WRONGTYPE Operation against a key\r\n:1\r\n", 3)


def test_a_reply_of_another_kind_is_refused():
    with pytest.raises(InvalidResponse):
        _parse_replies(b"*2\r\n:1\r\n:2\r\n", 1)
