"""The Mini App's notification choices (GET/PUT /api/v1/app/notifications, issue 23): every
topic on for a new player, one turned off and on again, withdrawals refused as problem
details with nothing written, an unknown topic refused the same way; without a big-wins
channel (the default) its consent is neither listed nor taken. With a channel:
test_http_miniapp_big_wins.py."""

from __future__ import annotations

import pytest

from tests.entrypoints.test_http_miniapp import app_api, init_data, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

PATH = "/api/v1/app/notifications"


def _on(answer) -> dict[str, bool]:
    return {t["topic"]: t["on"] for t in answer.json()["topics"]}


async def test_a_player_turns_a_topic_off_and_on_but_never_withdrawals(
    app_api,  # noqa: F811
    session,  # noqa: F811
):
    headers = await session()
    first = await app_api.get(PATH, headers=headers)
    assert first.status_code == 200, first.text
    assert _on(first) == {
        "deposits": True,
        "withdrawals": True,
        "bonuses": True,
        "crash_results": True,
        "limits": True,
    }
    required = {t["topic"] for t in first.json()["topics"] if t["required"]}
    assert required == {"withdrawals"}

    off = await app_api.put(PATH, json={"topic": "bonuses", "on": False}, headers=headers)
    assert off.status_code == 200, off.text
    assert _on(off)["bonuses"] is False
    assert _on(await app_api.get(PATH, headers=headers))["bonuses"] is False

    for body in (
        {"topic": "withdrawals", "on": False},
        {"topic": "weather", "on": False},
        {"topic": "big_wins", "on": True},  # no channel to show wins in
    ):
        refused = await app_api.put(PATH, json=body, headers=headers)
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert _on(await app_api.get(PATH, headers=headers))["withdrawals"] is True

    back = await app_api.put(PATH, json={"topic": "bonuses", "on": True}, headers=headers)
    assert _on(back)["bonuses"] is True
    # Another player's choices are their own.
    assert _on(await app_api.get(PATH, headers=await session()))["bonuses"] is True


async def test_without_a_session_nothing_is_shown(app_api):  # noqa: F811
    assert (await app_api.get(PATH)).status_code == 401
