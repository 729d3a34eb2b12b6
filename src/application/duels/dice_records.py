"""The one rule for a die the bot reports, a duel's and a lobby's alike: a retry of the same
record (the same message) is answered with the game as it stands and moves nothing; another
die where one is recorded is refused, so a second die never replaces the first; and a die
is recorded only for the round being rolled (after a restart the bot asks the table)."""

from __future__ import annotations

from typing import Protocol

from domain.errors import IllegalTransition


class RecordedDie(Protocol):
    @property
    def message_id(self) -> int: ...


def is_repeat(
    recorded: RecordedDie | None,
    *,
    message_id: int,
    round_: int,
    current_round: int,
    game: str,
    die: str,
) -> bool:
    """Whether the die of message `message_id`, sent for `round_`, is the one `recorded` for
    its seat and round already (None: nothing is). `game` and `die` name them in a refusal
    ("duel …", "the challenger's die")."""
    if recorded is not None:
        if recorded.message_id != message_id:
            raise IllegalTransition(f"{game} has {die} of round {round_} already")
        return True
    if current_round != round_:
        raise IllegalTransition(f"{game} is in round {current_round}")
    return False
