"""Risk controls on the real database: flags with their evidence, one open flag per player and
kind, shared payment identities, large wins and wagers in the settlement's transaction, and
outcome monitoring over stored bets.

Tests that scan or monitor a window run with a clock fixed on a day of their own in the
1980s, which no other test writes on, so the window holds exactly what the test put there."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.personal import identity_digest
from adapters.postgres.reports import SqlReports
from application.betting import (
    PlaceBet,
    PlaceBetCommand,
    SettleDiceBet,
    SettleDiceBetCommand,
)
from application.ports import RiskFlagQuery
from application.postings import CreditDeposit, CreditDepositCommand
from application.risk import (
    HasOpenRiskFlags,
    ListRiskFlags,
    MonitorOutcomes,
    RecordPaymentIdentity,
    ReviewRiskFlag,
    RiskReview,
    ScanPlayersForRisk,
)
from application.staff import Actor
from domain.errors import IllegalTransition
from domain.money import XTR, Money
from domain.risk import (
    PaymentIdentityKind,
    RiskFlagKind,
    RiskFlagStatus,
    RiskPolicy,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def noon(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def casino(uow_factory, ids, house, seed_source, fund_bankroll, new_player, unique_key):
    """Use cases on a clock that stands still at `moment`, with a risk policy of the test's."""

    class Casino:
        def __init__(self, moment: datetime, policy: RiskPolicy) -> None:
            self.clock = FixedClock(moment)
            self.review = RiskReview(policy)
            self.place = PlaceBet(
                uow_factory, self.clock, ids, house, seed_source, risk=self.review
            )
            self.settle = SettleDiceBet(uow_factory, self.clock, ids, house, risk=self.review)
            self.credit = CreditDeposit(uow_factory, self.clock, ids, house)

        async def player(self, deposit: int = 1000):
            await fund_bankroll()
            member = await new_player()
            await self.credit(
                CreditDepositCommand(member.id, Money(deposit, XTR), unique_key("dep"))
            )
            return member

        async def dice_bet(self, player_id: int, value: int, stake: int = 10, face: int = 6):
            """A 🎲 bet on one face, settled on a dice showing `value`."""
            placed = await self.place(
                PlaceBetCommand(
                    player_id,
                    uuid.uuid4(),
                    "tg_dice",
                    Money(stake, XTR),
                    {"bet": "face", "face": str(face)},
                )
            )
            return await self.settle(
                SettleDiceBetCommand(
                    placed.bet.id,
                    chat_id=secrets.randbelow(2**40),
                    message_id=secrets.randbelow(2**40),
                    value=value,
                )
            )

    return Casino


async def _flags(uow_factory, player_id: int, kind: RiskFlagKind | None = None):
    return list(await ListRiskFlags(uow_factory)(RiskFlagQuery(player_id=player_id, kind=kind)))


async def _audit(engine, action: str, subject: str) -> list:
    async with engine.connect() as conn:
        return list(
            await conn.execute(
                text("SELECT after FROM audit_log WHERE action = :a AND subject = :s ORDER BY id"),
                {"a": action, "s": subject},
            )
        )


# -- improbable results ----------------------------------------------------------------------


async def test_a_player_who_wins_far_too_often_is_flagged_with_evidence(casino, uow_factory):
    moment = noon(1987, 3, 2)
    policy = RiskPolicy(min_bets=30, scan_window=timedelta(days=1))
    table = casino(moment, policy)
    lucky, honest = await table.player(), await table.player()
    for _ in range(30):  # a face bet wins 1 time in 6; this player hits it every time
        await table.dice_bet(lucky.id, value=6)
    for value in [1, 2, 3, 4, 5, 6] * 5:
        await table.dice_bet(honest.id, value=value)

    scan = ScanPlayersForRisk(uow_factory, FixedClock(moment + timedelta(hours=1)), table.review)
    result = await scan()

    assert [f.player_id for f in result.flags] == [lucky.id]
    [flag] = await _flags(uow_factory, lucky.id)
    assert flag.kind is RiskFlagKind.IMPROBABLE_RESULTS
    assert flag.status is RiskFlagStatus.OPEN
    evidence = flag.evidence
    assert (evidence["currency"], evidence["bets"], evidence["stakes"]) == ("XTR", 30, 300)
    assert evidence["actual_net"] == 30 * (58 - 10)  # 10 × 5.82 pays 58
    assert evidence["expected_net"] == pytest.approx(30 * (58 / 6 - 10), abs=0.01)
    assert evidence["sd"] > 0
    assert evidence["z"] > 4
    assert await _flags(uow_factory, honest.id) == []
    assert await HasOpenRiskFlags(uow_factory)(lucky.id)
    assert not await HasOpenRiskFlags(uow_factory)(honest.id)


