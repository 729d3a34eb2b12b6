"""Several transactions posted in one call (`Ledger.post_all`, the `ledger_post_many` function):
each exactly as if posted alone in that order, the whole call refused with the first error."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from adapters.postgres.errors import server_message, sqlstate
from application.postings import CreditDepositCommand
from domain.accounts import AccountKind
from domain.errors import IdempotencyConflict, InsufficientFunds, InvalidRequest, NotFound
from domain.events import transactions_posted
from domain.ledger import Leg, PostedTransaction, Transaction, TransactionKind
from domain.money import XTR, Money
from tests.conftest import race

pytestmark = pytest.mark.usefixtures("books")


def _move(key: str, source: int, target: int, amount: int, *, reference: str = "") -> Transaction:
    return Transaction(
        id=uuid.uuid4(),
        kind=TransactionKind.TRANSFER,
        idempotency_key=key,
        legs=(Leg(source, Money(-amount, XTR)), Leg(target, Money(amount, XTR))),
        created_at=datetime.now(UTC),
        reference=reference,
    )


@pytest.fixture
def wallets(new_player, credit, uow_factory, unique_key):
    """`count` players' XTR wallet ids, in id order, each holding `amount`."""

    async def make(count: int, amount: int = 100) -> list[int]:
        ids = []
        for _ in range(count):
            player = await new_player()
            await credit(CreditDepositCommand(player.id, Money(amount, XTR), unique_key("dep")))
            async with uow_factory() as uow:
                wallet = await uow.accounts.wallet(player.id, XTR)
            assert wallet is not None
            ids.append(wallet.id)
        return sorted(ids)

    return make


@pytest.fixture
async def adjustments(uow_factory) -> int:
    """A house account that may go negative."""
    async with uow_factory() as uow:
        return await uow.accounts.house_account_id(AccountKind.ADJUSTMENTS, XTR, 0)


async def _balance(engine, account: int) -> int:
    async with engine.connect() as conn:
        query = text("SELECT balance FROM accounts WHERE id = :a")
        return (await conn.execute(query, {"a": account})).scalar_one()


async def _post_all(uow_factory, transactions: list[Transaction]) -> list[PostedTransaction]:
    async with uow_factory() as uow:
        posted = await uow.ledger.post_all(transactions)
        uow.raise_events(*transactions_posted(*posted))  # as a use case does: the outbox owes none
        await uow.commit()
    return posted


def _after(posted: PostedTransaction, account: int) -> int:
    return next(leg.balance_after for leg in posted.legs if leg.account_id == account)


async def test_many_postings_on_one_account_get_running_balances(
    uow_factory, engine, wallets, adjustments, unique_key
):
    wallet, other = await wallets(2)
    house_before = await _balance(engine, adjustments)
    moves = [(adjustments, wallet, 5), (wallet, other, 30), (adjustments, wallet, 7)]
    moves += [(wallet, adjustments, 1)] * 4 + [(other, wallet, 2)]
    transactions = [
        _move(unique_key(), s, t, a, reference=f"r{i}") for i, (s, t, a) in enumerate(moves)
    ]

    posted = await _post_all(uow_factory, transactions)

    assert [p.id for p in posted] == [t.id for t in transactions]
    assert [p.reference for p in posted] == [f"r{i}" for i in range(len(moves))]
    assert not any(p.replayed for p in posted)
    assert [_after(p, wallet) for p in posted] == [105, 75, 82, 81, 80, 79, 78, 80]
    assert [_after(p, other) for p in posted if other in {leg.account_id for leg in p.legs}] == [
        130,
        128,
    ]
    on_house = [p for p in posted if adjustments in {leg.account_id for leg in p.legs}]
    assert [_after(p, adjustments) - house_before for p in on_house] == [-5, -12, -11, -10, -9, -8]
    assert (await _balance(engine, wallet), await _balance(engine, other)) == (80, 128)
    assert await _balance(engine, adjustments) == house_before - 8
    # What the journal holds is what came back, leg by leg, in the order of the legs' ids.
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                text(
                    "SELECT transaction_id, balance_after FROM ledger_legs"
                    " WHERE account_id = :a AND transaction_id = ANY(CAST(:t AS uuid[]))"
                    " ORDER BY id"
                ),
                {"a": wallet, "t": [t.id for t in transactions]},
            )
        ).all()
    assert [(r.transaction_id, r.balance_after) for r in stored] == [
        (p.id, _after(p, wallet)) for p in posted
    ]


