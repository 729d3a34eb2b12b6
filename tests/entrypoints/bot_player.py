"""What the database holds for a bot player (their id, balance, Stars payments, withdrawals),
and a Stars invoice asked for through the bot: shared by the bot's test files. A player past
the 18+ gate is the `ready_player` fixture (tests/entrypoints/conftest.py)."""

from __future__ import annotations

from aiogram.methods import SendInvoice
from sqlalchemy import text

from adapters.postgres.personal import destination_place
from domain.money import Money
from entrypoints.bot.deposit_prompt import DepositPromptAnswer
from entrypoints.bot.keyboards import Deposit
from tests.conftest import TEST_PERSONAL_DATA
from tests.entrypoints.telegram_fakes import Player


async def _player_id(engine, player: Player) -> int:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT id FROM players WHERE telegram_user_id = :t"), {"t": player.user.id}
            )
        ).scalar_one()


async def _balance(balances, engine, player: Player) -> Money:
    return (await balances(await _player_id(engine, player)))[0]


async def _invoice(send, telegram, player: Player, amount: int = 100) -> SendInvoice:
    # The prompt at the first deposit stands before any invoice, on every road (issue 23):
    # answered here, as a player does once (tests/entrypoints/test_bot_deposit_prompt*.py).
    await send(player.tap(DepositPromptAnswer().pack()))
    await send(player.tap(Deposit(amount=amount).pack()))
    invoice = telegram.of(SendInvoice)[-1]
    assert invoice.currency == "XTR"
    assert invoice.provider_token == ""
    label = {"en": "Croupier balance", "ru": "Баланс Croupier"}[player.user.language_code]
    assert [(p.label, p.amount) for p in invoice.prices] == [(label, amount)]
    return invoice


async def _stars_payments(engine, player: Player) -> list[tuple[str, int]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT charge_id, amount FROM stars_payments WHERE telegram_user_id = :t"),
            {"t": player.user.id},
        )
        return [(r.charge_id, r.amount) for r in rows]


async def _withdrawals(engine, player: Player) -> list[tuple[int, str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT w.id, w.amount, w.destination_sealed, w.state FROM withdrawals w"
                " JOIN players p ON p.id = w.player_id WHERE p.telegram_user_id = :t"
            ),
            {"t": player.user.id},
        )
        return [
            (
                r.amount,
                TEST_PERSONAL_DATA.open(r.destination_sealed, destination_place(r.id)),
                r.state,
            )
            for r in rows
        ]
