"""Block and unblock a player with a reason (audited, and raising the event that closes their
live sockets)."""

from __future__ import annotations

from application.ledger_queries import check_text
from application.player_admin.player_ids import known_player_id
from application.ports import (
    Clock,
    PlayerSummary,
    UnitOfWorkFactory,
)
from application.staff import Actor
from domain.errors import IllegalTransition, InvalidField
from domain.events import PlayerBlocked, PlayerUnblocked
from domain.players import PlayerStatus
from domain.staff import AuditAction, AuditEntry

MAX_REASON_LENGTH = 500


def _reason(reason: str) -> str:
    reason = check_text("reason", reason).strip()
    if not 1 <= len(reason) <= MAX_REASON_LENGTH:
        raise InvalidField("reason", f"a reason is 1-{MAX_REASON_LENGTH} characters")
    return reason


class _ChangeStatus:
    target: PlayerStatus
    action: AuditAction
    event: type[PlayerBlocked | PlayerUnblocked]

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(self, player_id: int, reason: str, actor: Actor) -> PlayerSummary:
        player_id, reason = known_player_id(player_id), _reason(reason)
        now = self._clock.now()
        async with self._uow() as uow:
            before, before_reason = await uow.players.set_status(player_id, self.target, reason)
            if before is self.target:
                # Leaving without commit rolls the write back: nothing changed, nothing audited.
                raise IllegalTransition(f"player {player_id} is already {self.target}")
            uow.raise_events(self.event(player_id, now))
            await uow.audit.record(
                AuditEntry(
                    self.action,
                    now,
                    actor.label,
                    f"player:{player_id}",
                    actor.source,
                    before={"status": before.value, "reason": before_reason},
                    after={"status": self.target.value, "reason": reason},
                )
            )
            player = await uow.players.get(player_id)
            await uow.commit()
        return PlayerSummary(
            player.id,
            player.telegram_user_id,
            player.username,
            player.language_code,
            player.status,
            reason,
            player.created_at,
        )


class BlockPlayer(_ChangeStatus):
    """Block a player, with a mandatory reason (1-500 characters). Blocking a player who is
    already blocked is refused with `IllegalTransition` (409), not repeated silently: the
    first block's reason and audit entry stay the record of why.

    From the commit on, the player's standing refuses bets, deposits and withdrawal requests
    and freezes their pending withdrawals (`domain.standing`), their Mini App session tokens
    are refused (`application.miniapp.ReadPlayerSession`), and the `player.blocked` event,
    written with the block, closes their open live sockets when the relay publishes it."""

    target = PlayerStatus.BLOCKED
    action = AuditAction.PLAYER_BLOCKED
    event = PlayerBlocked


class UnblockPlayer(_ChangeStatus):
    """Lift a block, with a mandatory reason (1-500 characters). Unblocking an active player
    is refused with `IllegalTransition` (409)."""

    target = PlayerStatus.ACTIVE
    action = AuditAction.PLAYER_UNBLOCKED
    event = PlayerUnblocked
