"""A bet the bet queue refused for being full (`Overloaded`, application/betting/queue.py) reads
at every door as the database away: gRPC UNAVAILABLE with a retry hint, HTTP 503 with
Retry-After, the bot's apology; with its own code, so the metrics tell overload from a lost
connection."""

from __future__ import annotations

from domain.errors import Overloaded


def test_an_overloaded_queue_reads_as_unavailable_at_every_door():
    # A subclass of StorageUnavailable: each door's answer for a database away, with its own
    # code and a retry hint.
    from entrypoints.bot.refusals import refusal_text
    from entrypoints.grpc.errors import rich_status
    from entrypoints.http.player_problems import player_reason
    from entrypoints.http.problems import status_for

    error = Overloaded("10000 bets are waiting")
    code, status = rich_status(error)
    assert code.name == "UNAVAILABLE"
    assert [d.type_url.rsplit(".", 1)[-1] for d in status.details] == ["ErrorInfo", "RetryInfo"]
    assert status_for(error) == 503
    assert error.retry_after == 1  # the HTTP answer's Retry-After
    assert player_reason(error) == {"reason": "storage_unavailable"}  # the Mini App's text

    class _T:
        def __call__(self, key: str, **_: object) -> str:
            return key

    assert refusal_text(_T(), error) == "errors.generic"  # type: ignore[arg-type]
