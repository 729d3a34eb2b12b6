"""The seamless wallet's use cases on in-memory fakes (tests/fake_betting.py): debit, credit and
rollback, their replays and the round's rules, without a database. The races, the tables'
own refusals and reconciliation are tested on PostgreSQL (tests/integration/test_seamless.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from application.bankroll import FundBankroll, FundBankrollCommand
from application.house import HouseBook
from application.postings import CreditDeposit, CreditDepositCommand
from application.registration import RegisterPlayer, RegisterPlayerCommand
from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from domain.access import ApiKey
from domain.errors import (
    Forbidden,
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    LimitExceeded,
)
from domain.money import XTR, Money
from domain.players import PlayerStatus
from domain.seamless import MAX_CREDIT_MULTIPLE, ProviderTransactionState
from domain.standing import PlayerBlocked
from tests.fakes import FakeClock, FakeDatabase, SequentialIds

PROVIDER = "slots"


@pytest.fixture
async def wallet():
    db, clock, ids, house = FakeDatabase(), FakeClock(), SequentialIds(), HouseBook(4)
    player = (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(42, currencies=(XTR,), accept_terms=True)
        )
    ).player
    await CreditDeposit(db, clock, ids, house)(
        CreditDepositCommand(player.id, Money(1000, XTR), "dep")
    )
    await FundBankroll(db, clock, ids, house)(FundBankrollCommand(Money(10**6, XTR), "t", "bank"))
    debit = SeamlessDebit(db, clock, ids, house)
    credit = SeamlessCredit(db, clock, ids, house)
    rollback = SeamlessRollback(db, clock, ids, house)
    return db, player.id, debit, credit, rollback


def _debit(player: int, amount: int, tx: str, round_id: str = "r1") -> SeamlessDebitCommand:
    return SeamlessDebitCommand(PROVIDER, player, Money(amount, XTR), tx, round_id, "g1")


def _credit(player: int, amount: int, tx: str, round_id: str = "r1") -> SeamlessCreditCommand:
    return SeamlessCreditCommand(PROVIDER, player, Money(amount, XTR), tx, round_id, "g1")


async def test_a_debit_then_a_credit_pays_the_win_and_closes_the_round(wallet):
    db, player, debit, credit, _ = wallet
    staked = await debit(_debit(player, 100, "d1"))
    assert (staked.balance, staked.replayed) == (Money(900, XTR), False)
    won = await credit(_credit(player, 250, "c1"))
    assert won.balance == Money(1150, XTR)
    round_ = db.state.rounds[(PROVIDER, "r1")]
    assert (round_.is_closed, round_.closed_by) == (True, "c1")
    with pytest.raises(IllegalTransition, match="already closed by credit c1"):
        await debit(_debit(player, 10, "late"))


async def test_repeats_answer_first_and_changed_content_conflicts(wallet):
    _, player, debit, _, _ = wallet
    first = await debit(_debit(player, 100, "d1"))
    again = await debit(_debit(player, 100, "d1"))
    assert again.replayed
    assert (again.ledger_transaction_id, again.balance) == (
        first.ledger_transaction_id,
        first.balance,
    )
    with pytest.raises(IdempotencyConflict):
        await debit(_debit(player, 101, "d1"))


async def test_a_rollback_refunds_the_debit_once(wallet):
    db, player, debit, _, rollback = wallet
    await debit(_debit(player, 300, "d1"))
    command = SeamlessRollbackCommand(PROVIDER, player, "d1", "r1", XTR)
    undone = await rollback(command)
    assert undone.balance == Money(1000, XTR)
    assert (await rollback(command)).replayed
    assert db.state.provider_transactions[(PROVIDER, "d1")].state is (
        ProviderTransactionState.ROLLED_BACK
    )
    assert (await debit(_debit(player, 300, "d1"))).balance == Money(1000, XTR)


async def test_refused_debits_write_nothing(wallet):
    db, player, debit, credit, _ = wallet
    await debit(_debit(player, 10, "played", "r0"))  # a round played before the block
    before = (dict(db.state.provider_transactions), dict(db.state.transactions))
    with pytest.raises(InsufficientFunds):
        await debit(_debit(player, 5000, "big"))
    db.state.players[player].status = PlayerStatus.BLOCKED
    with pytest.raises(PlayerBlocked):
        await debit(_debit(player, 10, "blocked"))
    assert (db.state.provider_transactions, db.state.transactions) == before
    # What is owed for a round already played is still paid to a blocked player.
    paid = await credit(_credit(player, 5, "c-after-block", "r0"))
    assert paid.balance == Money(995, XTR)


async def test_a_credit_needs_a_debit_still_standing_on_its_round(wallet):
    """Issue 18: a seamless key credited a round that was never debited, and a round whose
    debit was rolled back. Both are refused and write nothing; a zero credit (a lost round)
    still closes any round."""
    db, player, debit, credit, rollback = wallet
    before = (dict(db.state.provider_transactions), dict(db.state.transactions))
    with pytest.raises(IllegalTransition, match="has no debit"):
        await credit(_credit(player, 100, "c-undebited", "never-debited"))
    assert (db.state.provider_transactions, db.state.transactions) == before

    await debit(_debit(player, 10, "d1", "r2"))
    await rollback(SeamlessRollbackCommand(PROVIDER, player, "d1", "r2", XTR))
    with pytest.raises(IllegalTransition, match="rolled back"):
        await credit(_credit(player, 5, "c-after-rollback", "r2"))
    assert (PROVIDER, "c-after-rollback") not in db.state.provider_transactions

    lost = await credit(_credit(player, 0, "c-zero", "r3"))
    assert lost.balance == Money(1000, XTR)
    assert db.state.rounds[(PROVIDER, "r3")].is_closed


async def test_a_credit_pays_at_most_the_multiple_of_its_rounds_debits(wallet):
    """Issue 18: a million credited against a debit of one."""
    db, player, debit, credit, _ = wallet
    await debit(_debit(player, 1, "d1", "r4"))
    with pytest.raises(LimitExceeded, match=f"at most {MAX_CREDIT_MULTIPLE} times"):
        await credit(_credit(player, 1_000_000, "c-million", "r4"))
    assert not db.state.rounds[(PROVIDER, "r4")].is_closed
    paid = await credit(_credit(player, MAX_CREDIT_MULTIPLE, "c-top", "r4"))
    assert paid.balance == Money(999 + MAX_CREDIT_MULTIPLE, XTR)


async def test_a_credit_above_its_keys_cap_is_forbidden(wallet):
    db, player, debit, credit, _ = wallet
    key = ApiKey(
        "0" * 12, PROVIDER, b"", frozenset({"seamless"}), FakeClock().now(), caps={"XTR": 50}
    )
    await debit(_debit(player, 10, "d1", "r5"))
    with pytest.raises(Forbidden, match="at most 50"):
        await credit(replace(_credit(player, 51, "c-big", "r5"), caller=key))
    assert (PROVIDER, "c-big") not in db.state.provider_transactions
    assert (await credit(replace(_credit(player, 50, "c-ok", "r5"), caller=key))).balance == Money(
        1040, XTR
    )


async def test_a_keys_credits_are_bounded_per_utc_day(wallet):
    db, player, debit, credit, _ = wallet
    key = ApiKey(
        "0" * 12,
        PROVIDER,
        b"",
        frozenset({"seamless"}),
        FakeClock().now(),
        caps={"XTR": 500},
        daily_caps={"XTR": 600},
    )
    await debit(_debit(player, 100, "d1", "r6"))
    await credit(replace(_credit(player, 500, "c1", "r6"), caller=key))
    await debit(_debit(player, 100, "d2", "r7"))
    with pytest.raises(Forbidden, match="a day"):
        await credit(replace(_credit(player, 101, "c2", "r7"), caller=key))
    assert not db.state.rounds[(PROVIDER, "r7")].is_closed
    assert (PROVIDER, "c2") not in db.state.provider_transactions
    await credit(replace(_credit(player, 100, "c3", "r7"), caller=key))


async def test_a_free_round_needs_no_debit_and_pays_within_its_keys_budget(wallet):
    """Issue 18: no credit without a debited round unless the round is declared a free round
    within a budget; a round that had a stake (even one rolled back) is not free."""
    db, player, debit, credit, rollback = wallet
    key = ApiKey(
        "0" * 12,
        PROVIDER,
        b"",
        frozenset({"seamless"}),
        FakeClock().now(),
        caps={"XTR": 500},
        free_round_budget={"XTR": 100},
    )

    def free(amount: int, tx: str, round_id: str, caller: ApiKey | None = key):
        return replace(_credit(player, amount, tx, round_id), caller=caller, free_round=True)

    assert (await credit(free(60, "f1", "free-1"))).balance == Money(1060, XTR)
    with pytest.raises(Forbidden, match="free rounds a day"):
        await credit(free(41, "f2", "free-2"))
    assert (PROVIDER, "f2") not in db.state.provider_transactions
    with pytest.raises(Forbidden, match="free-round budget"):
        await credit(free(1, "f3", "free-3", replace(key, free_round_budget={})))
    await debit(_debit(player, 10, "d1", "staked"))
    await rollback(SeamlessRollbackCommand(PROVIDER, player, "d1", "staked", XTR))
    with pytest.raises(IllegalTransition, match="not a free round"):
        await credit(free(5, "f4", "staked"))
    assert (await credit(free(40, "f5", "free-5"))).balance == Money(1100, XTR)
