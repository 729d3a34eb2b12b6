import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.accounts import Account, AccountKind, house_shard_for
from domain.errors import (
    InsufficientFunds,
    InvalidRequest,
    InvalidTransaction,
    UnbalancedTransaction,
)
from domain.ledger import Leg, Transaction, TransactionKind, sums_by_currency, transfer_legs
from domain.money import TON, USDT, XTR, Money

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def tx(legs, key="k1", **kw):
    return Transaction(
        id=uuid.uuid4(),
        kind=kw.pop("kind", TransactionKind.TRANSFER),
        idempotency_key=key,
        legs=tuple(legs),
        created_at=NOW,
        **kw,
    )


def test_a_balanced_transaction_is_built():
    t = tx(transfer_legs(1, 2, Money(5, XTR)))
    assert [leg.amount.amount for leg in t.legs] == [-5, 5]
    assert sums_by_currency(t.legs) == {XTR: 0}


def test_an_unbalanced_transaction_cannot_be_constructed():
    with pytest.raises(UnbalancedTransaction, match="XTR sum to 1"):
        tx([Leg(1, Money(-5, XTR)), Leg(2, Money(6, XTR))])


def test_balance_is_per_currency_not_in_total():
    # -5 XTR and +5 TON sum to zero as numbers, but not per currency.
    with pytest.raises(UnbalancedTransaction):
        tx([Leg(1, Money(-5, XTR)), Leg(2, Money(5, TON))])


def test_multi_currency_transaction_balances_each_currency():
    t = tx(
        [
            Leg(1, Money(-5, XTR)),
            Leg(2, Money(5, XTR)),
            Leg(3, Money(-7, TON)),
            Leg(4, Money(7, TON)),
        ]
    )
    assert sums_by_currency(t.legs) == {XTR: 0, TON: 0}


def test_a_single_leg_is_not_a_transaction():
    with pytest.raises(UnbalancedTransaction, match="at least two legs"):
        tx([Leg(1, Money(0 + 1, XTR))])


def test_zero_legs_and_repeated_accounts_are_refused():
    with pytest.raises(InvalidTransaction, match="moves nothing"):
        Leg(1, Money(0, XTR))
    with pytest.raises(InvalidTransaction, match="appears twice"):
        tx([Leg(1, Money(-5, XTR)), Leg(1, Money(5, XTR))])


def test_transfer_needs_a_positive_amount_and_two_accounts():
    with pytest.raises(Exception, match="positive"):
        transfer_legs(1, 2, Money(0, XTR))
    with pytest.raises(InvalidTransaction, match="same"):
        transfer_legs(1, 1, Money(3, XTR))


@pytest.mark.parametrize("key", ["", "   ", "x" * 201])
def test_idempotency_key_is_required_and_bounded(key):
    with pytest.raises(InvalidRequest):
        tx(transfer_legs(1, 2, Money(5, XTR)), key=key)


def test_transactions_are_immutable():
    t = tx(transfer_legs(1, 2, Money(5, XTR)), metadata={"a": 1})
    with pytest.raises(AttributeError):
        t.kind = TransactionKind.BET  # type: ignore[misc]
    with pytest.raises(TypeError):
        t.metadata["a"] = 2  # type: ignore[index]


def test_naive_timestamps_and_nested_metadata_are_refused():
    with pytest.raises(InvalidTransaction, match="timezone"):
        Transaction(
            uuid.uuid4(),
            TransactionKind.BET,
            "k",
            transfer_legs(1, 2, Money(1, XTR)),
            datetime(2026, 1, 1),
        )
    with pytest.raises(InvalidTransaction, match="scalar"):
        tx(transfer_legs(1, 2, Money(1, XTR)), metadata={"a": {"b": 1}})


def test_fingerprint_ignores_id_time_and_leg_order_but_not_content():
    a = tx([Leg(1, Money(-5, XTR)), Leg(2, Money(5, XTR))], reference="r")
    b = Transaction(
        uuid.uuid4(),
        TransactionKind.TRANSFER,
        "other-key",
        (Leg(2, Money(5, XTR)), Leg(1, Money(-5, XTR))),
        datetime(2030, 1, 1, tzinfo=UTC),
        reference="r",
    )
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != tx(transfer_legs(1, 2, Money(6, XTR)), reference="r").fingerprint()
    assert a.fingerprint() != tx(transfer_legs(1, 2, Money(5, XTR)), reference="s").fingerprint()


def test_wallets_never_go_negative_house_bankroll_may():
    wallet = Account(1, AccountKind.PLAYER_WALLET, XTR, balance=3, player_id=9)
    with pytest.raises(InsufficientFunds, match="cannot take 4 XTR"):
        wallet.apply(-4)
    assert wallet.balance == 3
    assert wallet.apply(-3) == 0
    bankroll = Account(2, AccountKind.HOUSE_BANKROLL, XTR, shard=0)
    assert bankroll.apply(-10) == -10
    in_play = Account(3, AccountKind.BETS_IN_PLAY, XTR, shard=0)
    with pytest.raises(InsufficientFunds):
        in_play.apply(-1)