async def test_a_forbidden_negative_in_the_middle_refuses_the_whole_call(
    uow_factory, engine, wallets, adjustments, unique_key
):
    wallet, other = await wallets(2, amount=10)
    first = _move(unique_key(), adjustments, wallet, 5)
    transactions = [
        first,
        _move(unique_key(), wallet, other, 15),  # 15 left: fine
        _move(unique_key(), wallet, other, 1),  # 0 left: refused here
        _move(unique_key(), adjustments, wallet, 100),  # would have covered it, too late
    ]
    with pytest.raises(InsufficientFunds) as refused:
        await _post_all(uow_factory, transactions)
    # The error ledger_post gives, for the account that would have gone below zero.
    assert str(refused.value) == f"insufficient funds on account {wallet}"
    assert (await _balance(engine, wallet), await _balance(engine, other)) == (10, 10)
    async with uow_factory() as uow:
        assert not await uow.ledger.has_key(first.idempotency_key)


async def test_the_first_error_in_posting_order_is_the_one_raised(
    uow_factory, wallets, adjustments, unique_key
):
    (wallet,) = await wallets(1, amount=10)
    taken = _move(unique_key(), adjustments, wallet, 1)
    await _post_all(uow_factory, [taken])
    conflict = _move(taken.idempotency_key, adjustments, wallet, 2)  # same key, other content
    overdraft = _move(unique_key(), wallet, adjustments, 1000)
    with pytest.raises(IdempotencyConflict, match=taken.idempotency_key):
        await _post_all(
            uow_factory, [_move(unique_key(), adjustments, wallet, 1), conflict, overdraft]
        )
    with pytest.raises(InsufficientFunds):
        await _post_all(uow_factory, [overdraft, conflict])
    nowhere = _move(unique_key(), wallet, 2**50, 1)
    with pytest.raises(NotFound, match=f"^no XTR account with id {2**50}$"):
        await _post_all(
            uow_factory, [_move(unique_key(), adjustments, wallet, 1), nowhere, overdraft]
        )


async def test_a_key_repeated_inside_a_call_is_a_replay_of_its_first_posting(
    uow_factory, engine, wallets, adjustments, unique_key
):
    (wallet,) = await wallets(1, amount=10)
    earlier = _move(unique_key(), adjustments, wallet, 3)
    (posted_earlier,) = await _post_all(uow_factory, [earlier])
    first = _move(unique_key(), adjustments, wallet, 4)
    again = _move(first.idempotency_key, adjustments, wallet, 4)  # a retry: a new id, same content
    posted = await _post_all(
        uow_factory, [first, _move(unique_key(), wallet, adjustments, 2), again, earlier]
    )

    assert [p.replayed for p in posted] == [False, False, True, True]
    assert posted[2].id == first.id  # the first posting with the key, not the retry's id
    assert posted[2].legs == posted[0].legs
    assert posted[2].created_at == posted[0].created_at
    assert posted[3].id == earlier.id
    assert posted[3].legs == posted_earlier.legs
    assert [_after(p, wallet) for p in posted] == [17, 15, 17, 13]  # 13: as `earlier` left it
    assert await _balance(engine, wallet) == 15  # the replays moved nothing

    changed = _move(first.idempotency_key, adjustments, wallet, 5)
    fresh = _move(unique_key(), adjustments, wallet, 1)
    with pytest.raises(IdempotencyConflict):
        await _post_all(uow_factory, [fresh, _move(fresh.idempotency_key, adjustments, wallet, 9)])
    with pytest.raises(IdempotencyConflict):
        await _post_all(uow_factory, [changed])
    assert await _balance(engine, wallet) == 15
    async with uow_factory() as uow:
        assert not await uow.ledger.has_key(fresh.idempotency_key)


