"""AcceptTerms, the one use case every door records the 18+ and terms confirmation with (the
bot, the Mini App, an internal service over gRPC), on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from application.onboarding import AcceptTerms, StartPlayer
from application.registration import RegisterPlayerCommand
from application.staff import Actor
from domain.errors import NotFound
from tests.conftest import race
from tests.fakes import FakeClock

pytestmark = pytest.mark.integration


async def _audit_actors(engine, player_id: int) -> list[str]:
    async with engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    text(
                        "SELECT actor FROM audit_log WHERE action = 'terms_accepted'"
                        " AND subject = :s ORDER BY id"
                    ),
                    {"s": f"player:{player_id}"},
                )
            ).scalars()
        )


async def test_a_bot_player_accepts_as_themselves(uow_factory, clock, new_telegram_id, engine):
    onboarded = await StartPlayer(uow_factory, clock)(
        new_telegram_id(), username=None, language="ru"
    )
    assert onboarded.preferences.terms_accepted_at is None

    accepted = await AcceptTerms(uow_factory, clock)(onboarded.player.id)

    assert not accepted.replayed
    async with uow_factory() as uow:
        preferences = await uow.preferences.get(onboarded.player.id)
    assert preferences is not None
    assert preferences.terms_accepted_at == accepted.at
    assert preferences.referral_code == onboarded.preferences.referral_code  # the same row
    assert await _audit_actors(engine, onboarded.player.id) == [f"player:{onboarded.player.id}"]


async def test_the_first_time_counts_even_at_the_same_instant(
    uow_factory, register, new_telegram_id, engine
):
    """A frozen clock gives a repeat the same `now`: it is still a repeat, not audited again."""
    player = (await register(RegisterPlayerCommand(new_telegram_id()))).player
    frozen = FakeClock()
    accept = AcceptTerms(uow_factory, frozen)
    first = await accept(player.id, Actor.service("front"))
    again = await accept(player.id, Actor.service("other-front"))
    assert (first.replayed, again.replayed) == (False, True)
    assert again.at == first.at == frozen.now()
    assert await _audit_actors(engine, player.id) == ["service:front"]


async def test_racing_acceptances_record_one_time_and_one_entry(
    uow_factory, clock, register, new_telegram_id, engine
):
    # No preferences row yet: the racers also race to create it.
    player = (await register(RegisterPlayerCommand(new_telegram_id()))).player
    accept = AcceptTerms(uow_factory, clock)
    results = await race(8, lambda i: accept(player.id, Actor.service(f"front-{i}")))

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len({r.at for r in results}) == 1
    [winner] = [i for i, r in enumerate(results) if not r.replayed]
    assert await _audit_actors(engine, player.id) == [f"service:front-{winner}"]


async def test_an_unknown_player_is_not_found_and_nothing_is_written(uow_factory, clock, engine):
    for unknown in (987_654_321_987, 2**63 - 1, 0, -1):
        with pytest.raises(NotFound):
            await AcceptTerms(uow_factory, clock)(unknown, Actor.service("front"))
    async with engine.connect() as conn:
        orphans = await conn.scalar(
            text(
                "SELECT count(*) FROM player_preferences pp"
                " WHERE NOT EXISTS (SELECT 1 FROM players p WHERE p.id = pp.player_id)"
            )
        )
    assert orphans == 0
