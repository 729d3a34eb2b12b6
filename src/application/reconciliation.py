"""Reconcile the books: every invariant of money, bets and events, checked over everything."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from application.ports import BooksAudit, Discrepancy
from domain.crash_rounds import round_problems, seat_problems
from domain.games.base import SteppedGame
from domain.games.catalog import game_by_code
from domain.verification import settlement_problems


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    discrepancies: list[Discrepancy] = field(default_factory=list)
    bets_recomputed: int = 0

    @property
    def clean(self) -> bool:
        return not self.discrepancies


class Reconcile:
    # Crash rounds are read in pages of this many (each with its bets).
    ROUND_PAGE = 100

    """Check every invariant of the books and report each discrepancy: the ledger's (zero sums,
    balances equal to their legs, no forbidden negative, ...), every won or lost bet
    recomputed from its seeds or dice (outcome, multiplier, payout, state; a mines game's
    mines from its seeds and its outcome from the tiles revealed on them), and the outbox
    (every change has its event, no sequence gap). Reads only; safe on a live system."""

    def __init__(self, audit: BooksAudit, *, page: int = 1000, report_limit: int = 100) -> None:
        self._audit = audit
        self._page = page
        self._limit = report_limit

    async def __call__(self) -> ReconcileReport:
        found = list(await self._audit.ledger_problems())
        recomputed = 0
        after: uuid.UUID | None = None
        while True:
            bets = await self._audit.settled_bets(after, self._page)
            fields = await self._audit.mines_fields(
                [bet.id for bet, _ in bets if isinstance(game_by_code(bet.game), SteppedGame)]
            )
            for bet, server_seed in bets:
                recomputed += 1
                for problem in settlement_problems(bet, server_seed, fields.get(bet.id)):
                    if len(found) < self._limit:
                        found.append(Discrepancy("bet does not recompute", f"{bet.id}: {problem}"))
            if len(bets) < self._page:
                break
            after = bets[-1][0].id
        found += await self._crash_rounds()
        for missing in await self._audit.missing_events(self._limit):
            found.append(Discrepancy("outbox is missing an event", missing))
        return ReconcileReport(found, recomputed)

    async def _crash_rounds(self) -> list[Discrepancy]:
        """Every crashed round: its hash linked to the chain's published end (each round's
        link checked against the last one checked, so the whole chain costs one pass) and its
        crash point recomputed; then every bet on it recomputed from the round."""
        found: list[Discrepancy] = []
        links: dict[int, tuple[int, str]] = {}
        after = 0
        while True:
            books = await self._audit.crashed_rounds(after, self.ROUND_PAGE)
            for book in books:
                round_, chain = book.round, book.chain
                link = links.get(chain.id, (0, chain.end_hash))
                for problem in round_problems(round_, chain, link):
                    found.append(
                        Discrepancy(
                            "crash round does not recompute", f"round {round_.id}: {problem}"
                        )
                    )
                if round_.round_hash is not None:
                    links[chain.id] = (round_.number, round_.round_hash)
                for seat, bet in book.bets:
                    if bet is None:
                        continue
                    for problem in seat_problems(round_, seat, bet.state.value, bet.outcome):
                        found.append(
                            Discrepancy("crash bet does not recompute", f"{bet.id}: {problem}")
                        )
            if len(books) < self.ROUND_PAGE:
                return found[: self._limit]
            after = books[-1].round.id