async def test_a_scan_run_twice_does_not_duplicate_an_open_flag(casino, uow_factory):
    moment = noon(1987, 3, 9)
    table = casino(moment, RiskPolicy(min_bets=20, scan_window=timedelta(days=1)))
    lucky = await table.player()
    for _ in range(20):
        await table.dice_bet(lucky.id, value=6)
    scan = ScanPlayersForRisk(uow_factory, FixedClock(moment + timedelta(hours=1)), table.review)

    assert len((await scan()).flags) == 1
    assert (await scan()).flags == ()
    [flag] = await _flags(uow_factory, lucky.id)

    # Once staff close it, the rule may fire again: the next scan raises a new flag.
    await ReviewRiskFlag(uow_factory, table.clock)(
        flag.id, RiskFlagStatus.RESOLVED, "lucky streak, seeds checked", Actor("staff:alice")
    )
    assert len((await scan()).flags) == 1
    statuses = sorted(f.status.value for f in await _flags(uow_factory, lucky.id))
    assert statuses == ["open", "resolved"]


async def test_the_database_refuses_a_second_open_flag_and_an_edited_review(new_player, engine):
    player = (await new_player()).id
    insert = text(
        "INSERT INTO risk_flags (player_id, kind, evidence, raised_at)"
        " VALUES (:p, 'large_win', '{}', now()) RETURNING id"
    )
    close = text(
        "UPDATE risk_flags SET status = 'dismissed', reviewed_by = 'x', reviewed_at = now(),"
        " review_note = 'checked' WHERE id = :id"
    )
    async with engine.connect() as conn:
        flag = (await conn.execute(insert, {"p": player})).scalar_one()
        with pytest.raises(DBAPIError, match="uq_risk_flags_open"):
            async with conn.begin_nested():
                await conn.execute(insert, {"p": player})
        await conn.execute(close, {"id": flag})
        with pytest.raises(DBAPIError, match="already dismissed"):
            async with conn.begin_nested():
                await conn.execute(
                    text("UPDATE risk_flags SET review_note = 'rewritten' WHERE id = :id"),
                    {"id": flag},
                )
        with pytest.raises(DBAPIError, match="append-only"):
            async with conn.begin_nested():
                await conn.execute(text("DELETE FROM risk_flags WHERE id = :id"), {"id": flag})
        await conn.commit()


# -- payment identities ----------------------------------------------------------------------


async def test_one_payment_identity_on_two_accounts_flags_both(
    new_player, uow_factory, engine, personal
):
    record = RecordPaymentIdentity(
        uow_factory, FixedClock(noon(2030, 1, 1)), RiskReview(RiskPolicy())
    )
    first, second = await new_player(), await new_player()
    kind = PaymentIdentityKind.WITHDRAWAL_DESTINATION

    assert await record(first.id, kind, "UQAbc 123 def") == []
    assert await record(first.id, kind, "uqabc123DEF") == []  # the same identity, normalized
    raised = await record(second.id, kind, "  uqabc123def ")

    assert sorted(f.player_id for f in raised) == sorted([first.id, second.id])
    for flag in raised:
        assert flag.kind is RiskFlagKind.SHARED_PAYMENT_IDENTITY
        assert flag.evidence["players"] == sorted([first.id, second.id])
        assert flag.evidence["identity_hash"] == identity_digest(personal, "uqabc123def")
    assert await record(second.id, kind, "UQabc123def") == []  # both flags are still open
    # Only a keyed digest is stored, never the identity nor its plain sha256 (which anyone
    # could test guesses against).
    async with engine.connect() as conn:
        stored = list(
            await conn.execute(
                text("SELECT hash FROM payment_identities WHERE player_id IN (:a, :b)"),
                {"a": first.id, "b": second.id},
            )
        )
    assert {row.hash for row in stored} == {identity_digest(personal, "uqabc123def")}
    assert hashlib.sha256(b"uqabc123def").hexdigest() not in {row.hash for row in stored}
    assert len(stored) == 2


