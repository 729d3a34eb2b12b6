"""What a duel's messages say: the challenge with its numbers, and the result (the dice of
every round, the pot, the cut, the winner's prize)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.duels import Duel, DuelState, Seat
from entrypoints.bot.i18n import Translator


@dataclass(frozen=True, slots=True)
class DuelNames:
    challenger: str
    challenged: str

    def of(self, seat: Seat) -> str:
        return self.challenger if seat is Seat.CHALLENGER else self.challenged


def challenge_text(t: Translator, duel: Duel, names: DuelNames, window: timedelta) -> str:
    return t(
        "duels.challenge",
        challenger=names.challenger,
        challenged=names.challenged,
        game=duel.game,
        stake=duel.stake,
        pot=duel.pot,
        cut=duel.cut,
        prize=duel.prize,
        minutes=max(1, int(window.total_seconds() // 60)),
    )


def _rounds(t: Translator, duel: Duel, names: DuelNames) -> list[str]:
    lines = []
    for number in sorted({roll.round for roll in duel.rolls}):
        a = duel.rolled(Seat.CHALLENGER, number)
        b = duel.rolled(Seat.CHALLENGED, number)
        lines.append(
            t(
                "duels.round",
                round=number,
                challenger=names.challenger,
                challenged=names.challenged,
                a="–" if a is None else a.value,
                b="–" if b is None else b.value,
            )
        )
    return lines


def result_text(t: Translator, duel: Duel, names: DuelNames) -> str:
    lines = _rounds(t, duel, names)
    if duel.state is DuelState.SETTLED:
        winner = names.challenger if duel.winner_id == duel.challenger_id else names.challenged
        lines.append(t("duels.won", winner=winner, prize=duel.prize, pot=duel.pot, cut=duel.cut))
    elif duel.state is DuelState.REFUNDED:
        lines.append(t("duels.refunded_ties", ties=duel.ties, stake=duel.stake))
    else:
        lines.append(t("duels.unfinished"))
    return "\n".join(lines)
