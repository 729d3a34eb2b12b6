"""The groups duels are played in (domain/duel_groups.py, docs/duels.md, "The groups").

`RecordDuelGroup`: what the bot found when it checked a group (added by someone, or an old
group on its first duel); `FindDuelGroup`: the record, for the bot's check before a duel;
`GroupDuelReport`: `/groupstats`, the group's settled duels and, for its owner alone, the
owner's share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports import Clock, UnitOfWorkFactory
from domain.duel_groups import DuelGroup, GroupDuelStats
from domain.duels import DuelRules

_TITLE_MAX = 255


class RecordDuelGroup:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def __call__(
        self,
        chat_id: int,
        title: str,
        owner_telegram_id: int | None,
        added_by_admin: bool | None,
    ) -> DuelGroup:
        group = DuelGroup(
            chat_id, title[:_TITLE_MAX], owner_telegram_id, added_by_admin, self._clock.now()
        )
        async with self._uow() as uow:
            await uow.duel_groups.record(group)
            await uow.commit()
        return group


class FindDuelGroup:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def __call__(self, chat_id: int) -> DuelGroup | None:
        async with self._uow() as uow:
            return await uow.duel_groups.find(chat_id)


@dataclass(frozen=True, slots=True)
class GroupDuelReport:
    """`stats` per currency; `for_owner` when the one asking owns the group (only they are
    shown the owner's share); `owner_share_bps` the share of the cut new duels give."""

    group: DuelGroup | None
    stats: Sequence[GroupDuelStats]
    for_owner: bool
    owner_share_bps: int


class ReportGroupDuels:
    def __init__(self, uow: UnitOfWorkFactory, rules: DuelRules) -> None:
        self._uow = uow
        self._rules = rules

    async def __call__(self, chat_id: int, telegram_user_id: int) -> GroupDuelReport:
        async with self._uow() as uow:
            group = await uow.duel_groups.find(chat_id)
            stats = await uow.duel_groups.stats(chat_id)
        return GroupDuelReport(
            group=group,
            stats=tuple(stats),
            for_owner=group is not None and group.is_owner(telegram_user_id),
            owner_share_bps=self._rules.owner_share_bps,
        )
