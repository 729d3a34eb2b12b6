"""The Mini App's free bets (docs/bonuses.md, "Free bets"): the player's free bets, and playing
one (`PlayFreeBet`, the same road as the bot's button). For a player the standing refuses
promotions the list says `shown: false` and nothing else, and a play is refused with the
standing's own problem."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from dishka.integrations.litestar import FromDishka, inject
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath

from application.free_bets import FreeBetOverview, FreeBetResult, PlayerFreeBets, PlayFreeBet
from domain.bets import FairnessProof
from domain.free_bets import FreeBet
from domain.games.base import format_multiplier
from entrypoints.http.miniapp import PLAYER_SECURITY, player_session, provide_player_id
from entrypoints.http.miniapp_wire import Amount, amount_view


class ProofView(msgspec.Struct):
    """What the player verifies the play with once they rotate their seed pair."""

    seed_pair_id: int
    server_seed_hash: str
    client_seed: str
    nonce: int


class PlayedView(msgspec.Struct):
    """A played free bet's outcome and proof (the list's history to verify)."""

    outcome: str
    multiplier: str
    house_edge: str  # the game's edge the multiplier was computed with (a verifier needs it)
    winnings: Amount
    played_at: datetime
    proof: ProofView


class FreeBetView(msgspec.Struct):
    free_bet_id: uuid.UUID
    game: str
    params: dict[str, str]
    stake: Amount  # paid by the house
    max_win: Amount  # the most its winnings can be
    expires_at: datetime
    state: str  # granted, played, expired
    played: PlayedView | None = None  # once played


class FreeBetsView(msgspec.Struct):
    shown: bool
    playable: list[FreeBetView]
    played: list[FreeBetView]


class FreeBetPlayView(msgspec.Struct):
    free_bet: FreeBetView
    outcome: str  # as a player reads it
    multiplier: str  # exact decimal, e.g. "1.98"
    payout: Amount  # what a bet of the stake would have paid
    winnings: Amount  # payout less the stake, at most max_win: the bonus granted
    bonus_id: uuid.UUID | None  # the bonus the winnings became (none for no winnings)
    bonus_wagering: Amount | None  # and what must be wagered to convert it
    proof: ProofView
    replayed: bool  # this free bet was played before: this is that play


def _proof(proof: FairnessProof) -> ProofView:
    return ProofView(proof.seed_pair_id, proof.server_seed_hash, proof.client_seed, proof.nonce)


def free_bet_view(free_bet: FreeBet) -> FreeBetView:
    play = free_bet.play
    return FreeBetView(
        free_bet_id=free_bet.id,
        game=free_bet.game,
        params=dict(free_bet.params),
        stake=amount_view(free_bet.stake),
        max_win=amount_view(free_bet.max_win),
        expires_at=free_bet.expires_at,
        state=free_bet.state.value,
        played=None
        if play is None
        else PlayedView(
            outcome=play.description,
            multiplier=play.multiplier_text,
            house_edge=format_multiplier(play.house_edge),
            winnings=amount_view(play.winnings),
            played_at=play.played_at,
            proof=_proof(play.proof),
        ),
    )


def free_bets_view(overview: FreeBetOverview | None) -> FreeBetsView:
    if overview is None:
        return FreeBetsView(shown=False, playable=[], played=[])
    return FreeBetsView(
        shown=True,
        playable=[free_bet_view(fb) for fb in overview.playable],
        played=[free_bet_view(fb) for fb in overview.played],
    )


def play_view(result: FreeBetResult) -> FreeBetPlayView:
    play = result.free_bet.play
    assert play is not None  # a result is of a played free bet
    return FreeBetPlayView(
        free_bet=free_bet_view(result.free_bet),
        outcome=play.description,
        multiplier=play.multiplier_text,
        payout=amount_view(play.payout),
        winnings=amount_view(play.winnings),
        bonus_id=play.bonus_id,
        bonus_wagering=None
        if result.bonus is None
        else amount_view(result.bonus.wagering_required),
        proof=_proof(play.proof),
        replayed=result.replayed,
    )


class MiniAppFreeBetsController(Controller):
    path = "/api/v1/app/bonus/free-bets"
    tags = ["mini app"]  # noqa: RUF012 - Litestar reads it as a class attribute
    security = PLAYER_SECURITY
    guards = [player_session]  # noqa: RUF012
    dependencies = {"player_id": Provide(provide_player_id)}  # noqa: RUF012

    @get(
        "/",
        summary="The player's free bets: those to play (soonest expiry first) and the latest"
        " played",
        description="`shown` false (and nothing else) for a player who may not receive "
        "promotions now (blocked, timed out, self-excluded).",
    )
    @inject
    async def free_bets(
        self, player_id: NamedDependency[int], free_bets: FromDishka[PlayerFreeBets]
    ) -> FreeBetsView:
        return free_bets_view(await free_bets(player_id))

    @post(
        "/{free_bet_id:uuid}/play",
        status_code=200,
        summary="Play a free bet: the outcome, its proof, and the bonus its winnings became",
        description="Idempotent: playing it again answers the first play (`replayed`). "
        "Refusals are problem details: the standing's or a responsible-gambling limit's own "
        "(the stake is weighed as a bet's), `bonus_active` (another bonus is active: its "
        "winnings would be a second one), `free_bet_unavailable` (expired), "
        "`campaign_refused` (rule `run_out`: its budget cannot pay the largest win).",
    )
    @inject
    async def play(
        self,
        free_bet_id: FromPath[uuid.UUID],
        player_id: NamedDependency[int],
        play: FromDishka[PlayFreeBet],
    ) -> FreeBetPlayView:
        return play_view(await play(player_id, free_bet_id))