async def test_the_same_identity_of_another_kind_is_another_identity(new_player, uow_factory):
    record = RecordPaymentIdentity(
        uow_factory, FixedClock(noon(2030, 1, 1)), RiskReview(RiskPolicy())
    )
    first, second = await new_player(), await new_player()
    await record(first.id, PaymentIdentityKind.STARS_PAYER, "777")
    assert await record(second.id, PaymentIdentityKind.PROVIDER_PAYER, "777") == []


# -- deposits and withdrawals ----------------------------------------------------------------


async def test_a_withdrawal_soon_after_an_unplayed_deposit_is_flagged(casino, uow_factory):
    moment = noon(2030, 6, 1)
    table = casino(moment, RiskPolicy(rapid_window=timedelta(hours=24)))
    player = await table.player(deposit=1000)
    await table.dice_bet(player.id, value=1, stake=50)  # 5% played

    async with uow_factory() as uow:
        raised = await table.review.on_withdrawal_requested(
            uow, player.id, Money(900, XTR), "EQ-destination-1", moment + timedelta(minutes=20)
        )
        await uow.commit()

    [flag] = raised
    assert flag.kind is RiskFlagKind.RAPID_WITHDRAWAL
    assert flag.evidence["deposited"] == 1000
    assert flag.evidence["wagered"] == 50
    assert flag.evidence["withdrawal_amount"] == 900
    assert flag.evidence["minutes_since_last_deposit"] == 20
    assert await HasOpenRiskFlags(uow_factory)(player.id)


async def test_a_withdrawal_after_enough_play_or_long_after_the_deposit_is_not(casino, uow_factory):
    moment = noon(2030, 6, 2)
    table = casino(moment, RiskPolicy(rapid_window=timedelta(hours=24)))
    player = await table.player(deposit=100)
    await table.dice_bet(player.id, value=1, stake=50)  # half of it played
    late = await table.player(deposit=100)

    async with uow_factory() as uow:
        played = await table.review.on_withdrawal_requested(
            uow, player.id, Money(50, XTR), None, moment + timedelta(minutes=5)
        )
        waited = await table.review.on_withdrawal_requested(
            uow, late.id, Money(100, XTR), None, moment + timedelta(hours=25)
        )
        await uow.commit()
    assert played == []
    assert waited == []


# -- large wins and wagers -------------------------------------------------------------------


async def test_a_large_win_is_flagged_and_audited_with_the_settlement(casino, uow_factory, engine):
    table = casino(noon(2030, 7, 1), RiskPolicy(large_win={"XTR": 500}, large_wager={"XTR": 100}))
    player = await table.player(deposit=1000)

    small = await table.dice_bet(player.id, value=6, stake=50)  # pays 291: nothing to report
    assert await _flags(uow_factory, player.id) == []
    big = await table.dice_bet(player.id, value=6, stake=100)  # pays 582

    flags = {f.kind: f for f in await _flags(uow_factory, player.id)}
    assert set(flags) == {RiskFlagKind.LARGE_WIN, RiskFlagKind.LARGE_WAGER}
    win = flags[RiskFlagKind.LARGE_WIN].evidence
    assert (win["bet_id"], win["payout"], win["stake"], win["threshold"]) == (
        str(big.bet.id),
        582,
        100,
        500,
    )
    subject = f"player:{player.id}"
    [event] = await _audit(engine, "large_win", subject)
    assert event.after["bet_id"] == str(big.bet.id)
    assert event.after["flag_id"] == flags[RiskFlagKind.LARGE_WIN].id
    assert len(await _audit(engine, "large_wager", subject)) == 1
    assert len(await _audit(engine, "risk_flag_raised", subject)) == 2
    assert small.bet.payout == 291

    # Another large win while the flag is open is still a significant event, but no new flag.
    await table.dice_bet(player.id, value=6, stake=100)
    assert len(await _audit(engine, "large_win", subject)) == 2
    assert len(await _flags(uow_factory, player.id, RiskFlagKind.LARGE_WIN)) == 1


