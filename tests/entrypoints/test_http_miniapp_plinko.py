"""The Mini App's POST /api/v1/app/play drops a plinko ball on the one road: the answer holds
the path (outcome), the rows and risk (params) and the multiplier of the path's slot; after a
rotation the revealed seed gives the same path. Bad rows or risk are a 400 naming the field."""

from __future__ import annotations

import uuid
from fractions import Fraction

import pytest

from domain.games.plinko import Plinko
from domain.verification import check_outcome
from tests.entrypoints.test_http_miniapp import _credit, app_api, session  # noqa: F401

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

PLINKO = Plinko()


async def test_play_drops_a_ball_and_the_revealed_seed_gives_its_path(
    app_api,  # noqa: F811
    session,  # noqa: F811
    credit,
):
    headers = await session()
    await _credit(app_api, headers, credit, 1000)
    body = {
        "game": "plinko",
        "stake": 10,
        "params": {"rows": "12", "risk": "medium"},
        "request_id": str(uuid.uuid4()),
    }
    played = await app_api.post("/api/v1/app/play", json=body, headers=headers)
    assert played.status_code == 200, played.text
    bet = played.json()["bet"]
    assert bet["params"] == {"rows": "12", "risk": "medium"}
    assert bet["state"] in ("won", "lost")
    path = bet["outcome"]
    assert 0 <= path < 2**12
    table = PLINKO.table(PLINKO.parse(bet["params"]), Fraction(1, 100))
    assert Fraction(bet["multiplier"]) == table[path.bit_count()]
    assert played.json()["balance"]["amount"] == 1000 - 10 + bet["payout"]

    rotated = await app_api.post("/api/v1/app/fairness/rotate", json={}, headers=headers)
    check = check_outcome(
        "plinko",
        server_seed=rotated.json()["revealed_server_seed"],
        client_seed=bet["client_seed"],
        nonce=bet["nonce"],
        params=bet["params"],
    )
    assert check.outcome == path
    assert check.multiplier == Fraction(bet["multiplier"])


@pytest.mark.parametrize(
    ("params", "field"),
    [({"rows": "7", "risk": "low"}, "params.rows"), ({"rows": "8", "risk": "max"}, "params.risk")],
)
async def test_bad_rows_or_risk_are_a_400_naming_the_field(
    app_api,  # noqa: F811
    session,  # noqa: F811
    credit,
    params,
    field,
):
    headers = await session()
    await _credit(app_api, headers, credit, 100)
    body = {"game": "plinko", "stake": 10, "params": params, "request_id": str(uuid.uuid4())}
    refused = await app_api.post("/api/v1/app/play", json=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == field
    me = (await app_api.get("/api/v1/app/balances", headers=headers)).json()
    assert me["balances"] == [{"amount": 100, "currency": "XTR"}]
