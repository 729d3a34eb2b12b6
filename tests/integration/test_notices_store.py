"""The notices' store on PostgreSQL: what the sweep for lost events reads
(`ReadyCrashResults.missed`)."""

from __future__ import annotations

import secrets

from domain.notices import NewNotice


async def test_waiting_subjects_are_those_still_waiting_oldest_first(new_player, uow_factory):
    player = await new_player()
    tag = secrets.token_hex(4)
    first, second, done = (f"crash_round:{tag}{n}" for n in (1, 2, 3))
    async with uow_factory() as uow:
        await uow.notices.add(NewNotice(f"{tag}-a", player.id, "crash_result", second))
        await uow.notices.add(NewNotice(f"{tag}-b", player.id, "crash_result", first))
        await uow.notices.add(NewNotice(f"{tag}-c", player.id, "crash_result", second))
        await uow.notices.add(NewNotice(f"{tag}-d", player.id, "crash_result", done), due=True)
        await uow.commit()
    async with uow_factory() as uow:
        subjects = await uow.notices.waiting_subjects(10_000)
        (made_due,) = await uow.notices.waiting(first)
        await uow.notices.make_due(made_due.id, {})
        await uow.commit()
    ours = [s for s in subjects if tag in s]
    assert ours == [second, first]  # once each, by their oldest notice; the due one is not
    async with uow_factory() as uow:
        assert first not in await uow.notices.waiting_subjects(10_000)
