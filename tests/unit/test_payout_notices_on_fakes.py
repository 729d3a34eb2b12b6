"""What the player is told of a Crypto Pay payout, on in-memory fakes: paid ("12.5 USDT sent to
your CryptoBot wallet", with the withdrawal's id), delayed because the provider could not pay
it yet (once a withdrawal, however many payout runs find it unpaid; never for a lost answer,
whose outcome the next run finds), and failed by staff (the money back, /paysupport, never the
staff's words nor the gateway's note). Events raised by the use cases, kept as notices by
`NotifyOfEvents` from the wire's shapes, rendered in the five languages. On PostgreSQL and
through the bot: tests/entrypoints/test_bot_crypto_payout_notices.py."""

from __future__ import annotations

import pytest

from adapters.event_wire.rows import outbox_rows
from application.notices import NotifyOfEvents
from application.withdrawals import ApproveWithdrawal, MarkWithdrawalFailed, PayoutRun
from domain.events import WithdrawalPayoutDelayed
from domain.notices import Notice
from domain.withdrawals import WithdrawalState
from entrypoints.bot.i18n import Translator
from entrypoints.bot.notices import notice_text
from tests.unit.test_crypto_payouts_on_fakes import ONE_APPROVAL, STAFF, Books
from tests.unit.test_notifications_on_fakes import published

LANGUAGES = ("en", "ru", "es", "pt", "tr")


async def _notices(books: Books) -> list[Notice]:
    """Every event raised so far, delivered twice (the stream is at least once), kept."""
    notify = NotifyOfEvents(books.db, books.clock)
    envelopes = published(books.db.state.events)
    books.db.state.events.clear()
    for envelope in envelopes + envelopes:
        await notify(envelope)
    return sorted(books.db.state.notices.values(), key=lambda n: n.id)


def _delayed_events(books: Books) -> list[WithdrawalPayoutDelayed]:
    return [e for e in books.db.state.events if isinstance(e, WithdrawalPayoutDelayed)]


def _text(notice: Notice, language: str = "en") -> str:
    return notice_text(notice.kind, notice.data, Translator(language))


async def test_a_payout_delayed_by_the_provider_is_told_once_then_its_payment() -> None:
    books = Books()
    asked = await books.withdrawal()
    books.provider.balance["USDT"] = "3.1"  # the app holds too little
    noted = await books.approve(asked.id, STAFF)
    assert noted.state is WithdrawalState.APPROVED
    assert noted.payout_delayed_at == books.clock.now()
    assert len(_delayed_events(books)) == 1
    for _ in range(3):  # every later run finds it unpaid: noted again, not told again
        books.clock.advance(seconds=60)
        assert await books.run() == PayoutRun(0, 0, 1)
    assert len(_delayed_events(books)) == 1
    assert books.db.state.withdrawals[asked.id].payout_delayed_at == noted.payout_delayed_at
    books.provider.balance["USDT"] = "20"  # topped up
    assert await books.run() == PayoutRun(1, 0, 0)

    kept = await _notices(books)
    assert [n.kind for n in kept] == [
        "deposit.credited",
        "withdrawal.approved",
        "withdrawal.payout_delayed",
        "withdrawal.paid",
    ]
    delayed, paid = kept[2], kept[3]
    assert _text(delayed) == (
        "⏳ Your withdrawal of 12.5 USDT is approved, but its payment is delayed: the payment "
        "service cannot send it right now. Nothing is lost: it will be sent automatically, and "
        "you will get a message when it is. If you have never opened @CryptoBot, open it "
        f"once: the payment goes there. Withdrawal {asked.id}."
    )
    # The note names the casino's balance at the provider: it stays with staff.
    assert "3.1" not in _text(delayed)
    assert "3.1" not in str(delayed.data)
    assert _text(paid) == (
        f"🏧 12.5 USDT sent to your CryptoBot wallet: open @CryptoBot to see it. "
        f"Withdrawal {asked.id}."
    )
    for language in LANGUAGES:  # every language names the amount and the withdrawal
        for notice in (delayed, paid):
            said = _text(notice, language)
            assert "12.5 USDT" in said
            assert str(asked.id) in said
    assert _text(paid, "ru").startswith("🏧 12.5 USDT отправлено на ваш кошелёк в CryptoBot")


async def test_the_delayed_payouts_event_is_its_own_aggregate_numbered_once() -> None:
    books = Books()
    asked = await books.withdrawal()
    books.provider.balance["USDT"] = "1"
    await books.approve(asked.id, STAFF)
    (event,) = _delayed_events(books)
    (row,) = outbox_rows(event)
    assert (row.type, row.aggregate_type, row.aggregate_id, row.sequence) == (
        "withdrawal.payout_delayed",
        "withdrawal_payout",
        str(asked.id),
        1,
    )
    assert row.player_ids == (asked.player_id,)
    assert set(row.data.__struct_fields__) == {  # type: ignore[union-attr]
        "version",
        "withdrawal_id",
        "player_id",
        "currency",
        "amount",
        "at",
    }


async def test_a_lost_answer_is_not_told_as_a_delay() -> None:
    books = Books()
    asked = await books.withdrawal()

    class LostAnswer:
        async def send(self, withdrawal: object) -> object:
            raise TimeoutError("no answer")

        def pays(self, withdrawal: object) -> bool:
            return True

    uses = (books.db, books.clock, books.ids, books.house)
    lost = await ApproveWithdrawal(*uses, LostAnswer(), second=ONE_APPROVAL)(asked.id, STAFF)
    assert lost.state is WithdrawalState.APPROVED
    assert "outcome unknown" in (lost.payout_note or "")
    assert lost.payout_delayed_at is None
    assert _delayed_events(books) == []


async def test_a_payout_failed_by_staff_is_told_with_the_money_back_not_their_words() -> None:
    books = Books()
    asked = await books.withdrawal()
    books.provider.mode = "refuse"  # a definite refusal: nothing sent
    noted = await books.approve(asked.id, STAFF)
    assert "AMOUNT_TOO_BIG" in (noted.payout_note or "")
    books.provider.mode = "ok"
    uses = (books.db, books.clock, books.ids, books.house)
    failed = await MarkWithdrawalFailed(*uses, books.gateway)(
        asked.id, "fraud team: do not pay this one", STAFF
    )
    assert failed.state is WithdrawalState.FAILED
    kept = await _notices(books)
    assert [n.kind for n in kept][-2:] == ["withdrawal.payout_delayed", "withdrawal.failed"]
    told = _text(kept[-1])
    assert told == (
        "⚠️ Your withdrawal of 12.5 USDT could not be paid out; the money is back in your "
        f"balance. Write /paysupport to learn why. Withdrawal {asked.id}."
    )
    for language in LANGUAGES:
        said = _text(kept[-1], language)
        assert "/paysupport" in said
        assert "fraud" not in said
        assert "AMOUNT_TOO_BIG" not in said
    assert "fraud" not in str(kept[-1].data)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_stars_withdrawal_keeps_its_words(language: str) -> None:
    """A Stars payout (no Crypto Pay reference) is told as before: no CryptoBot in it."""
    data = {"amount": 300, "currency": "XTR", "withdrawal_id": "w-1", "rail": None}
    paid = notice_text("withdrawal.paid", data, Translator(language))
    failed = notice_text("withdrawal.failed", data, Translator(language))
    assert "300 ⭐" in paid
    assert "CryptoBot" not in paid + failed
    assert "w-1" not in paid + failed
