"""Velocity limits on bets and deposits, checked before a use case opens its unit of work.

What happens when the counters (Redis) cannot answer is decided per limit (`fail_open`):

- **Bets fail open.** Every money rule a bet must obey (the balance, the responsible-gambling
  limits, exclusions and reality checks) runs in PostgreSQL inside the bet's own transaction
  and holds without Redis; the per-second cap only slows scripts down. Refusing every bet
  while Redis is down would turn a cache outage into a casino outage and protect no money.
- **Deposits fail closed.** The per-hour cap is a fraud control (bursts of stolen-card or
  laundering deposits), and nothing else stands in for it. A refused deposit writes nothing,
  the processor keeps (or returns) the money, and a retry minutes later succeeds: the cost is
  a delay, while an accepted fraudulent burst costs chargebacks.

Either way the outage is logged as a warning and counted by the adapter's metric.

A repeat of an operation that already went through is never refused here: a client retrying
a bet, or a processor retrying a deposit, must get the first answer, or it could believe
that money which moved did not."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from application.ports import VelocityLimiter, VelocityStoreDown
from domain.velocity import VelocityAction, VelocityLimit, VelocityLimited, VelocityUnavailable

log = logging.getLogger(__name__)

IsReplay = Callable[[], Awaitable[bool]]


class VelocityPolicy:
    """The configured limits (an action without one is not limited) over a limiter."""

    def __init__(
        self,
        limiter: VelocityLimiter | None,
        limits: Mapping[VelocityAction, VelocityLimit],
    ) -> None:
        if limits and limiter is None:
            raise ValueError("velocity limits need a limiter to count them")
        for action, limit in limits.items():
            if limit.action is not action:
                raise ValueError(f"the {action} limit is for {limit.action}")
        self._limiter = limiter
        self._limits = dict(limits)

    @classmethod
    def unlimited(cls) -> VelocityPolicy:
        return cls(None, {})

    def limit(self, action: VelocityAction) -> VelocityLimit | None:
        return self._limits.get(action)

    async def check(self, action: VelocityAction, player_id: int) -> None:
        """Count one action; `VelocityLimited` over the limit, `VelocityUnavailable` when a
        fail-closed limit cannot be counted."""
        limit = self._limits.get(action)
        if limit is None or self._limiter is None:
            return
        try:
            wait = await self._limiter.hit(limit, player_id)
        except VelocityStoreDown:
            if limit.fail_open:
                log.warning(
                    "velocity counters unavailable; %s of player %s let through (fail-open)",
                    action,
                    player_id,
                )
                return
            log.warning(
                "velocity counters unavailable; %s of player %s refused (fail-closed)",
                action,
                player_id,
            )
            raise VelocityUnavailable(limit) from None
        if wait is not None:
            raise VelocityLimited(limit, wait)

    async def admit(self, action: VelocityAction, player_id: int, is_replay: IsReplay) -> None:
        """`check`, except that a refusal gives way when the operation already happened
        (`is_replay`, asked only then): the use case will answer with the first result."""
        try:
            await self.check(action, player_id)
        except (VelocityLimited, VelocityUnavailable):
            if not await is_replay():
                raise


NO_VELOCITY_LIMITS = VelocityPolicy.unlimited()
