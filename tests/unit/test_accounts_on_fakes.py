"""Accounts on in-memory fakes: opening a wallet once per currency, and a transfer between
any two accounts of one currency, kept whole (both legs or none) and idempotent. The ledger's
SQL and its races are tested on PostgreSQL (tests/integration/test_ledger.py,
test_concurrency.py)."""

from __future__ import annotations

import pytest

from application.postings import Transfer, TransferCommand
from application.registration import OpenWallet
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict, InsufficientFunds, InvalidRequest, NotFound
from domain.money import TON, XTR, Money
from tests.casino_on_fakes import Casino


@pytest.fixture
async def casino() -> Casino:
    return Casino()


async def test_a_wallet_opens_once_per_currency(casino):
    ann = await casino.player(1)
    open_wallet = OpenWallet(casino.db)
    ton = await open_wallet(ann, TON)
    assert (ton.kind, ton.currency, ton.player_id, ton.balance) == (
        AccountKind.PLAYER_WALLET,
        TON,
        ann,
        0,
    )
    assert await open_wallet(ann, TON) == ton
    wallets = [a for a in casino.db.state.accounts.values() if a.player_id == ann]
    assert sorted(a.currency.code for a in wallets) == ["TON", "XTR"]
    with pytest.raises(NotFound):
        await open_wallet(999, TON)


async def test_a_transfer_moves_both_legs_once_and_checks_its_accounts(casino):
    ann = await casino.player(1, deposit=100)
    bob = await casino.player(2)
    state = casino.db.state
    wallet = {a.player_id: a.id for a in state.accounts.values() if a.player_id is not None}
    transfer = Transfer(casino.db, casino.clock, casino.ids)
    command = TransferCommand(wallet[ann], wallet[bob], Money(40, XTR), "move-1", "gift")
    posted = await transfer(command)
    assert {leg.account_id: leg.balance_after for leg in posted.legs} == {
        wallet[ann]: 60,
        wallet[bob]: 40,
    }
    assert (await transfer(command)).replayed
    assert casino.db.state.accounts[wallet[ann]].balance == 60
    with pytest.raises(IdempotencyConflict):
        await transfer(TransferCommand(wallet[ann], wallet[bob], Money(41, XTR), "move-1"))
    with pytest.raises(InsufficientFunds):
        await transfer(TransferCommand(wallet[ann], wallet[bob], Money(61, XTR), "move-2"))
    ton = await OpenWallet(casino.db)(bob, TON)
    with pytest.raises(InvalidRequest, match="holds TON"):
        await transfer(TransferCommand(wallet[ann], ton.id, Money(1, XTR), "move-3"))
    with pytest.raises(NotFound):
        await transfer(TransferCommand(wallet[ann], 999, Money(1, XTR), "move-4"))
    assert casino.db.state.accounts[wallet[bob]].balance == 40