async def test_a_large_provably_fair_wager_is_flagged_in_the_placement(casino, uow_factory):
    table = casino(noon(2030, 7, 2), RiskPolicy(large_wager={"XTR": 100}))
    player = await table.player(deposit=1000)
    await table.place(
        PlaceBetCommand(player.id, uuid.uuid4(), "coin", Money(100, XTR), {"side": "heads"})
    )
    [flag] = await _flags(uow_factory, player.id)
    assert flag.kind is RiskFlagKind.LARGE_WAGER
    assert flag.evidence["game"] == "coin"


# -- review ----------------------------------------------------------------------------------


async def test_a_flag_is_reviewed_once_and_the_review_is_audited(new_player, uow_factory, engine):
    clock = FixedClock(noon(2030, 1, 1))
    record = RecordPaymentIdentity(uow_factory, clock, RiskReview(RiskPolicy()))
    first, second = await new_player(), await new_player()
    await record(first.id, PaymentIdentityKind.PROVIDER_PAYER, f"payer-{first.id}")
    [flag, _] = await record(second.id, PaymentIdentityKind.PROVIDER_PAYER, f"payer-{first.id}")
    review = ReviewRiskFlag(uow_factory, clock)

    done = await review(flag.id, RiskFlagStatus.DISMISSED, "family account", Actor("staff:bob"))
    assert (done.status, done.note, done.reviewed_by) == (
        RiskFlagStatus.DISMISSED,
        "family account",
        "staff:bob",
    )
    with pytest.raises(IllegalTransition):
        await review(flag.id, RiskFlagStatus.RESOLVED, "again", Actor("staff:bob"))
    [entry] = await _audit(engine, "risk_flag_dismissed", f"player:{flag.player_id}")
    assert entry.after["note"] == "family account"
    assert not await HasOpenRiskFlags(uow_factory)(flag.player_id)


# -- outcome monitoring ----------------------------------------------------------------------


async def test_monitoring_detects_a_skewed_telegram_dice_in_stored_bets(
    casino, uow_factory, engine
):
    moment = noon(1986, 5, 5)
    table = casino(moment, RiskPolicy(outcome_alpha=0.001))
    player = await table.player(deposit=10_000)
    for value in [1, 2, 3, 4, 5, 6] * 5 + [6] * 30:  # sixes come up 35 times in 60
        await table.dice_bet(player.id, value=value, stake=10, face=1)
    monitor = MonitorOutcomes(SqlReports(engine), uow_factory, table.clock, table.review)

    result = await monitor(days=1)

    by_game = {t.game: t for t in result.outcomes}
    dice = by_game["tg_dice"]
    assert dice.bets == 60
    assert dice.alert
    assert dice.test is not None
    assert dice.test.p_value < 1e-10
    assert {b.label: b.observed for b in dice.bins}["🎲 6"] == 35
    assert not any(t.alert for t in result.outcomes if t.game != "tg_dice")
    assert result.alerts == 1
    [alert] = await _audit(engine, "outcome_alert", "game:tg_dice")
    assert alert.after["from"] == "1986-05-05"
    assert alert.after["bets"] == 60


async def test_a_fair_dice_stream_raises_no_alert(casino, uow_factory, engine):
    moment = noon(1986, 5, 12)
    table = casino(moment, RiskPolicy())
    player = await table.player(deposit=10_000)
    for value in [1, 2, 3, 4, 5, 6] * 10:
        await table.dice_bet(player.id, value=value, stake=10, face=1)
    monitor = MonitorOutcomes(SqlReports(engine), uow_factory, table.clock, table.review)

    result = await monitor(days=1)

    dice = {t.game: t for t in result.outcomes}["tg_dice"]
    assert dice.test is not None
    assert dice.test.p_value == pytest.approx(1.0)
    assert result.alerts == 0


async def test_open_flags_hold_a_withdrawal_for_review(casino, uow_factory):
    from application.ports import WithdrawalHolds

    moment = noon(2030, 6, 3)
    table = casino(moment, RiskPolicy())
    holds: WithdrawalHolds = table.review
    player = await table.player(deposit=1000)
    calm = await table.player(deposit=1000)
    await table.dice_bet(calm.id, value=1, stake=1000)  # all of it played

    async with uow_factory() as uow:
        held = await holds.open_holds(uow, player.id, Money(900, XTR), "dest-A", moment)
        free = await holds.open_holds(uow, calm.id, Money(10, XTR), "dest-B", moment)
        await uow.commit()

    [flag] = await _flags(uow_factory, player.id)
    assert held == [f"rapid_withdrawal (flag {flag.id})"]
    assert free == []