async def test_calls_over_the_same_accounts_in_opposite_orders_do_not_deadlock(
    uow_factory, engine, wallets, unique_key
):
    """Posted one transaction after another, call A would lock pair 1 first and call B pair 8
    first, and they meet in the middle holding what the other needs: a deadlock, one call
    refused. Locked once each, in id order, they queue instead."""
    accounts = await wallets(16, amount=1000)
    pairs = [(accounts[i], accounts[i + 8]) for i in range(8)]

    async def call(i: int) -> list[PostedTransaction]:
        order = pairs if i % 2 == 0 else pairs[::-1]
        return await _post_all(uow_factory, [_move(unique_key(), s, t, 1) for s, t in order])

    for _ in range(5):
        results = await race(4, call)
        failures = [r for r in results if isinstance(r, BaseException)]
        assert not failures, failures
    for source, target in pairs:
        assert await _balance(engine, source) == 1000 - 20
        assert await _balance(engine, target) == 1000 + 20


@pytest.mark.parametrize(
    ("leg_of", "amounts", "message"),
    [
        ([1, 1, 2], [5, -5, 3], "a transaction needs two or more legs"),
        ([1, 1, 2, 2], [5, -5, 3, -2], "legs do not sum to zero per currency"),
        ([1, 1, 3, 3], [5, -5, 3, -3], "every leg the number of its transaction (1 to 2)"),
    ],
)
async def test_the_function_refuses_a_malformed_call_before_writing(
    engine, wallets, unique_key, leg_of, amounts, message
):
    """What another caller of `ledger_post_many` (SQL, not this adapter) gets for bad input:
    CR422, the adapter's UnbalancedTransaction, and nothing written."""
    first, second = await wallets(2)
    keys = [unique_key(), unique_key()]
    async with engine.connect() as conn:
        with pytest.raises(DBAPIError) as caught:
            await conn.execute(
                text(
                    "SELECT * FROM ledger_post_many("
                    " ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY['transfer', 'transfer'],"
                    " CAST(:keys AS text[]), ARRAY[sha256('a'), sha256('b')], ARRAY['', ''],"
                    " ARRAY['{}', '{}']::jsonb[], ARRAY[now(), now()], CAST(:leg_of AS int[]),"
                    " CAST(:accounts AS bigint[]), CAST(:currencies AS text[]),"
                    " CAST(:amounts AS bigint[]))"
                ),
                {
                    "keys": keys,
                    "leg_of": leg_of,
                    "accounts": ([first, second] * 2)[: len(leg_of)],
                    "currencies": ["XTR"] * len(leg_of),
                    "amounts": amounts,
                },
            )
        await conn.rollback()
        assert sqlstate(caught.value) == "CR422"
        assert message in server_message(caught.value)
        taken = text("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = ANY(:k)")
        assert (await conn.execute(taken, {"k": keys})).scalar_one() == 0


_CALL = text(
    "SELECT * FROM ledger_post_many(CAST(:ids AS uuid[]), CAST(:kinds AS text[]),"
    " CAST(:keys AS text[]), CAST(:fingerprints AS bytea[]), CAST(:references AS text[]),"
    " CAST(:metadata AS jsonb[]), CAST(:created_at AS timestamptz[]), CAST(:leg_of AS int[]),"
    " CAST(:accounts AS bigint[]), CAST(:currencies AS text[]), CAST(:amounts AS bigint[]))"
)
# What the journal holds for the call's keys, in the function's row order (its old read-back).
_JOURNAL = text(
    "SELECT x.t::integer AS n, l.transaction_id, e.created_at, l.account_id, l.currency,"
    " l.amount, l.balance_after"
    " FROM unnest(CAST(:keys AS text[])) WITH ORDINALITY AS x(key, t)"
    " JOIN ledger_transactions AS e ON e.idempotency_key = x.key"
    " JOIN ledger_legs AS l ON l.transaction_id = e.id ORDER BY x.t, l.account_id"
)


async def _call(conn, moves: list[tuple[str, int, int, int]]) -> list:
    """`ledger_post_many` called in SQL with transfers (key, source, target, amount)."""
    at = datetime.now(UTC)
    arguments = {
        "ids": [uuid.uuid4() for _ in moves],
        "kinds": ["transfer"] * len(moves),
        "keys": [key for key, *_ in moves],
        "fingerprints": [bytes([amount % 256]) * 32 for *_, amount in moves],
        "references": [""] * len(moves),
        "metadata": [f'{{"n": {n}}}' for n in range(len(moves))],
        "created_at": [at.replace(microsecond=n) for n in range(len(moves))],
        "leg_of": [n for n in range(1, len(moves) + 1) for _ in range(2)],
        "accounts": [account for _, s, t, _ in moves for account in (s, t)],
        "currencies": ["XTR"] * 2 * len(moves),
        "amounts": [amount for *_, a in moves for amount in (-a, a)],
    }
    return (await conn.execute(_CALL, arguments)).all()


