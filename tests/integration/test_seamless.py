"""The seamless wallet on the real PostgreSQL: debit, credit, rollback, idempotency, rounds
and races, with the whole ledger reconciled after every test."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from application.player_admin import BlockPlayer
from application.postings import AdjustBalanceCommand
from application.seamless import (
    SeamlessCredit,
    SeamlessCreditCommand,
    SeamlessDebit,
    SeamlessDebitCommand,
    SeamlessRollback,
    SeamlessRollbackCommand,
)
from application.staff import Actor
from domain.errors import (
    IdempotencyConflict,
    IllegalTransition,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
)
from domain.money import TON, XTR, Money
from domain.standing import PlayerBlocked, Rule, TermsNotAccepted
from tests.conftest import race
from tests.written import row_counts

pytestmark = pytest.mark.usefixtures("books")

PROVIDER = "acme-games"


@pytest.fixture
def seamless_debit(uow_factory, clock, ids, house):
    return SeamlessDebit(uow_factory, clock, ids, house)


@pytest.fixture
def seamless_credit(uow_factory, clock, ids, house):
    return SeamlessCredit(uow_factory, clock, ids, house)


@pytest.fixture
def seamless_rollback(uow_factory, clock, ids, house):
    return SeamlessRollback(uow_factory, clock, ids, house)


@pytest.fixture
def ids_for(unique_key):
    """A fresh (transaction id, round id) pair."""
    return lambda: (unique_key("tx"), unique_key("round"))


def _debit(player_id, amount, tx, round_id, *, provider=PROVIDER, currency=XTR):
    return SeamlessDebitCommand(provider, player_id, Money(amount, currency), tx, round_id, "g1")


def _credit(player_id, amount, tx, round_id, *, provider=PROVIDER, currency=XTR):
    return SeamlessCreditCommand(provider, player_id, Money(amount, currency), tx, round_id)


def _rollback(player_id, tx, round_id, *, provider=PROVIDER, currency=XTR):
    return SeamlessRollbackCommand(provider, player_id, tx, round_id, currency)


async def _scalar(engine, sql: str, **params):
    async with engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


async def _ledger_entries(engine, key: str) -> int:
    return await _scalar(
        engine, "SELECT count(*) FROM ledger_transactions WHERE idempotency_key = :k", k=key
    )


async def _record(engine, tx: str, provider: str = PROVIDER):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT * FROM provider_transactions"
                    " WHERE provider = :p AND transaction_id = :t"
                ),
                {"p": provider, "t": tx},
            )
        ).first()


async def _round(engine, round_id: str, provider: str = PROVIDER):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT * FROM seamless_rounds WHERE provider = :p AND round_id = :r"),
                {"p": provider, "r": round_id},
            )
        ).first()


# -- happy paths ---------------------------------------------------------------------------


async def test_a_debit_then_a_credit_pays_the_win_and_closes_the_round(
    funded_player, seamless_debit, seamless_credit, balances, engine, ids_for, unique_key
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    staked = await seamless_debit(_debit(player.id, 100, tx, round_id))
    assert staked.transaction_id == tx
    assert staked.balance == Money(900, XTR)
    assert not staked.replayed
    assert staked.ledger_transaction_id is not None

    win_tx = unique_key("win")
    won = await seamless_credit(_credit(player.id, 250, win_tx, round_id))
    assert won.balance == Money(1150, XTR)
    assert not won.replayed
    assert won.ledger_transaction_id is not None
    assert await balances(player.id) == (Money(1150, XTR),)

    stake_row, win_row = await _record(engine, tx), await _record(engine, win_tx)
    assert (stake_row.kind, stake_row.state, stake_row.amount) == ("debit", "debited", 100)
    assert stake_row.ledger_transaction_id == staked.ledger_transaction_id
    assert stake_row.game_id == "g1"
    assert (win_row.kind, win_row.state, win_row.amount) == ("credit", "credited", 250)
    round_row = await _round(engine, round_id)
    assert round_row.closed_by == win_tx
    assert round_row.player_id == player.id
    async with engine.connect() as conn:
        kinds = (
            await conn.execute(
                text("SELECT kind FROM ledger_transactions WHERE id IN (:a, :b) ORDER BY kind"),
                {"a": staked.ledger_transaction_id, "b": won.ledger_transaction_id},
            )
        ).scalars()
        assert list(kinds) == ["bet", "win"]


async def test_a_zero_credit_moves_nothing_but_closes_the_round(
    funded_player, seamless_debit, seamless_credit, balances, engine, ids_for, unique_key
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    lost_tx = unique_key("lost")
    lost = await seamless_credit(_credit(player.id, 0, lost_tx, round_id))
    assert lost.balance == Money(900, XTR)
    assert lost.ledger_transaction_id is None
    assert await _ledger_entries(engine, f"seamless:{PROVIDER}:{lost_tx}") == 0
    row = await _record(engine, lost_tx)
    assert (row.kind, row.state, row.amount, row.ledger_transaction_id) == (
        "credit",
        "credited",
        0,
        None,
    )
    assert (await _round(engine, round_id)).closed_by == lost_tx
    again = await seamless_credit(_credit(player.id, 0, lost_tx, round_id))
    assert again.replayed
    assert again.ledger_transaction_id is None
    assert await balances(player.id) == (Money(900, XTR),)


async def test_a_rollback_refunds_the_debit_once(
    funded_player, seamless_debit, seamless_rollback, balances, engine, ids_for
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    staked = await seamless_debit(_debit(player.id, 300, tx, round_id))
    assert staked.balance == Money(700, XTR)

    undone = await seamless_rollback(_rollback(player.id, tx, round_id))
    assert undone.transaction_id == tx
    assert undone.balance == Money(1000, XTR)
    assert not undone.replayed
    assert undone.ledger_transaction_id not in (None, staked.ledger_transaction_id)

    again = await seamless_rollback(_rollback(player.id, tx, round_id))
    assert again.replayed
    assert again.ledger_transaction_id == undone.ledger_transaction_id
    assert again.balance == Money(1000, XTR)

    # The debit, repeated after its rollback, answers as it first did and takes nothing.
    repeat = await seamless_debit(_debit(player.id, 300, tx, round_id))
    assert repeat.replayed
    assert repeat.ledger_transaction_id == staked.ledger_transaction_id
    assert repeat.balance == Money(1000, XTR)
    assert await balances(player.id) == (Money(1000, XTR),)

    row = await _record(engine, tx)
    assert row.state == "rolled_back"
    assert row.rollback_ledger_transaction_id == undone.ledger_transaction_id
    assert await _ledger_entries(engine, f"seamless-rollback:{PROVIDER}:{tx}") == 1
    refund_kind = await _scalar(
        engine,
        "SELECT kind FROM ledger_transactions WHERE id = :id",
        id=undone.ledger_transaction_id,
    )
    assert refund_kind == "refund"


async def test_a_zero_credit_may_open_the_wallet_of_a_round_with_no_debit(
    new_player, seamless_credit, balances, ids_for, engine
):
    """A lost round closes with a zero credit, whatever it held; a credit that pays needs a
    debit still standing on its round (issue 18) and is refused, writing nothing."""
    player = await new_player((XTR,))
    tx, round_id = ids_for()
    with pytest.raises(IllegalTransition, match="has no debit"):
        await seamless_credit(_credit(player.id, 5, tx, round_id, currency=TON))
    assert await _record(engine, tx) is None
    assert await balances(player.id) == (Money(0, XTR),)
    paid = await seamless_credit(_credit(player.id, 0, tx, round_id, currency=TON))
    assert paid.balance == Money(0, TON)
    assert set(await balances(player.id)) == {Money(0, XTR), Money(0, TON)}


# -- idempotency ---------------------------------------------------------------------------


async def test_repeats_replay_the_first_answer_and_move_nothing(
    funded_player, seamless_debit, seamless_credit, balances, engine, ids_for, unique_key
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    first = await seamless_debit(_debit(player.id, 100, tx, round_id))
    again = await seamless_debit(_debit(player.id, 100, tx, round_id))
    assert again.replayed
    assert again.ledger_transaction_id == first.ledger_transaction_id
    assert again.balance == Money(900, XTR)

    win_tx = unique_key("win")
    won = await seamless_credit(_credit(player.id, 40, win_tx, round_id))
    won_again = await seamless_credit(_credit(player.id, 40, win_tx, round_id))
    assert won_again.replayed
    assert won_again.ledger_transaction_id == won.ledger_transaction_id
    assert won_again.balance == Money(940, XTR)
    # Replays still answer after the round is closed.
    assert (await seamless_debit(_debit(player.id, 100, tx, round_id))).replayed
    assert await balances(player.id) == (Money(940, XTR),)
    assert await _ledger_entries(engine, f"seamless:{PROVIDER}:{tx}") == 1
    assert await _ledger_entries(engine, f"seamless:{PROVIDER}:{win_tx}") == 1


async def test_the_same_id_with_different_content_is_a_conflict(
    funded_player, new_player, seamless_debit, seamless_credit, seamless_rollback, balances, ids_for
):
    player = await funded_player(1000)
    other = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    conflicts = [
        seamless_debit(_debit(player.id, 101, tx, round_id)),  # amount
        seamless_debit(_debit(other.id, 100, tx, round_id)),  # player
        seamless_debit(_debit(player.id, 100, tx, "another-round")),  # round
        seamless_debit(_debit(player.id, 100, tx, round_id, currency=TON)),  # currency
        seamless_credit(_credit(player.id, 100, tx, round_id)),  # kind
        seamless_rollback(_rollback(other.id, tx, round_id)),  # the rollback names another player
        seamless_rollback(_rollback(player.id, tx, "another-round")),  # ... another round
        seamless_rollback(_rollback(player.id, tx, round_id, currency=TON)),  # ... another currency
    ]
    for call in conflicts:
        with pytest.raises(IdempotencyConflict):
            await call
    assert await balances(player.id) == (Money(900, XTR),)
    assert await balances(other.id) == (Money(1000, XTR),)


async def test_ids_are_per_provider(funded_player, seamless_debit, balances, ids_for):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    a = await seamless_debit(_debit(player.id, 100, tx, round_id, provider="alpha"))
    b = await seamless_debit(_debit(player.id, 100, tx, round_id, provider="beta"))
    assert not a.replayed
    assert not b.replayed
    assert a.ledger_transaction_id != b.ledger_transaction_id
    assert await balances(player.id) == (Money(800, XTR),)


# -- rounds and rollbacks -------------------------------------------------------------------


async def test_a_rollback_of_an_unknown_debit_refuses_the_late_debit(
    funded_player, seamless_debit, seamless_rollback, balances, engine, ids_for
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    tombstone = await seamless_rollback(_rollback(player.id, tx, round_id))
    assert tombstone.transaction_id == tx
    assert not tombstone.replayed
    assert tombstone.ledger_transaction_id is None
    assert tombstone.balance == Money(1000, XTR)
    row = await _record(engine, tx)
    assert (row.kind, row.state, row.amount) == ("debit", "cancelled", None)

    again = await seamless_rollback(_rollback(player.id, tx, round_id))
    assert again.replayed
    assert again.ledger_transaction_id is None

    with pytest.raises(IllegalTransition, match="rolled back before it arrived"):
        await seamless_debit(_debit(player.id, 100, tx, round_id))
    assert await balances(player.id) == (Money(1000, XTR),)
    assert await _ledger_entries(engine, f"seamless:{PROVIDER}:{tx}") == 0


async def test_a_tombstone_for_a_player_without_that_wallet_answers_zero(
    funded_player, seamless_rollback, ids_for
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    tombstone = await seamless_rollback(_rollback(player.id, tx, round_id, currency=TON))
    assert tombstone.balance == Money(0, TON)


async def test_a_closed_round_refuses_debits_rollbacks_and_second_credits(
    funded_player, seamless_debit, seamless_credit, seamless_rollback, balances, ids_for, unique_key
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    win_tx = unique_key("win")
    await seamless_credit(_credit(player.id, 150, win_tx, round_id))
    with pytest.raises(IllegalTransition, match=f"already closed by credit {win_tx}"):
        await seamless_debit(_debit(player.id, 100, unique_key("late"), round_id))
    with pytest.raises(IllegalTransition, match="rollback of debit"):
        await seamless_rollback(_rollback(player.id, tx, round_id))
    with pytest.raises(IllegalTransition, match=f"already closed by credit {win_tx}"):
        await seamless_credit(_credit(player.id, 150, unique_key("win2"), round_id))
    assert await balances(player.id) == (Money(1050, XTR),)


async def test_a_round_may_take_several_debits_before_its_credit(
    funded_player, seamless_debit, seamless_credit, seamless_rollback, balances, ids_for, unique_key
):
    player = await funded_player(1000)
    _, round_id = ids_for()
    first, second = unique_key("a"), unique_key("b")
    await seamless_debit(_debit(player.id, 100, first, round_id))
    await seamless_debit(_debit(player.id, 50, second, round_id))
    assert (await seamless_rollback(_rollback(player.id, second, round_id))).balance == Money(
        900, XTR
    )
    assert (
        await seamless_credit(_credit(player.id, 0, unique_key("c"), round_id))
    ).balance == Money(900, XTR)
    assert await balances(player.id) == (Money(900, XTR),)


async def test_a_round_belongs_to_one_player(
    funded_player, seamless_debit, balances, ids_for, unique_key
):
    player = await funded_player(1000)
    other = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    with pytest.raises(IdempotencyConflict, match=f"belongs to player {player.id}"):
        await seamless_debit(_debit(other.id, 100, unique_key("tx"), round_id))
    assert await balances(other.id) == (Money(1000, XTR),)


async def test_only_a_debit_is_rolled_back(
    funded_player, seamless_credit, seamless_rollback, ids_for
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_credit(_credit(player.id, 0, tx, round_id))
    with pytest.raises(IllegalTransition, match="only a debit is rolled back"):
        await seamless_rollback(_rollback(player.id, tx, round_id))


# -- refusals ------------------------------------------------------------------------------


async def test_insufficient_funds_writes_nothing(
    funded_player, seamless_debit, balances, engine, ids_for
):
    player = await funded_player(100)
    tx, round_id = ids_for()
    with pytest.raises(InsufficientFunds):
        await seamless_debit(_debit(player.id, 101, tx, round_id))
    assert await _record(engine, tx) is None
    assert await _round(engine, round_id) is None
    assert await _ledger_entries(engine, f"seamless:{PROVIDER}:{tx}") == 0
    assert await balances(player.id) == (Money(100, XTR),)
    # Nothing was recorded, so the same id can be used once the wallet can pay.
    assert (await seamless_debit(_debit(player.id, 100, tx, round_id))).balance == Money(0, XTR)


async def test_unknown_players_and_wallets_are_not_found(
    funded_player, seamless_debit, seamless_credit, seamless_rollback, ids_for, engine
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    with pytest.raises(NotFound):
        await seamless_debit(_debit(10**15, 1, tx, round_id))
    with pytest.raises(NotFound):
        await seamless_credit(_credit(10**15, 1, tx, round_id))
    with pytest.raises(NotFound):
        await seamless_rollback(_rollback(10**15, tx, round_id))
    with pytest.raises(NotFound, match="no TON wallet"):
        await seamless_debit(_debit(player.id, 1, tx, round_id, currency=TON))
    assert await _record(engine, tx) is None


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda p: _debit(p, 1, "", "r"), "transaction id is required"),
        (lambda p: _debit(p, 1, "t" * 101, "r"), "at most 100"),
        (lambda p: _debit(p, 1, "t", "r" * 101), "round id"),
        (lambda p: _debit(p, 1, "t", "  "), "round id must not be blank"),
        (lambda p: _debit(p, 0, "t", "r"), "positive amount"),
        (lambda p: _debit(p, -5, "t", "r"), "positive amount"),
        (lambda p: _credit(p, -5, "t", "r"), "cannot be negative"),
        (lambda p: _debit(p, 1, "t", "r", provider="bad:provider"), "provider"),
        (lambda p: _rollback(p, "t\x00", "r"), "control characters"),
        (lambda p: _debit(0, 1, "t", "r"), "player id"),
    ],
)
async def test_bad_input_is_an_invalid_request(
    funded_player, seamless_debit, seamless_credit, seamless_rollback, command, message
):
    player = await funded_player(10)
    call = command(player.id)
    use_case = {
        SeamlessDebitCommand: seamless_debit,
        SeamlessCreditCommand: seamless_credit,
        SeamlessRollbackCommand: seamless_rollback,
    }[type(call)]
    with pytest.raises(InvalidRequest, match=message):
        await use_case(call)


async def test_the_database_refuses_to_rewrite_seamless_records(
    funded_player, seamless_debit, seamless_credit, engine, ids_for, unique_key
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    win_tx = unique_key("win")
    await seamless_credit(_credit(player.id, 0, win_tx, round_id))
    statements = [
        (
            "UPDATE provider_transactions SET amount = 1 WHERE transaction_id = :t",
            tx,
            "only changes by being rolled back",
        ),
        (
            "UPDATE provider_transactions SET state = 'rolled_back', amount = 1,"
            " rolled_back_at = now(), rollback_ledger_transaction_id = ledger_transaction_id"
            " WHERE transaction_id = :t",
            tx,
            "terms of provider transaction",
        ),
        (
            "UPDATE provider_transactions SET game_id = 'x' WHERE transaction_id = :t",
            win_tx,
            "already credited; it never changes again",
        ),
        ("DELETE FROM provider_transactions WHERE transaction_id = :t", tx, "append-only"),
        (
            "UPDATE seamless_rounds SET closed_at = NULL, closed_by = NULL WHERE round_id = :t",
            round_id,
            "already closed",
        ),
        ("DELETE FROM seamless_rounds WHERE round_id = :t", round_id, "append-only"),
    ]
    for sql, key, message in statements:
        async with engine.connect() as conn:
            with pytest.raises(Exception, match=message):
                await conn.execute(text(sql), {"t": key})
    # A row whose state contradicts its facts cannot be written at all.
    async with engine.connect() as conn:
        with pytest.raises(Exception, match="ck_provider_transactions_state"):
            await conn.execute(
                text(
                    "INSERT INTO provider_transactions (provider, transaction_id, kind, state,"
                    " player_id, round_id, currency, amount, created_at)"
                    " VALUES (:p, :t, 'debit', 'debited', :player, :r, 'XTR', 5, now())"
                ),
                {"p": PROVIDER, "t": unique_key("bad"), "player": player.id, "r": round_id},
            )


# -- races ---------------------------------------------------------------------------------


async def test_50_concurrent_identical_debits_move_money_once(
    funded_player, seamless_debit, balances, engine, ids_for
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    results = await race(50, lambda i: seamless_debit(_debit(player.id, 100, tx, round_id)))
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sum(1 for r in results if not r.replayed) == 1
    assert len({r.ledger_transaction_id for r in results}) == 1
    assert await _ledger_entries(engine, f"seamless:{PROVIDER}:{tx}") == 1
    assert await balances(player.id) == (Money(900, XTR),)


async def test_concurrent_debits_of_one_player_never_overdraw(
    funded_player, seamless_debit, balances, ids_for
):
    player = await funded_player(500)
    results = await race(40, lambda i: seamless_debit(_debit(player.id, 50, *ids_for())))
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 10
    assert all(isinstance(r, InsufficientFunds) for r in results if isinstance(r, BaseException))
    assert await balances(player.id) == (Money(0, XTR),)


async def test_50_concurrent_identical_rollbacks_refund_once(
    funded_player, seamless_debit, seamless_rollback, balances, engine, ids_for
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    results = await race(50, lambda i: seamless_rollback(_rollback(player.id, tx, round_id)))
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert sum(1 for r in results if not r.replayed) == 1
    assert await _ledger_entries(engine, f"seamless-rollback:{PROVIDER}:{tx}") == 1
    assert await balances(player.id) == (Money(1000, XTR),)


async def test_concurrent_credits_on_one_round_close_it_once(
    funded_player, seamless_debit, seamless_credit, balances, ids_for, unique_key
):
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    results = await race(
        20, lambda i: seamless_credit(_credit(player.id, 30, unique_key("w"), round_id))
    )
    paid = [r for r in results if not isinstance(r, BaseException)]
    assert len(paid) == 1
    assert all(isinstance(r, IllegalTransition) for r in results if isinstance(r, BaseException))
    assert await balances(player.id) == (Money(930, XTR),)


@pytest.mark.parametrize("same_round", [True, False])
async def test_a_debit_racing_its_rollback_never_loses_money(
    funded_player, seamless_debit, seamless_rollback, balances, engine, ids_for, same_round
):
    player = await funded_player(1000)
    for _ in range(15):
        tx, round_id = ids_for()
        rollback_round = round_id if same_round else f"{round_id}-x"
        results = await race(
            2,
            lambda i, tx=tx, round_id=round_id, rollback_round=rollback_round: (
                seamless_debit(_debit(player.id, 100, tx, round_id))
                if i == 0
                else seamless_rollback(_rollback(player.id, tx, rollback_round))
            ),
        )
        debit_result, rollback_result = results
        row = await _record(engine, tx)
        if isinstance(debit_result, BaseException):
            # The rollback came first: a tombstone, and the debit refused.
            assert isinstance(debit_result, IllegalTransition), debit_result
            assert not isinstance(rollback_result, BaseException), rollback_result
            assert rollback_result.ledger_transaction_id is None
            assert row.state == "cancelled"
        elif not same_round:
            # The debit came first and the rollback named another round: refused, stake kept.
            assert isinstance(rollback_result, IdempotencyConflict), rollback_result
            assert row.state == "debited"
            # The rollback that names the debit's round refunds it.
            await seamless_rollback(_rollback(player.id, tx, round_id))
        else:
            # The debit came first, then the rollback refunded it.
            assert not isinstance(rollback_result, BaseException), rollback_result
            assert rollback_result.ledger_transaction_id is not None
            assert row.state == "rolled_back"
        assert await balances(player.id) == (Money(1000, XTR),)


async def test_concurrent_debits_opening_one_round_all_land(
    funded_player, seamless_debit, balances, engine, ids_for, unique_key
):
    player = await funded_player(1000)
    _, round_id = ids_for()
    results = await race(
        20, lambda i: seamless_debit(_debit(player.id, 10, unique_key("tx"), round_id))
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert await balances(player.id) == (Money(800, XTR),)
    count = await _scalar(
        engine,
        "SELECT count(*) FROM provider_transactions WHERE provider = :p AND round_id = :r",
        p=PROVIDER,
        r=round_id,
    )
    assert count == 20


async def test_reconciliation_catches_a_record_that_disagrees_with_the_ledger(
    funded_player, seamless_debit, engine, ids_for
):
    from adapters.postgres.reconcile import _CHECKS

    checks = {name: sql for name, sql in _CHECKS if "seamless" in name}
    assert len(checks) == 2
    player = await funded_player(1000)
    tx, round_id = ids_for()
    await seamless_debit(_debit(player.id, 100, tx, round_id))
    async with engine.connect() as conn:
        for sql in checks.values():
            assert (await conn.execute(text(sql))).all() == []
        # Forge a credit of 7 that points at the player's deposit (which moved 1000) and does
        # not close its round; looked at inside this transaction, then rolled back.
        deposit = (
            await conn.execute(
                text(
                    "SELECT t.id FROM ledger_transactions t"
                    " JOIN ledger_legs l ON l.transaction_id = t.id"
                    " JOIN accounts a ON a.id = l.account_id"
                    " WHERE t.kind = 'deposit' AND a.player_id = :p"
                ),
                {"p": player.id},
            )
        ).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO provider_transactions (provider, transaction_id, kind, state,"
                " player_id, round_id, currency, amount, created_at, ledger_transaction_id)"
                " VALUES (:provider, 'forged', 'credit', 'credited', :p, :r, 'XTR', 7, now(),"
                " :ledger)"
            ),
            {"provider": PROVIDER, "p": player.id, "r": round_id, "ledger": deposit},
        )
        found = {name: (await conn.execute(text(sql))).all() for name, sql in checks.items()}
        await conn.rollback()
    assert all(len(rows) == 1 for rows in found.values()), found


# -- the player's standing (issue 16) ----------------------------------------------------------


async def test_a_blocked_player_cannot_be_debited_but_rounds_still_settle(
    funded_player,
    seamless_debit,
    seamless_credit,
    seamless_rollback,
    uow_factory,
    clock,
    balances,
    engine,
    ids_for,
):
    player = await funded_player(1000)
    won_tx, won_round = ids_for()
    undone_tx, undone_round = ids_for()
    first = await seamless_debit(_debit(player.id, 100, won_tx, won_round))
    await seamless_debit(_debit(player.id, 50, undone_tx, undone_round))
    await BlockPlayer(uow_factory, clock)(player.id, "fraud review", Actor("staff:ops"))

    before = await row_counts(engine)
    tx, round_id = ids_for()
    with pytest.raises(PlayerBlocked) as refused:
        await seamless_debit(_debit(player.id, 10, tx, round_id))
    assert refused.value.rule is Rule.BLOCKED
    with pytest.raises(PlayerBlocked):  # nor another stake in a round already open
        await seamless_debit(_debit(player.id, 10, tx, won_round))
    assert await row_counts(engine) == before
    assert await balances(player.id) == (Money(850, XTR),)

    # A repeat of a debit made before the block answers with its first result.
    again = await seamless_debit(_debit(player.id, 100, won_tx, won_round))
    assert (again.replayed, again.ledger_transaction_id) == (True, first.ledger_transaction_id)
    # The rounds played before the block settle: a win is paid, a stake given back.
    won = await seamless_credit(_credit(player.id, 300, f"{won_tx}-win", won_round))
    undone = await seamless_rollback(_rollback(player.id, undone_tx, undone_round))
    assert (won.replayed, undone.replayed) == (False, False)
    assert await balances(player.id) == (Money(1200, XTR),)


async def test_a_player_without_the_terms_cannot_be_debited(
    new_player, adjust, seamless_debit, engine, ids_for, unique_key
):
    player = await new_player(accept_terms=False)
    # They could not deposit either; a staff adjustment is allowed whatever the standing.
    await adjust(AdjustBalanceCommand(player.id, Money(500, XTR), "tests", "ops", unique_key()))
    before = await row_counts(engine)
    with pytest.raises(TermsNotAccepted) as refused:
        await seamless_debit(_debit(player.id, 10, *ids_for()))
    assert refused.value.rule is Rule.TERMS_NOT_ACCEPTED
    assert await row_counts(engine) == before