def test_wallet_needs_owner_and_house_account_none():
    with pytest.raises(InvalidTransaction):
        Account(1, AccountKind.PLAYER_WALLET, XTR)
    with pytest.raises(InvalidTransaction):
        Account(1, AccountKind.HOUSE_BANKROLL, XTR, player_id=1)


@given(st.integers(min_value=1, max_value=2**52), st.integers(min_value=1, max_value=1024))
def test_house_shard_is_stable_and_in_range(player_id, shards):
    shard = house_shard_for(player_id, shards)
    assert 0 <= shard < shards
    assert shard == house_shard_for(player_id, shards)


@given(
    st.lists(
        st.integers(min_value=-(10**12), max_value=10**12).filter(bool), min_size=1, max_size=8
    )
)
def test_any_legs_plus_their_balancing_leg_make_a_transaction(amounts):
    # USDT: its cap on one amount (10**15) holds the balancing leg of eight 10**12 legs.
    legs = [Leg(i + 1, Money(a, USDT)) for i, a in enumerate(amounts)]
    balance = -sum(amounts)
    if balance == 0:
        t = tx(legs) if len(legs) >= 2 else None
    else:
        t = tx([*legs, Leg(len(legs) + 1, Money(balance, USDT))])
    if t is not None:
        assert sums_by_currency(t.legs)[USDT] == 0


_metadata_values = st.one_of(
    st.text(max_size=20), st.integers(-(2**63), 2**63 - 1), st.booleans(), st.none()
)


@given(
    kind=st.sampled_from(TransactionKind),
    amount=st.integers(1, 10**12),
    accounts=st.lists(st.integers(1, 10**9), min_size=2, max_size=2, unique=True),
    reference=st.text(max_size=40),
    metadata=st.dictionaries(st.text(max_size=10), _metadata_values, max_size=4),
)
def test_a_fingerprint_is_the_canonical_json_dumps_text_hashed(
    kind: TransactionKind, amount: int, accounts: list[int], reference: str, metadata: dict
) -> None:  # type: ignore[type-arg]
    """The encoder built once gives the text `json.dumps(..., sort_keys=True, separators=
    (",", ":"))` gave (non-ASCII, control characters, every scalar kind): every fingerprint
    stored before still matches its request."""
    source, target = accounts
    transaction = Transaction(
        uuid.uuid4(),
        kind,
        "key",
        transfer_legs(source, target, Money(amount, XTR)),
        datetime.now(UTC),
        reference=reference,
        metadata=metadata,
    )
    body = {
        "kind": kind.value,
        "legs": sorted([(source, "XTR", -amount), (target, "XTR", amount)]),
        "reference": reference,
        "metadata": metadata,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert transaction.fingerprint() == hashlib.sha256(text.encode()).digest()


_codes = st.sampled_from(["XTR", "TON", "USDT"]) | st.text(max_size=5)


@given(
    kind=st.sampled_from(TransactionKind).map(lambda k: k.value) | st.text(max_size=10),
    legs=st.lists(
        st.tuples(st.integers(-(2**63), 2**63 - 1), _codes, st.integers(-(2**63), 2**63 - 1)),
        max_size=6,
    ),
    reference=st.text(max_size=40),
    metadata=st.dictionaries(st.text(max_size=10), _metadata_values, max_size=6),
)
def test_the_hand_written_canonical_text_is_json_dumps_text(
    kind: str, legs: list[tuple[int, str, int]], reference: str, metadata: dict
) -> None:  # type: ignore[type-arg]
    """`Transaction.fingerprint` writes its JSON by hand; for any legs (several currencies,
    ties on the account id, non-ASCII and control characters in every string) and metadata of
    every scalar kind, the text is byte for byte what `json.dumps` wrote before."""
    from domain.ledger import _canonical_text

    legs = sorted(legs)
    body = {"kind": kind, "legs": legs, "reference": reference, "metadata": metadata}
    expected = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert _canonical_text(kind, legs, reference, metadata) == expected


def test_the_canonical_text_leaves_subclasses_to_the_encoder() -> None:
    """An int or str subclass (an IntEnum, a StrEnum) reads as the encoder reads it."""
    import enum

    class Number(enum.IntEnum):
        ONE = 1

    metadata = {"n": Number.ONE, "k": TransactionKind.WIN, "t": True}
    legs = [(Number.ONE, "XTR", 5)]
    body = {"kind": "bet", "legs": legs, "reference": "", "metadata": metadata}
    expected = json.dumps(body, sort_keys=True, separators=(",", ":"))
    from domain.ledger import _canonical_text

    assert _canonical_text("bet", legs, "", metadata) == expected
