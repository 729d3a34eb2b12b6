"""The guard the bet and deposit use cases call inside their own unit of work before any money
moves."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from application.ports import UnitOfWork
from application.responsible.status import usage_by_period
from domain.errors import DomainError
from domain.money import Money
from domain.responsible import (
    BET_LIMIT_KINDS,
    DEPOSIT_LIMIT_KINDS,
    DepositLimitPromptDue,
    LimitKind,
    applicable_limits,
    check_limits,
)
from domain.standing import Operation, PlayerStanding


class ResponsibleGamblingGuard:
    """Called by the bet and deposit use cases inside their own unit of work, with the player's
    standing (`PlayerRepository.standing`, or the placement's read of it) and the time they
    will record, BEFORE they write the bet or the deposit (the usage it reads must not include
    it yet) and before they lock anything else (the player's responsible-gambling lock comes
    first, always in the same order). Raises the standing's refusal (`StandingRefusal`: blocked,
    terms not accepted) or a `ResponsibleGamblingRefusal` naming the rule (an exclusion, a
    limit, a due reality check); returns when the operation may go ahead. The standing is
    decided by `PlayerStanding.require`, with the player's exclusion when there is a record.

    Concurrency: a player who has set anything has a responsible-gambling record, and the
    guard locks it (SELECT ... FOR UPDATE) before reading limits and usage. The lock is held
    until the caller's unit of work ends, so two bets (or deposits) of that player that race
    each other are checked one after the other: the second reads its usage in a new statement
    after the first has committed (READ COMMITTED), sees the first's stake, and cannot pass
    the same room in a limit. Every change of a limit, exclusion or reality check takes the
    same lock, so no bet is checked against a half-made change. A player with no record costs
    exactly one query (the lock attempt finds no row) and is never serialised; a bet placement
    takes that lock in its first read (`PlacementReads`) and passes `locked`, so it costs none."""

    async def check_bet(
        self,
        uow: UnitOfWork,
        standing: PlayerStanding,
        stake: Money,
        now: datetime,
        *,
        locked: bool | None = None,
    ) -> None:
        """`locked`: whether the caller already took the player's lock, finding a record
        (None: the guard takes it). With `locked=False` nothing is read: the standing alone
        decides (a batch of bets decides its players without a record that way)."""
        stake.require_positive()
        repo = uow.responsible
        player_id = standing.player_id
        if locked is None:
            locked = await repo.lock(player_id)
        if not locked:
            standing.require(Operation.BET, now)
            return
        profile = await repo.profile(player_id)
        standing.with_exclusion(profile.exclusion).require(Operation.BET, now)
        limits = applicable_limits(profile.limits, BET_LIMIT_KINDS, stake.currency)
        if limits:
            usage = await usage_by_period(repo, player_id, stake.currency, limits, now)
            check_limits(limits, BET_LIMIT_KINDS, stake, usage)
        check = profile.reality_check
        if check is not None:
            seen = check.before_bet(now, await repo.last_played_at(player_id))
            if seen != check:  # a new session: written with the bet, or not at all
                await repo.save_reality_check(seen)
            if seen.is_due(now):
                session = await repo.usage(
                    player_id,
                    stake.currency,
                    seen.session_started_at,
                    frozenset({LimitKind.LOSS}),
                )
                raise seen.refusal(now, Money(-session.net_loss, stake.currency))

    async def check_deposit(
        self,
        uow: UnitOfWork,
        standing: PlayerStanding,
        amount: Money,
        now: datetime,
        *,
        pending: int = 0,
    ) -> None:
        """`pending`: deposits already offered and not yet paid in this currency (open
        crypto invoices), counted as deposited so offers together keep to the limit."""
        amount.require_positive()
        repo = uow.responsible
        player_id = standing.player_id
        if not await repo.lock(player_id):
            standing.require(Operation.DEPOSIT, now)
            return
        profile = await repo.profile(player_id)
        standing.with_exclusion(profile.exclusion).require(Operation.DEPOSIT, now)
        limits = applicable_limits(profile.limits, DEPOSIT_LIMIT_KINDS, amount.currency)
        if limits:
            usage = await usage_by_period(repo, player_id, amount.currency, limits, now)
            if pending:
                usage = {
                    period: replace(used, deposited=used.deposited + pending)
                    for period, used in usage.items()
                }
            check_limits(limits, DEPOSIT_LIMIT_KINDS, amount, usage)

    async def check_deposit_offer(
        self,
        uow: UnitOfWork,
        standing: PlayerStanding,
        amount: Money,
        now: datetime,
        *,
        pending: int = 0,
    ) -> None:
        """`check_deposit` for a new deposit offer (a Stars invoice, a crypto invoice), and
        then the prompt at the first deposit (UKGC RTS 12, docs/responsible-gambling.md): a
        player who never set a deposit limit nor answered "No limit for now" is refused with
        `DepositLimitPromptDue`, whichever door asked. The standing and limits come first, so
        a player who may not deposit at all hears why, not the prompt. Payment itself (the
        pre-checkout, a paid invoice) is not asked again: the offer was made after the
        answer."""
        await self.check_deposit(uow, standing, amount, now, pending=pending)
        if await uow.responsible.deposit_prompt_due(standing.player_id):
            raise DepositLimitPromptDue(
                "set a deposit limit or choose no limit for now before the first deposit"
            )

    async def check_play_on(self, uow: UnitOfWork, standing: PlayerStanding, now: datetime) -> None:
        """Another step of a game whose stake is already taken (a mines tile,
        `Operation.PLAY_ON`): the standing with the player's exclusion. No amount moves in, so
        no limit or reality check (the stake was weighed when the game opened). Called under
        the game's bet lock: nothing takes a bet's lock after this one (a placement only
        inserts new bets), so the order cannot deadlock."""
        repo = uow.responsible
        if await repo.lock(standing.player_id):
            standing = standing.with_exclusion((await repo.profile(standing.player_id)).exclusion)
        standing.require(Operation.PLAY_ON, now)

    async def check_promotion(
        self, uow: UnitOfWork, standing: PlayerStanding, now: datetime
    ) -> None:
        """Anything a promotion gives or offers (`Operation.PROMOTION`): the standing with
        the player's exclusion, read under the player's lock so a self-exclusion that commits
        first is seen. No amount is weighed against a limit: a promotion adds money."""
        refusal = await self.promotion_refusal(uow, standing, now)
        if refusal is not None:
            raise refusal

    async def promotion_refusal(
        self, uow: UnitOfWork, standing: PlayerStanding, now: datetime
    ) -> DomainError | None:
        """`check_promotion`'s reading as an answer rather than a raise: for what is withheld
        rather than refused (a promotional notice due to a player on a break)."""
        repo = uow.responsible
        if await repo.lock(standing.player_id):
            standing = standing.with_exclusion((await repo.profile(standing.player_id)).exclusion)
        return standing.refusal(Operation.PROMOTION, now)


# The guard holds no state: the bet and deposit use cases default to this one, so none of them
# can be built without responsible-gambling checks.
ALWAYS_GUARDED = ResponsibleGamblingGuard()
