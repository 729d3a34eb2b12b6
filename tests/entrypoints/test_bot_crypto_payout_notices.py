"""What a player is told of their Crypto Pay payouts, through the real road (issue 24): the
player starts the bot, deposits 20 USDT through Crypto Pay (a local fake of its API) and asks
to withdraw 12.5 USDT; staff approve it while the app holds too little at Crypto Pay, three
payout runs find it still unpaid, then the app is topped up and the next run pays it; a second
withdrawal is refused by Crypto Pay (USER_NOT_FOUND) and staff give the money back. Each
change is an event in the outbox, the relay publishes it to the Redis stream, the notice
listener keeps one notice a withdrawal and outcome, and the sender delivers through a mocked
Bot API session. The player reads: approved, delayed (once), sent to the CryptoBot wallet;
approved, delayed, could not be paid with the money back. Transcripts:
.croupier/test/transcripts/bot-crypto-payout-notices-{en,ru}.txt (copied to docs/transcripts/)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy import text

from adapters.crypto_pay import CryptoPayClient
from adapters.crypto_pay_payouts import CryptoPayPayouts
from adapters.payouts import ManualPayouts
from adapters.postgres.payout_recipients import PlayerTelegramIds
from adapters.redis_client import create_redis
from adapters.redis_event_stream import RedisEventStream
from application.crypto_pay import CreditCryptoInvoice, DepositInCrypto, PollCryptoInvoices
from application.notices import CrashResultListener, NotifyOfEvents, ReadyCrashResults, SendNotices
from application.ports import CryptoPayConfig
from application.responsible import AnswerDepositPrompt, ResponsibleGamblingGuard
from application.risk import DEFAULT_RISK_REVIEW
from application.staff import Actor
from application.withdrawals import (
    ApproveWithdrawal,
    MarkWithdrawalFailed,
    NoWithdrawalHolds,
    RequestWithdrawal,
    SendPayouts,
)
from domain.money import USDT, Money
from domain.withdrawal_policy import (
    CurrencyWithdrawalLimits,
    SecondApprovalPolicy,
    WithdrawalPolicy,
)
from domain.withdrawals import WithdrawalState
from entrypoints.bot.notices import TelegramMessenger
from tests.entrypoints.bot_player import _player_id
from tests.entrypoints.telegram_fakes import BOT_TOKEN
from tests.fake_crypto_pay_server import FakeCryptoPayServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("books")]

TRANSCRIPTS = Path(".croupier/test/transcripts")
FINANCE = Actor("staff:fin", "10.0.0.1")
USDT_1 = 1_000_000
POLICY = WithdrawalPolicy(
    {"USDT": CurrencyWithdrawalLimits(USDT_1, 1_000 * USDT_1, kyc_threshold=10**12)},
    wagering_multiple=0,
)
ONE_APPROVAL = SecondApprovalPolicy({"USDT": 10**12})

SAID = {
    "en": [
        "💰 Your deposit of 20 USDT is credited. Balance: 20 USDT.",
        "✅ Your withdrawal of 12.5 USDT is approved and on its way.",
        "⏳ Your withdrawal of 12.5 USDT is approved, but its payment is delayed: the payment "
        "service cannot send it right now. Nothing is lost: it will be sent automatically, and "
        "you will get a message when it is. If you have never opened @CryptoBot, open it "
        "once: the payment goes there. Withdrawal {first}.",
        "🏧 12.5 USDT sent to your CryptoBot wallet: open @CryptoBot to see it. "
        "Withdrawal {first}.",
        "✅ Your withdrawal of 5 USDT is approved and on its way.",
        "⏳ Your withdrawal of 5 USDT is approved, but its payment is delayed: the payment "
        "service cannot send it right now. Nothing is lost: it will be sent automatically, and "
        "you will get a message when it is. If you have never opened @CryptoBot, open it "
        "once: the payment goes there. Withdrawal {second}.",
        "⚠️ Your withdrawal of 5 USDT could not be paid out; the money is back in your "
        "balance. Write /paysupport to learn why. Withdrawal {second}.",
    ],
}


@pytest.fixture
async def provider():
    server = await FakeCryptoPayServer(delay=1.0).start()
    yield server
    await server.stop()


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_a_player_is_told_of_a_delayed_a_paid_and_a_failed_crypto_payout(
    language, send, telegram, ready_player, engine, uow_factory, clock, ids, house,
    event_relay, servers, provider,
):  # fmt: skip
    player = await ready_player(language, balance=0)
    player_id = await _player_id(engine, player)
    client = CryptoPayClient(provider.token, provider.url, timeout_s=0.5)
    gateway = CryptoPayPayouts(client, PlayerTelegramIds(engine), ManualPayouts(), {"USDT"})
    uses = (uow_factory, clock, ids, house)
    approve = ApproveWithdrawal(*uses, gateway, second=ONE_APPROVAL)
    run = SendPayouts(*uses, gateway, {"USDT"})
    failed = MarkWithdrawalFailed(*uses, gateway)
    request = RequestWithdrawal(*uses, POLICY, NoWithdrawalHolds())

    redis = create_redis(servers.redis_url)
    events = RedisEventStream(redis, f"test-payouts-{secrets.token_hex(4)}", "test")
    listener = CrashResultListener(
        events, ReadyCrashResults(uow_factory), NotifyOfEvents(uow_factory, clock), block_ms=50
    )
    sender = SendNotices(uow_factory, clock, TelegramMessenger(Bot(BOT_TOKEN, session=telegram)))
    lines: list[str] = []

    async def kept() -> dict[str, str]:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT dedup_key, state FROM bot_notices WHERE player_id = :p"),
                {"p": player_id},
            )
            return dict(rows.all())

    async def told(what: str, expected: int) -> None:
        """`what` happened; the bot's messages that follow, once the notices are sent."""
        lines.append(f"({what})")
        already = len(telegram.calls)
        async with event_relay():
            for _ in range(200):
                await listener.step()
                if len(await kept()) >= expected:
                    break
            else:
                raise AssertionError(f"expected {expected} notices, kept {await kept()}")
        for _ in range(50):  # one message a second a chat: a pass until none is due
            await sender()
            if "due" not in (await kept()).values():
                break
            await asyncio.sleep(0.25)
        lines.extend(
            f"BOT (by itself): {c.text}"
            for c in telegram.calls[already:]
            if isinstance(c, SendMessage) and c.chat_id == player.chat.id
        )

    try:
        await listener.step()  # the consumer group starts here: it reads what comes next
        deposit = DepositInCrypto(
            uow_factory, clock, ids, ResponsibleGamblingGuard(), client, CryptoPayConfig(True)
        )
        # The first deposit's prompt (UKGC RTS 12), answered "no limit for now".
        await AnswerDepositPrompt(uow_factory, clock)(player_id)
        made = await deposit(player_id, "USDT", 20 * USDT_1, f"tap-{uuid.uuid4().hex}")
        provider.pay(made.invoice.provider_invoice_id)
        credit = CreditCryptoInvoice(*uses, DEFAULT_RISK_REVIEW)
        assert (await PollCryptoInvoices(uow_factory, clock, client, credit)()).credited >= 1
        await told("the player pays a 20 USDT invoice in @CryptoBot", 1)

        first = await request(player_id, Money(12_500_000, USDT), "@CryptoBot", uuid.uuid4())
        provider.balance["USDT"] = "3.1"  # the app holds too little at Crypto Pay
        noted = await approve(first.id, FINANCE)
        assert noted.state is WithdrawalState.APPROVED
        assert "not enough USDT" in (noted.payout_note or "")
        for _ in range(3):
            await run()  # still too little: noted again, the player not told again
        await told(
            "the player asked to withdraw 12.5 USDT; staff approve it, but the app holds "
            "too little at Crypto Pay; three payout runs find it still unpaid",
            3,
        )
        provider.balance["USDT"] = "20"
        assert (await run()).paid == 1
        await told("the operator tops the app up; the next payout run pays it", 4)

        second = await request(player_id, Money(5 * USDT_1, USDT), "@CryptoBot", uuid.uuid4())
        provider.refuse_transfer = "USER_NOT_FOUND"
        await approve(second.id, FINANCE)
        await told("the player asks to withdraw 5 USDT; Crypto Pay refuses the transfer", 6)
        gone = await failed(second.id, "USER_NOT_FOUND three days running", FINANCE)
        assert gone.state is WithdrawalState.FAILED
        await told("staff give the money back", 7)
    finally:
        await redis.aclose()
        await client.close()
        await asyncio.to_thread(TRANSCRIPTS.mkdir, parents=True, exist_ok=True)
        path = TRANSCRIPTS / f"bot-crypto-payout-notices-{language}.txt"
        await asyncio.to_thread(path.write_text, "\n".join(lines) + "\n")

    said = [line.removeprefix("BOT (by itself): ") for line in lines if line.startswith("BOT")]
    assert len(said) == 7, said  # one a notice: the delay told once, nothing twice
    assert await sender() == 0
    assert set((await kept()).values()) == {"sent"}
    if language in SAID:
        assert said == [s.format(first=first.id, second=second.id) for s in SAID[language]]
    else:
        assert str(first.id) in said[2]
        assert str(first.id) in said[3]
        assert "CryptoBot" in said[3]
        assert "/paysupport" in said[6]
    assert not any("USER_NOT_FOUND" in s or "3.1" in s for s in said)  # staff's words
    async with engine.connect() as conn:
        wallet = await conn.scalar(
            text(
                "SELECT balance FROM accounts WHERE kind = 'player_wallet'"
                " AND player_id = :p AND currency = 'USDT'"
            ),
            {"p": player_id},
        )
    assert wallet == 7_500_000  # 20 in, 12.5 paid out, the 5 back
