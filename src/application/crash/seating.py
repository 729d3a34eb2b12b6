"""The seats of a batch of crash bets on the snapshot road: the round's rules a bet passes
after the one road's (one bet per player, round and currency; the round's exposure within its
share of the bankroll), decided in Python bet by bet on what `CrashRounds.seating` read, and
checked again set-based by the write (`place_round_bets`, revision 0030)."""

from __future__ import annotations

import uuid
from fractions import Fraction

from application.betting.decision import PlaceBetCommand
from application.ports import RoundSeating, RoundSeats
from domain.bets import Bet
from domain.crash_rounds import CrashRound, CrashSeat, RoundExposure, require_free_seat


class BatchSeats:
    """A `BetSeating` for one batch on one round: each bet admitted takes its seat and adds
    its exposure, so a later bet of the batch sees the earlier ones, as a later bet of the
    locked road sees the committed ones."""

    def __init__(self, round_: CrashRound, read: RoundSeating, share: Fraction) -> None:
        self.round = round_
        self._read = read
        self._share = share
        self._taken: list[CrashSeat] = list(read.seats)
        self._exposure: dict[str, RoundExposure] = {}
        self.seated: dict[uuid.UUID, CrashSeat] = {}

    def admit(self, command: PlaceBetCommand, bet: Bet, bankroll: int) -> None:
        currency = bet.stake.currency.code
        require_free_seat(self._taken, bet.player_id, currency)
        exposure = self._exposure.get(currency) or RoundExposure(
            self._read.exposure.get(currency, 0), bankroll, self._share
        )
        self._exposure[currency] = exposure.admit(bet.stake, bet.max_payout)
        seat = CrashSeat(
            bet_id=bet.id,
            round_id=self.round.id,
            player_id=bet.player_id,
            currency=currency,
            target=bet.selection.value,
            exposure=bet.max_net_loss_to_house,
        )
        self._taken.append(seat)
        self.seated[bet.id] = seat

    def seats(self) -> RoundSeats:
        return RoundSeats(
            round_id=self.round.id,
            seats=list(self.seated.values()),
            limits={c: exposure.limit for c, exposure in sorted(self._exposure.items())},
        )
