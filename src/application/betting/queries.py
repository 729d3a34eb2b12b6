"""Staff look bets up and check them: a search with filters and keyset pagination, and one
bet with its fairness data and, once its seed pair is revealed, a recomputation of its
outcome from the seeds. An unrevealed server seed is never shown, to staff or anyone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from application.ledger_queries import (
    DEFAULT_PAGE_SIZE,
    check_page_size,
    check_player_id,
    check_time_range,
    decode_time_cursor,
    encode_cursor,
    time_bound,
)

# Moved to application.ports (a port and its values); named here too, for the modules that
# still import them from here.
from application.ports import BetFilter as BetFilter
from application.ports import BetReadModel as BetReadModel
from application.ports import BetSummary as BetSummary
from application.ports import UnitOfWorkFactory
from application.verification import played_steps
from domain.bets import Bet, BetState
from domain.errors import GameUnavailable, InvalidField, NotFound
from domain.games.catalog import game_by_code, payout_for
from domain.verification import check_outcome


@dataclass(frozen=True, slots=True)
class BetQuery:
    """A search as it arrives; the use case validates it field by field."""

    player_id: int | None = None
    game: str | None = None
    state: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: str | None = None
    limit: int = DEFAULT_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class BetPage:
    bets: tuple[BetSummary, ...]
    next_cursor: str | None


_CURSOR_KIND = "bet"


class SearchBets:
    """Bets by player, game, state and placement time, newest first, a page at a time."""

    def __init__(self, bets: BetReadModel) -> None:
        self._bets = bets

    async def __call__(self, query: BetQuery) -> BetPage:
        game = None
        if query.game:
            try:
                game = game_by_code(query.game.strip().lower()).code
            except GameUnavailable as error:
                raise InvalidField("game", error.message) from None
        state = None
        if query.state:
            try:
                state = BetState(query.state.strip().lower())
            except ValueError:
                states = ", ".join(s.value for s in BetState)
                raise InvalidField("state", f"state is one of {states}") from None
        since, until = time_bound("from", query.since), time_bound("to", query.until)
        check_time_range(since, until)
        limit = check_page_size(query.limit)
        after = decode_time_cursor(query.cursor, _CURSOR_KIND) if query.cursor else None
        where = BetFilter(check_player_id(query.player_id), game, state, since, until)
        rows = await self._bets.search(where, after=after, limit=limit + 1)
        page = tuple(rows[:limit])
        more = len(rows) > limit
        last = page[-1] if page else None
        cursor = (
            encode_cursor(_CURSOR_KIND, last.placed_at.isoformat(), last.id)
            if more and last
            else None
        )
        return BetPage(page, cursor)


@dataclass(frozen=True, slots=True)
class Recomputation:
    """The bet's result worked out again from the revealed seeds, as a public verifier
    would, with the bet's own parameters and the house edge fixed when it was placed."""

    server_seed: str
    outcome: int
    description: str
    multiplier: Fraction | None
    payout: int | None
    matches: bool  # outcome, multiplier, payout and seed commitment all agree with the bet


@dataclass(frozen=True, slots=True)
class BetInspection:
    bet: Bet
    revealed: bool  # the seed pair was rotated, so its server seed is public
    recomputation: Recomputation | None  # only for a settled, seeded bet on a revealed pair

    @property
    def provably_fair(self) -> bool:
        return self.bet.fairness is not None


class InspectBet:
    """One bet with its fairness data. When its seed pair has been revealed (rotated), the
    outcome is recomputed from the seeds and compared with what was paid; before that, the
    inspection says the pair is not revealed and shows no server seed."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, bet_id: uuid.UUID) -> BetInspection:
        async with self._uow() as uow:
            bet = await uow.bets.find(bet_id)
            if bet is None:
                raise NotFound(f"there is no bet {bet_id}")
            if bet.fairness is None:
                return BetInspection(bet, revealed=False, recomputation=None)
            pair = await uow.seeds.get(bet.fairness.seed_pair_id)
            steps = await played_steps(uow, bet)
        if not pair.revealed:
            return BetInspection(bet, revealed=False, recomputation=None)
        if bet.outcome is None:  # pragma: no cover - seeded bets settle as they are placed
            return BetInspection(bet, revealed=True, recomputation=None)
        server_seed = pair.revealed_seed()
        check = check_outcome(
            bet.game,
            server_seed=server_seed,
            client_seed=bet.fairness.client_seed,
            nonce=bet.fairness.nonce,
            params=bet.params,
            house_edge=bet.house_edge,
            steps=steps,
        )
        assert check.outcome is not None  # a mines bet's steps were given
        payout = (
            None if check.multiplier is None else payout_for(bet.stake.amount, check.multiplier)
        )
        matches = (
            check.outcome == bet.outcome
            and check.multiplier == bet.multiplier
            and payout == bet.payout
            and check.server_seed_hash == bet.fairness.server_seed_hash
        )
        return BetInspection(
            bet,
            revealed=True,
            recomputation=Recomputation(
                server_seed, check.outcome, check.description, check.multiplier, payout, matches
            ),
        )
