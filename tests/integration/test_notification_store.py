"""Notifications on PostgreSQL (revisions 0043, 0048): a notice kept for later is not due before its
time, a withheld one is a state the table takes, and a player's choices round-trip, with the
table refusing a required topic turned off even past the domain."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from domain.big_wins import BIG_WIN
from domain.notices import NewNotice, NoticeState
from domain.notifications import Topic


async def test_a_notice_kept_for_later_is_due_from_its_time_and_may_be_withheld(
    new_player, uow_factory
):
    player = await new_player()
    later = datetime.now(UTC) + timedelta(days=6)
    key = f"bonus.expiring:{secrets.token_hex(6)}"
    async with uow_factory() as uow:
        kept = NewNotice(key, player.id, "bonus.expiring", "bonus:x", {}, not_before=later)
        assert await uow.notices.add(kept, due=True)
        await uow.commit()

    async def ours(now: datetime) -> list[int]:
        async with uow_factory() as uow:
            due = await uow.notices.due(now, 10_000)
        return [d.notice.id for d in due if d.notice.dedup_key == key]

    assert await ours(datetime.now(UTC)) == []
    (notice_id,) = await ours(later + timedelta(seconds=1))
    async with uow_factory() as uow:
        await uow.notices.end(notice_id, NoticeState.WITHHELD, later)
        await uow.commit()
    assert await ours(later + timedelta(seconds=1)) == []


async def test_choices_round_trip_and_the_table_keeps_withdrawals_on(
    new_player, uow_factory, engine
):
    player = await new_player()
    at = datetime.now(UTC)
    async with uow_factory() as uow:
        assert (await uow.notice_choices.of(player.id)).off == frozenset()
        await uow.notice_choices.choose(player.id, Topic.BONUSES, False, at)
        await uow.notice_choices.choose(player.id, Topic.DEPOSITS, False, at)
        await uow.notice_choices.choose(player.id, Topic.DEPOSITS, True, at)
        await uow.commit()
    async with uow_factory() as uow:
        assert (await uow.notice_choices.of(player.id)).off == {Topic.BONUSES}
    with pytest.raises(IntegrityError, match="notice_choices_required_check"):
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO notice_choices (player_id, topic, enabled)"
                    " VALUES (:p, 'withdrawals', false)"
                ),
                {"p": player.id},
            )


async def test_consent_to_the_big_wins_feed_round_trips_and_the_last_post_is_read(
    new_player, uow_factory
):
    player = await new_player()
    at = datetime.now(UTC)
    async with uow_factory() as uow:
        choices = await uow.notice_choices.of(player.id)
        assert not choices.is_on(Topic.BIG_WINS)  # no row: no consent
        assert await uow.notices.last_sent(player.id, BIG_WIN) is None
        await uow.notice_choices.choose(player.id, Topic.BIG_WINS, True, at)
        await uow.notice_choices.choose(player.id, Topic.DEPOSITS, False, at)
        for n in (1, 2):
            key = f"{BIG_WIN}:{secrets.token_hex(6)}"
            assert await uow.notices.add(NewNotice(key, player.id, BIG_WIN, f"bet:{n}"), due=True)
        await uow.commit()
    async with uow_factory() as uow:
        choices = await uow.notice_choices.of(player.id)
        assert (choices.off, choices.opted_in) == ({Topic.DEPOSITS}, {Topic.BIG_WINS})
        due = [d.notice for d in await uow.notices.due(at + timedelta(seconds=1), 10_000)]
        first, second = [n.id for n in due if n.player_id == player.id]
        await uow.notices.end(first, NoticeState.SENT, at)
        await uow.notices.end(second, NoticeState.WITHHELD, at + timedelta(minutes=1))
        await uow.notice_choices.choose(player.id, Topic.BIG_WINS, False, at)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.notices.last_sent(player.id, BIG_WIN) == at  # the withheld one not
        assert not (await uow.notice_choices.of(player.id)).is_on(Topic.BIG_WINS)