async def test_the_rows_a_call_returns_are_what_the_journal_holds(
    engine, wallets, adjustments, unique_key
):
    """A call whose keys are all new returns the rows it writes (revision 0064) and a call with
    a replay reads them back: either way, row for row, what the journal holds for its keys."""
    wallet, other = await wallets(2, amount=10)
    keys = [unique_key() for _ in range(4)]
    async with engine.connect() as conn:
        fresh = await _call(
            conn,
            [
                (keys[0], adjustments, wallet, 5),
                (keys[1], wallet, other, 12),
                (keys[2], other, adjustments, 3),
            ],
        )
        with_replays = await _call(
            conn, [(keys[3], wallet, other, 1), (keys[1], wallet, other, 12)]
        )
        for rows, called in ((fresh, keys[:3]), (with_replays, [keys[3], keys[1]])):
            journal = (await conn.execute(_JOURNAL, {"keys": called})).all()
            assert [
                (
                    r.n,
                    r.transaction_id,
                    r.created_at,
                    r.account_id,
                    r.currency,
                    r.amount,
                    r.balance_after,
                )
                for r in rows
            ] == [tuple(j) for j in journal]
        await conn.rollback()  # written past the adapter, without events: not kept
    assert [r.replayed for r in fresh] == [False] * 6
    assert [r.replayed for r in with_replays] == [False, False, True, True]
    assert [r.balance_after for r in fresh if r.account_id == wallet] == [15, 3]
    assert [r.balance_after for r in with_replays if r.account_id == wallet] == [2, 3]


async def test_a_balance_out_of_the_64_bit_range_refuses_the_call(
    engine, wallets, adjustments, unique_key
):
    """22003 ("bigint out of range"), as ledger_post's bigint arithmetic would raise, and
    nothing written."""
    (wallet,) = await wallets(1, amount=10)
    keys = [unique_key(), unique_key()]
    async with engine.connect() as conn:
        # The engine turns a 22003 into the domain's InvalidRequest (a client's bad number).
        with pytest.raises(InvalidRequest) as caught:
            await _call(conn, [(key, adjustments, wallet, 2**62) for key in keys])
        await conn.rollback()
        assert str(caught.value.__cause__) == "bigint out of range"  # 22003's own message
        taken = text("SELECT count(*) FROM ledger_transactions WHERE idempotency_key = ANY(:k)")
        assert (await conn.execute(taken, {"k": keys})).scalar_one() == 0
    assert await _balance(engine, wallet) == 10


_WAITING = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query ILIKE '%ledger_post_many%' AND pid <> pg_backend_pid()"
)


async def test_a_call_that_waited_for_a_lock_posts_on_the_balance_it_was_left(
    uow_factory, engine, wallets, adjustments, unique_key
):
    """A call queued behind another's lock reads the balances that one committed: its
    statement began before the commit, so the locked rows, not its snapshot, give them
    (revision 0064 reads the balance from the row its lock returns)."""
    (wallet,) = await wallets(1, amount=10)
    async with uow_factory() as holder:
        first = await holder.ledger.post_all([_move(unique_key(), adjustments, wallet, 7)])
        holder.raise_events(*transactions_posted(*first))
        waiter = asyncio.create_task(
            _post_all(uow_factory, [_move(unique_key(), wallet, adjustments, 12)])
        )
        for _ in range(500):
            async with engine.connect() as conn:
                if (await conn.execute(_WAITING)).scalar_one():
                    break
            await asyncio.sleep(0.01)
        else:  # pragma: no cover
            raise AssertionError("the second call never waited for the first's locks")
        await holder.commit()
    (second,) = await waiter
    assert _after(first[0], wallet) == 17
    assert _after(second, wallet) == 5  # 17 - 12: without the 7 it would have been refused
    assert await _balance(engine, wallet) == 5
