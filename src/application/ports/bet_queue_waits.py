"""How long bets waited in the process's bet queue before their batch began, for monitoring.

A bet's time in `BetQueue` is its wait for a slot (the batch holding its player, or every
slot, busy) and then its own batch's run. The run's parts are timed where they happen (the
placement road's reads and write); the wait is only seen by the queue. Under load a bet waits
about one batch's cycle, the batch in flight when it came; a wait much longer than the
batches' own parts says bets piled up behind one slow batch, or behind their own player's."""

from __future__ import annotations

from typing import Protocol


class BetQueueWaits(Protocol):
    """Told as each batch starts. It sits on the path of every batch: an implementation must
    be quick and must neither block nor raise."""

    def started(self, waited: float, *, message: bool) -> None:
        """A batch started whose longest-waiting bet waited `waited` seconds since it was
        submitted (next to nothing for a bet that found a slot free); `message`: bets submitted
        together (a PlaceBatch message), which have a lane of their own."""
        ...
