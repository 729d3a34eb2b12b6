"""The seamless wallet's use cases: Debit, Credit and Rollback as game providers call them.

Each call is one unit of work that first locks the round (creating it if new), then claims the
provider's transaction id, then posts to the ledger: the record and its journal entry commit
together or not at all. Every call is idempotent on (provider, transaction id): a repeat with
the same content answers like the first call (`replayed`, the balance as it is now) and moves
nothing; the same id with different content is an `IdempotencyConflict`. Concurrent twins
queue on the round's lock or on the id's primary key, and replay the winner.

The player's standing (`domain.standing`) is read in each call's unit of work: a debit is a
bet (`Operation.BET`: refused for a blocked player, one who has not accepted the terms, or one
timed out or self-excluded); a credit or a rollback settles a round already played
(`Operation.SETTLE`: never refused, so a blocked player's open rounds end as they stand). A
repeat of a call answers with its first result whatever the standing is now.

A door whose dialect promises byte-identical answers to a repeated request (Hub88's
`request_uuid`) passes a `DoorRequest`: the first answer is kept in the same unit of work as
the money it moved (docs/aggregators.md); the gRPC door passes none.

One call a module: `debit`, `credit`, `rollback`, on `calls` (their commands, answer
and shared steps)."""

from application.seamless.calls import (
    AnswerKeptElsewhere,
    DoorRequest,
    SeamlessCreditCommand,
    SeamlessDebitCommand,
    SeamlessResult,
    SeamlessRollbackCommand,
)
from application.seamless.credit import SeamlessCredit
from application.seamless.debit import SeamlessDebit
from application.seamless.rollback import SeamlessRollback

__all__ = [
    "AnswerKeptElsewhere",
    "DoorRequest",
    "SeamlessCredit",
    "SeamlessCreditCommand",
    "SeamlessDebit",
    "SeamlessDebitCommand",
    "SeamlessResult",
    "SeamlessRollback",
    "SeamlessRollbackCommand",
]
