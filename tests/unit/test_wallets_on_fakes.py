"""Use cases on in-memory fakes: the rules, without a database."""

import pytest

from application.balances import GetBalances
from application.bankroll import FundBankroll, FundBankrollCommand
from application.history import ListHistory, decode_cursor, encode_cursor
from application.house import HouseBook
from application.postings import (
    AdjustBalance,
    AdjustBalanceCommand,
    CreditDeposit,
    CreditDepositCommand,
    DebitWallet,
    DebitWalletCommand,
)
from application.registration import RegisterPlayer, RegisterPlayerCommand
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict, InsufficientFunds, InvalidRequest
from domain.money import TON, XTR, Money
from tests.fakes import FakeClock, FakeDatabase, SequentialIds


@pytest.fixture
def db():
    return FakeDatabase()


@pytest.fixture
def deps(db):
    return db, FakeClock(), SequentialIds(), HouseBook(4)


async def _player(db, clock, tg=1001):
    return (
        await RegisterPlayer(db, clock)(
            RegisterPlayerCommand(tg, currencies=(XTR,), accept_terms=True)
        )
    ).player


async def test_deposit_replay_returns_first_result_and_moves_nothing(deps):
    db, clock, ids, house = deps
    player = await _player(db, clock)
    credit = CreditDeposit(db, clock, ids, house)
    first = await credit(CreditDepositCommand(player.id, Money(10, XTR), "dep-1"))
    await credit(CreditDepositCommand(player.id, Money(5, XTR), "dep-2"))
    again = await credit(CreditDepositCommand(player.id, Money(10, XTR), "dep-1"))
    assert again.replayed
    assert not first.replayed
    assert again.transaction.id == first.transaction.id
    assert await GetBalances(db)(player.id) == (Money(15, XTR),)
    with pytest.raises(IdempotencyConflict):
        await credit(CreditDepositCommand(player.id, Money(11, XTR), "dep-1"))


async def test_failed_debit_leaves_no_trace(deps):
    db, clock, ids, house = deps
    player = await _player(db, clock)
    with pytest.raises(InsufficientFunds):
        await DebitWallet(db, clock, ids, house)(
            DebitWalletCommand(player.id, Money(1, XTR), "d-1")
        )
    assert db.state.transactions == {}
    assert db.state.legs == []


async def test_adjustment_rules(deps):
    db, clock, ids, house = deps
    player = await _player(db, clock)
    adjust = AdjustBalance(db, clock, ids, house)
    with pytest.raises(InvalidRequest, match="reason"):
        await adjust(AdjustBalanceCommand(player.id, Money(1, XTR), "", "s", "a-1"))
    with pytest.raises(InvalidRequest, match="staff"):
        await adjust(AdjustBalanceCommand(player.id, Money(1, XTR), "why", " ", "a-1"))
    with pytest.raises(InvalidRequest, match="zero"):
        await adjust(AdjustBalanceCommand(player.id, Money(0, XTR), "why", "s", "a-1"))
    with pytest.raises(InvalidRequest, match="longer"):
        await adjust(AdjustBalanceCommand(player.id, Money(1, XTR), "x" * 501, "s", "a-1"))
    done = await adjust(AdjustBalanceCommand(player.id, Money(3, TON), "promo", "s", "a-2"))
    assert done.balance == Money(3, TON)


async def test_registration_clips_profile_fields(deps):
    db, clock, _, _ = deps
    result = await RegisterPlayer(db, clock)(
        RegisterPlayerCommand(77, username="  " + "u" * 100, language_code="  ")
    )
    assert result.player.username == "u" * 64
    assert result.player.language_code is None


async def test_history_pages_through_everything(deps):
    db, clock, ids, house = deps
    player = await _player(db, clock)
    credit = CreditDeposit(db, clock, ids, house)
    for i in range(1, 8):
        await credit(CreditDepositCommand(player.id, Money(i, XTR), f"k{i}"))
    history = ListHistory(db)
    first = await history(player.id, limit=5)
    second = await history(player.id, cursor=first.next_cursor, limit=5)
    assert [e.amount.amount for e in first.entries] == [7, 6, 5, 4, 3]
    assert [e.amount.amount for e in second.entries] == [2, 1]
    assert second.next_cursor is None


def test_cursor_round_trip_and_tampering():
    assert decode_cursor(encode_cursor(12345)) == 12345
    for bad in ("", "!!!", encode_cursor(5)[:-2] + "zz", "bGVnOjA"):
        with pytest.raises(InvalidRequest):
            decode_cursor(bad)


async def test_bankroll_funding_lands_where_the_house_book_keeps_the_houses_own_postings(deps):
    db, clock, ids, house = deps
    command = FundBankrollCommand(Money(1000, XTR), "bob", "fund-1")
    posted = await FundBankroll(db, clock, ids, house)(command)
    async with db() as uow:
        source = await house.own_account(uow.accounts, AccountKind.ADJUSTMENTS, XTR)
        target = await house.own_account(uow.accounts, AccountKind.HOUSE_BANKROLL, XTR)
        # Shard 0, where fundings went before the house book chose: an earlier one replays.
        assert (await uow.accounts.get(source)).shard == 0
        assert (await uow.accounts.get(target)).shard == 0
    assert {(leg.account_id, leg.amount.amount) for leg in posted.legs} == {
        (source, -1000),
        (target, 1000),
    }
    # The house's own shard does not depend on how many shards there are, unlike a player's:
    # after HOUSE_SHARDS changes, a retried funding still builds the same legs and replays.
    again = await FundBankroll(db, clock, ids, HouseBook(16))(command)
    assert again.replayed
    assert again.id == posted.id
