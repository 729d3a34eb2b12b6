"""A group chat where duels and lobbies are played on the real database, for the group
owner's share tests (test_duel_owner_share.py and test_lobby_owner_share.py, each adding how
its games are made): players with cash, the group's owner, wallets, a settlement's legs, how
many settlements a game has, and a settlement forged to hand the owner the whole cut."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from adapters.postgres.reconcile_duels import DUEL_CHECKS
from application.duels import RecordDuelGroup
from application.postings import CreditDepositCommand
from application.registration import RegisterPlayerCommand
from domain.accounts import AccountKind
from domain.duels import DuelRules
from domain.ledger import Transaction
from domain.money import XTR, Money
from tests.fakes import FakeClock

# Half the cut to the owner: a pot of 60 at 5% is a cut of 3, the owner's 1, the house's 2.
HALF = DuelRules(cut_bps=500, max_ties=1, owner_share_bps=5000)
SPLIT_CHECK = next(sql for name, sql in DUEL_CHECKS if "group owner" in name)


class GroupTable:
    def __init__(self, uow_factory, ids, house, register, credit, new_telegram_id) -> None:
        self.clock = FakeClock(datetime.now(UTC) - timedelta(hours=1))
        self.chat = -(10**12) - uuid.uuid4().int % 10**9
        # What every duel and lobby use case is built from, its rules and reviews aside.
        self.parts = (uow_factory, self.clock, ids, house)
        self._uow_factory = uow_factory
        self._house = house
        self._register = register
        self._credit = credit
        self._new_telegram_id = new_telegram_id

    async def player(self, cash: int = 100) -> tuple[int, int]:
        """A new player who accepted the terms with `cash` deposited: (telegram id, player id)."""
        telegram_id = self._new_telegram_id()
        registered = await self._register(
            RegisterPlayerCommand(telegram_id, currencies=(XTR,), accept_terms=True)
        )
        if cash:
            await self._credit(
                CreditDepositCommand(registered.player.id, Money(cash, XTR), f"d-{telegram_id}")
            )
        return telegram_id, registered.player.id

    async def owned_by(self, telegram_id: int) -> None:
        await RecordDuelGroup(self._uow_factory, self.clock)(
            self.chat, "Dice night", telegram_id, True
        )

    async def wallet(self, player_id: int) -> int:
        async with self._uow_factory() as uow:
            account = await uow.accounts.wallet(player_id, XTR)
            assert account is not None
            return account.balance

    async def settlement_legs(self, engine, idempotency_key: str) -> dict[str, int]:
        """The legs of the transaction under this key: the player's id or the house account's
        kind, and the amount."""
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT coalesce(a.player_id::text, a.kind) AS who, g.amount"
                    " FROM ledger_transactions t JOIN ledger_legs g ON g.transaction_id = t.id"
                    " JOIN accounts a ON a.id = g.account_id WHERE t.idempotency_key = :k"
                ),
                {"k": idempotency_key},
            )
            return {r.who: r.amount for r in rows}

    async def settlements(self, engine, reference: str) -> int:
        """How many settlements (`win` transactions) were posted under this reference."""
        async with engine.connect() as conn:
            return (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM ledger_transactions"
                        " WHERE reference = :r AND kind = 'win'"
                    ),
                    {"r": reference},
                )
            ).scalar_one()

    async def forge_whole_cut_to_owner(
        self,
        uow,
        settlement: Callable[..., Transaction],
        ended: Any,
        *,
        opener: int,
        winner: int,
        owner: int,
        at: datetime,
    ) -> list[Any]:
        """Posts in `uow` (the caller never commits it) `settlement` (`duel_settlement` or
        `lobby_settlement`) of `ended` as if its share gave the owner the whole cut, and
        returns the rows the reconcile's split check finds."""
        accounts = uow.accounts
        forged = settlement(
            replace(ended, owner_share_bps=10_000),
            uuid.uuid4(),
            escrow=await self._house.account_for(accounts, AccountKind.DUEL_ESCROW, XTR, opener),
            winner_wallet=(await accounts.open_wallet(winner, XTR)).id,
            bankroll=await self._house.account_for(
                accounts, AccountKind.HOUSE_BANKROLL, XTR, opener
            ),
            at=at,
            owner_wallet=(await accounts.open_wallet(owner, XTR)).id,
            owner_id=owner,
        )
        await uow.ledger.post(forged)
        return list((await uow._conn.execute(text(SPLIT_CHECK))).all())
