"""Use cases over the real PostgreSQL adapter."""

from __future__ import annotations

import pytest

from application.postings import (
    AdjustBalanceCommand,
    CreditDepositCommand,
    DebitWalletCommand,
    TransferCommand,
)
from application.registration import OpenWallet, RegisterPlayerCommand
from domain.accounts import AccountKind
from domain.errors import InsufficientFunds, InvalidAmount, InvalidRequest, NotFound
from domain.ledger import TransactionKind
from domain.money import TON, USDT, XTR, Money

pytestmark = pytest.mark.usefixtures("books")


async def test_registration_is_idempotent_and_opens_wallets(register, new_telegram_id):
    tg = new_telegram_id()
    first = await register(RegisterPlayerCommand(tg, "alice", "en", currencies=(XTR, TON)))
    again = await register(RegisterPlayerCommand(tg, "alice2", "ru", currencies=(XTR,)))
    assert first.created
    assert not again.created
    assert again.player.id == first.player.id
    assert again.player.username == "alice"  # the first registration is kept
    assert [w.currency for w in first.wallets] == [XTR, TON]
    assert again.wallets[0].id == first.wallets[0].id


async def test_bad_telegram_ids_are_refused(register):
    for bad in (0, -5, 2**60):
        with pytest.raises(InvalidRequest):
            await register(RegisterPlayerCommand(bad))


async def test_deposit_then_debit_then_balances(new_player, credit, debit, balances, unique_key):
    player = await new_player()
    deposit = await credit(CreditDepositCommand(player.id, Money(50, XTR), unique_key(), "ext-1"))
    assert deposit.balance == Money(50, XTR)
    assert deposit.transaction.kind is TransactionKind.DEPOSIT
    assert deposit.transaction.reference == "ext-1"
    spent = await debit(DebitWalletCommand(player.id, Money(20, XTR), unique_key()))
    assert spent.balance == Money(30, XTR)
    # A deposit in a new currency opens that wallet.
    await credit(CreditDepositCommand(player.id, Money(10**9, TON), unique_key()))
    assert await balances(player.id) == (Money(10**9, TON), Money(30, XTR))


async def test_overdraft_is_refused_and_moves_nothing(
    new_player, credit, debit, balances, unique_key
):
    player = await new_player()
    await credit(CreditDepositCommand(player.id, Money(5, XTR), unique_key()))
    with pytest.raises(InsufficientFunds, match="insufficient funds"):
        await debit(DebitWalletCommand(player.id, Money(6, XTR), unique_key()))
    assert await balances(player.id) == (Money(5, XTR),)


async def test_debit_from_a_missing_wallet_creates_nothing(new_player, debit, balances, unique_key):
    player = await new_player(currencies=())
    with pytest.raises(NotFound, match="no USDT wallet"):
        await debit(DebitWalletCommand(player.id, Money(1, USDT), unique_key()))
    assert await balances(player.id) == ()


@pytest.mark.parametrize("amount", [0, -3])
async def test_non_positive_deposits_are_refused(new_player, credit, amount, unique_key):
    player = await new_player()
    with pytest.raises(InvalidAmount):
        await credit(CreditDepositCommand(player.id, Money(amount, XTR), unique_key()))


async def test_unknown_player_is_not_found(credit, unique_key):
    with pytest.raises(NotFound, match="no player"):
        await credit(CreditDepositCommand(2**40, Money(1, XTR), unique_key()))


async def test_adjustment_needs_reason_and_is_recorded_with_it(
    new_player, adjust, balances, uow_factory, unique_key
):
    player = await new_player()
    with pytest.raises(InvalidRequest, match="reason"):
        await adjust(AdjustBalanceCommand(player.id, Money(5, XTR), "  ", "staff-1", unique_key()))
    posted = await adjust(
        AdjustBalanceCommand(player.id, Money(5, XTR), "goodwill", "staff-1", unique_key())
    )
    assert posted.balance == Money(5, XTR)
    with pytest.raises(InsufficientFunds):
        await adjust(
            AdjustBalanceCommand(player.id, Money(-6, XTR), "clawback", "staff-1", unique_key())
        )
    down = await adjust(
        AdjustBalanceCommand(player.id, Money(-5, XTR), "clawback", "staff-1", unique_key())
    )
    assert down.balance == Money(0, XTR)
    async with uow_factory() as uow:
        stored = await uow.ledger.get(posted.transaction.id)
    assert stored.kind is TransactionKind.ADJUSTMENT
    assert stored.metadata == {"reason": "goodwill", "staff_id": "staff-1"}


async def test_transfer_between_house_accounts_and_currency_checks(
    transfer, uow_factory, unique_key
):
    async with uow_factory() as uow:
        adjustments = await uow.accounts.house_account_id(AccountKind.ADJUSTMENTS, XTR, 0)
        bankroll = await uow.accounts.house_account_id(AccountKind.HOUSE_BANKROLL, XTR, 0)
        ton_bankroll = await uow.accounts.house_account_id(AccountKind.HOUSE_BANKROLL, TON, 0)
    posted = await transfer(TransferCommand(adjustments, bankroll, Money(1000, XTR), unique_key()))
    assert {leg.account_id: leg.amount.amount for leg in posted.legs} == {
        adjustments: -1000,
        bankroll: 1000,
    }
    with pytest.raises(InvalidRequest, match="holds TON"):
        await transfer(TransferCommand(bankroll, ton_bankroll, Money(1, XTR), unique_key()))
    with pytest.raises(NotFound):
        await transfer(TransferCommand(bankroll, 2**50, Money(1, XTR), unique_key()))


async def test_history_pages_newest_first(new_player, credit, debit, history, unique_key):
    player = await new_player()
    for i in range(1, 24):
        await credit(CreditDepositCommand(player.id, Money(i, XTR), unique_key(), f"dep-{i}"))
    await debit(DebitWalletCommand(player.id, Money(3, XTR), unique_key(), "fee"))

    seen = []
    cursor = None
    pages = 0
    while True:
        page = await history(player.id, cursor=cursor, limit=10)
        pages += 1
        seen.extend(page.entries)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 3
    assert len(seen) == 24
    assert [e.leg_id for e in seen] == sorted((e.leg_id for e in seen), reverse=True)
    assert seen[0].kind is TransactionKind.DEBIT
    assert seen[0].amount == Money(-3, XTR)
    assert seen[0].balance_after == sum(range(1, 24)) - 3
    assert seen[-1].reference == "dep-1"


async def test_history_filters_by_currency_and_rejects_bad_cursors(
    new_player, credit, history, unique_key
):
    player = await new_player()
    await credit(CreditDepositCommand(player.id, Money(1, XTR), unique_key()))
    await credit(CreditDepositCommand(player.id, Money(2, TON), unique_key()))
    only_ton = await history(player.id, currency=TON)
    assert [e.amount for e in only_ton.entries] == [Money(2, TON)]
    assert (await history(player.id, currency=USDT)).entries == ()
    for bad in ("garbage!", "bGVnOi0x", "bGVnOng"):
        with pytest.raises(InvalidRequest, match="cursor"):
            await history(player.id, cursor=bad)
    with pytest.raises(InvalidRequest, match="page size"):
        await history(player.id, limit=1000)


async def test_open_wallet_is_idempotent(uow_factory, new_player):
    player = await new_player(currencies=())
    open_wallet = OpenWallet(uow_factory)
    first = await open_wallet(player.id, USDT)
    second = await open_wallet(player.id, USDT)
    assert first.id == second.id
    assert first.balance == 0
    with pytest.raises(NotFound):
        await open_wallet(2**45, USDT)
