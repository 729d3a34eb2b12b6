"""The Mini App lobby's list of games: which games it offers, and that the forms it describes
send what each game accepts."""

from __future__ import annotations

from fractions import Fraction

import msgspec
import pytest

from domain.errors import InvalidRequest
from domain.games.base import OutcomeSource
from domain.games.catalog import GAMES, GameConfig, StakeLimits
from entrypoints.http.miniapp_games import OFFERS, ParamView, games_view

XTR = {"XTR": StakeLimits(1, 10_000, 1_000_000)}


def _all_configs(**overrides: GameConfig) -> list[GameConfig]:
    return [overrides.get(code, GameConfig(code, limits=XTR)) for code in GAMES]


def test_the_lobby_lists_enabled_provably_fair_games_with_limits_in_its_order() -> None:
    configs = _all_configs(
        coin=GameConfig("coin", enabled=False, limits=XTR),
        limbo=GameConfig("limbo", limits={}),  # offered in no currency
    )
    view = msgspec.to_builtins(games_view(configs))
    assert [g["code"] for g in view["games"]] == ["dice", "roulette", "plinko", "mines", "crash"]
    dice, roulette, plinko, mines, crash = view["games"]
    # Crash plays on shared rounds through its own routes; its one field is the automatic
    # cash-out, empty (by hand) unless the player types a target.
    assert crash["kind"] == "rounds"
    assert crash["house_edge"] is None  # the edge is in the public formula
    assert [(p["name"], p["default"], p["min"], p["max"]) for p in crash["params"]] == [
        ("target", "", "1.01", "1000.00")
    ]
    assert plinko["kind"] == "instant"
    assert [p["name"] for p in plinko["params"]] == ["rows", "risk"]
    assert mines["kind"] == "steps"  # played through its own routes, not /play
    assert dice["kind"] == "instant"
    assert dice["title"] == "Dice"
    assert dice["house_edge"] == "0.01"
    assert dice["limits"] == {"XTR": {"min_stake": 1, "max_stake": 10_000, "max_payout": 1_000_000}}
    assert [p["name"] for p in dice["params"]] == ["direction", "target"]
    assert roulette["house_edge"] is None  # a fixed table: no edge to show
    number = roulette["params"][1]
    assert number["when"] == {"bet": ["straight", "dozen", "column"]}
    # Telegram's emoji games are thrown in the bot's chat, never offered on the page.
    assert not any(g["code"].startswith("tg_") for g in view["games"])


def test_every_provably_fair_game_has_a_form_in_the_lobby() -> None:
    """A game added to the catalog and not described here would silently be missing from the
    Mini App."""
    missing = {
        code
        for code, game in GAMES.items()
        if game.source in (OutcomeSource.PROVABLY_FAIR, OutcomeSource.CRASH_ROUND)
        and code not in OFFERS
    }
    assert missing == set()


def _values(param: ParamView) -> list[str]:
    if param.type == "choice":
        assert param.choices
        assert param.default in param.choices
        return list(param.choices)
    assert param.type == "number"
    assert param.min is not None
    assert param.max is not None
    return [param.min, param.default, param.max]


def _sent(params: list[ParamView], chosen: dict[str, str]) -> dict[str, str]:
    """What the page sends: every parameter whose `when` holds."""
    return {
        p.name: chosen.get(p.name, p.default)
        for p in params
        if p.when is None or all(chosen.get(k, _default(params, k)) in v for k, v in p.when.items())
    }


def _default(params: list[ParamView], name: str) -> str:
    return next(p.default for p in params if p.name == name)


@pytest.mark.parametrize(
    "code", [c for c, (kind, _) in OFFERS.items() if kind == "instant" and c in GAMES]
)
def test_what_the_forms_offer_is_what_the_game_accepts(code: str) -> None:
    """The defaults, and each choice or bound with the others at their defaults, parse: a form
    never offers a bet the game refuses (dice's target range depends on the direction, so its
    bounds are checked for the direction that takes them)."""
    game = GAMES[code]
    _, params = OFFERS[code]
    params = list(params)
    game.parse(_sent(params, {}))
    for param in params:
        for value in _values(param):
            chosen = {param.name: value}
            if code == "dice" and param.name == "target":
                chosen["direction"] = "under" if Fraction(value) < 50 else "over"
            if code == "roulette" and param.name == "number":
                chosen["bet"] = "straight"
            game.parse(_sent(params, chosen))
        if param.type == "number":
            assert param.places is not None


def test_the_crash_form_offers_what_the_game_accepts() -> None:
    """Empty (by hand) and each bound of the automatic cash-out parse; one step past them is
    refused by the game, whose words the page shows."""
    (param,) = OFFERS["crash"][1]
    game = GAMES["crash"]
    for value in (param.default, param.min, param.max):
        assert value is not None
        game.parse({"target": value} if value else {})
    for outside in ("1.00", "1000.01"):
        with pytest.raises(InvalidRequest, match="cash-out target"):
            game.parse({"target": outside})
